"""Keyword rules that work before any history exists: urgency signals and matters outside the center's scope.

Each rule names what it found, so staff see why a case was marked urgent or suggested for rejection. The lawful
channel is what the rejection must name (《信访工作条例》Art. 31: matters for litigation, arbitration or
administrative reconsideration go there; discipline matters go to the discipline commission).

A complaint that mentions a court, an arbitration commission or a reconsideration body is often about how that
body behaves (it will not register the case, lets it drag on for a year, tells the enterprise to "go and sue"):
that is conduct the center supervises, so those words lift the litigation, arbitration and reconsideration rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.workdays import CHINA_TZ


@dataclass(frozen=True)
class Signal:
    code: str
    label: str
    evidence: str


@dataclass(frozen=True)
class ScopeRule:
    code: str
    label: str
    lawful_channel: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None = None


# A count as people write it: 30, 一百, 二十五, 十 (followed by 多/余/几/来 when approximate), or 几十, 数百, 上千.
NUMBER = r"(?:\d+|[零〇一二两三四五六七八九十百千万]+|(?:好几|几|数|上|近|成)[十百千万])"
APPROXIMATE = r"(?:多|余|几|来)?"
_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def number_value(text: str) -> int:
    """The value of a count matched by NUMBER; for 几十/数百/上千 the unit, a lower bound."""
    if text.isdigit():
        return int(text)
    if text[-1] in _CN_UNITS and not any(c in _CN_DIGITS or c in _CN_UNITS for c in text[:-1]):
        return _CN_UNITS[text[-1]]
    total, section, digit = 0, 0, 0
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char == "万":
            total += (section + digit) * 10000
            section, digit = 0, 0
        else:
            section += (digit or 1) * _CN_UNITS[char]
            digit = 0
    return total + section + digit


GROUP_NOUNS = (
    "农民工|工人|职工|员工|工友|业主|商户|商家|摊贩|摊主|店主|个体户|企业|公司|村民|居民|农户|农民|果农|菜农"
    "|养殖户|渔民|群众|家长|学生|股东|购房者|购房户|住户|租户|投资人|司机|老人"
)
COUNTED_GROUP = re.compile(rf"(?P<count>{NUMBER}){APPROXIMATE}(?:名|位|个|户|家|号)?(?:{GROUP_NOUNS})")
COUNTED_US = re.compile(
    rf"(?:我们|共|共计|一共|合计|涉及|全厂|全村)(?P<count>{NUMBER}){APPROXIMATE}(?:个|号)?人"
    rf"|(?P<households>{NUMBER}){APPROXIMATE}户(?![口籍型主])"
)
GROUP_WORDS = re.compile(
    r"联名|群体性|(?:集体|群体)(?:上访|信访|投诉|举报|反映|讨薪|维权|请愿|诉求|签名)"
    r"|全体(?:业主|村民|员工|职工|商户|股东|居民|工人)|(?:众多|大批|大量)(?:企业|商户|业主|村民|群众|工人|农民工)"
)
MANY_IN_TEXT = 5  # fewer people named in a text are as often the enforcers or one family as a group

DEADLINE_EVENT = r"(?:到期|截止|期限|届满|期满|开庭|宣判|拍卖|强制执行|强拆|拆除|过期|逾期|听证)"
COUNTDOWN = re.compile(
    rf"(?:还有|还剩|只剩|只有|仅剩|仅有|剩下|不到|不足)(?P<count>{NUMBER})(?:个)?"
    rf"(?P<unit>工作日|天|日|小时|周|星期|礼拜).{{0,8}}?{DEADLINE_EVENT}"
)
COUNTDOWN_LIMITS = {"小时": 72, "天": 10, "日": 10, "工作日": 7, "周": 1, "星期": 1, "礼拜": 1}
IMMINENT = re.compile(
    rf"(?:明天|明日|后天|大后天|今天|今日|本周|这周|下周|周[一二三四五六日天]|[一二三两四五3-9]日内|[一二三两四五3-9]天内)"
    rf".{{0,10}}?{DEADLINE_EVENT}"
    r"|(?:即将|马上|就要|快要|眼看|行将|临近|(?<![尽赶加])快)(?:就)?(?:要)?"
    r"(?:到期|届满|期满|截止|过期|逾期|开庭|宣判|拍卖|强拆|拆除)|即将(?:被)?(?:强制)?执行"
    r"|(?:期限|时效|期)(?:已经?)?(?:快|快要|即将|马上|就要)(?:到|过|满)"
)
EXTERNAL_DUE_CLOSE = timedelta(days=3)

ENFORCEMENT = re.compile(r"(判决|裁决|调解书|裁定).{0,20}(执行|兑现|履行)|执行(局|法官|案件|款)|强制执行")
CONDUCT = re.compile(
    r"拖延|拖着|久拖不决|一拖再拖|迟迟|推诿|推脱|踢皮球|超期|不作为"
    r"|(?:不|拒不|不予|不给)(?:予以)?(?:立案|开庭|受理|组庭|答复)"
    r"|(?:才|一直没|一直未|至今没|至今未|至今仍未|还没有?给)(?:有)?(?:立案|开庭|受理|审理|组庭|裁决|判决|答复)"
    r"|(?:立案|开庭|受理|审理|组庭|裁决|判决)(?:都)?(?:遥遥无期|没有?(?:下文|结果|消息|动静|进展))"
    r"|(?:说|称|认为|推说|答复|告诉我们?)[^，。；]{0,6}(?:民事纠纷|属于民事|(?:去|到)法院|自己(?:去)?起诉)"
    r"|以[^，。；]{0,4}民事纠纷为由"
    r"|(?:未|没有?|不)(?:告知|写明|载明|说明|告诉)[^。；]{0,12}(?:复议|诉讼|起诉|仲裁)"
    r"|不知道?从何"
)
OUT_OF_SCOPE_UNLESS = re.compile(f"{ENFORCEMENT.pattern}|{CONDUCT.pattern}")

URGENCY_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "personal_safety",
        "人身安全",
        re.compile(
            r"人身安全|人身威胁|殴打|打伤|打残|打死|暴打|挨打|打人|(?:把|将)(?:我|他|她|我们|人)[^，。；]{0,4}打(?:了|伤|得|成)"
            r"|(?:打|揍)了(?:我|他|她|我们)|打了一顿|扬言|弄死|杀了|砍伤|恐吓|威胁.{0,6}(?:生命|安全|家人|孩子)"
            r"|自杀|轻生|跳楼|行凶|报复"
        ),
    ),
    (
        "production_stopped",
        "停产停业",
        re.compile(
            r"停产|停业|停工|关停|封停|被迫关门|关门歇业"
            r"|(?:无法|没法|没办法|不能|被迫)(?:正常)?(?:生产|经营|营业|开工|施工|复工|出货)"
        ),
    ),
    (
        "assets_seized",
        "财产被查封扣押冻结",
        re.compile(r"查封|扣押|冻结|扣留|扣车|划扣|划走|封存"),
    ),
)
CRITICAL_SIGNALS = frozenset({"personal_safety"})
MANY_PARTIES = 3


SCOPE_RULES: tuple[ScopeRule, ...] = (
    ScopeRule(
        "discipline",
        "违纪违法线索",
        "向纪委监委反映（纪检监察机关信访举报渠道）",
        re.compile(r"贪污|受贿|行贿|索贿|挪用公款|违纪|纪委|监委|充当保护伞|权钱交易"),
    ),
    ScopeRule(
        "litigation",
        "已进入或应通过诉讼解决",
        "向人民法院提起诉讼，或就已有裁判依法申请再审",
        re.compile(
            r"(已经?|正在|准备|打算|要)(向(人民)?法院)?(起诉|提起诉讼|上诉|申请再审)|(向|到)(人民)?法院(起诉|提起诉讼)"
            r"|(正在|已在)(法院)?审理|民事纠纷"
        ),
        unless=OUT_OF_SCOPE_UNLESS,
    ),
    ScopeRule(
        "arbitration",
        "应通过仲裁解决",
        "向劳动人事争议仲裁委员会或约定的仲裁机构申请仲裁",
        re.compile(r"(申请|提起|准备|要求)(劳动)?仲裁|劳动争议|工资纠纷"),
        unless=OUT_OF_SCOPE_UNLESS,
    ),
    ScopeRule(
        "reconsideration",
        "应通过行政复议解决",
        "依法向复议机关申请行政复议（或提起行政诉讼）",
        re.compile(r"行政复议|申请复议|复议决定"),
        unless=CONDUCT,
    ),
    ScopeRule(
        "petition",
        "已在信访程序中",
        "按《信访工作条例》在原信访事项的复查、复核程序中办理",
        re.compile(
            r"(?:已经?|正在|曾经?|多次|反复|先后|一直|长期)(?:到|去|向|在)?[^，。；]{0,8}(?:上访|信访)"
            r"|(?:向|到|去)[^，。；]{0,8}信访(?:局|办|部门|机构|中心|窗口|平台|系统)"
            r"|信访(?:事项|部门|局|办|机构)(?:已|正在)|信访(?:答复|复查|复核|意见书|告知书|处理意见)"
        ),
    ),
)


def urgency_signals(
    text: str, parties: int = 1, *, external_due_at: datetime | None = None, now: datetime | None = None
) -> list[Signal]:
    """What makes a case urgent, one signal per kind: from the words, the number of complainants on the case, and
    the due date of the 12345 work order it came with (when ``now`` is given)."""
    text = unicodedata.normalize("NFKC", text)
    signals = []
    for code, label, pattern in URGENCY_RULES:
        match = pattern.search(text)
        if match:
            signals.append(Signal(code, label, match.group(0)))
    many = _many_complainants(text, parties)
    if many:
        signals.append(Signal("many_complainants", "群体性诉求", many))
    deadline = _close_deadline(text) or _close_external_due(external_due_at, now)
    if deadline:
        signals.append(Signal("deadline_close", "时限临近", deadline))
    return signals


def _many_complainants(text: str, parties: int) -> str | None:
    words = GROUP_WORDS.search(text)
    if words:
        return words.group(0)
    for pattern in (COUNTED_GROUP, COUNTED_US):
        for match in pattern.finditer(text):
            if number_value(next(count for count in match.groups() if count)) >= MANY_IN_TEXT:
                return match.group(0)
    return f"{parties} 名诉求人" if parties >= MANY_PARTIES else None


def _close_deadline(text: str) -> str | None:
    for match in COUNTDOWN.finditer(text):
        if number_value(match.group("count")) <= COUNTDOWN_LIMITS[match.group("unit")]:
            return match.group(0)
    imminent = IMMINENT.search(text)
    return imminent.group(0) if imminent else None


def _close_external_due(due_at: datetime | None, now: datetime | None) -> str | None:
    """A 12345 work order due within three days (or already overdue) must be answered first."""
    if due_at is None or now is None or due_at - now > EXTERNAL_DUE_CLOSE:
        return None
    return f"12345工单办理期限 {due_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"


def urgency_from(signals: list[Signal], stated: str) -> str:
    """critical when someone's safety is at stake, urgent on any other signal; never below what was stated."""
    order = ("normal", "urgent", "critical")
    found = "critical" if any(s.code in CRITICAL_SIGNALS for s in signals) else "urgent" if signals else "normal"
    return max(found, stated, key=order.index)


def out_of_scope(text: str) -> tuple[ScopeRule, str] | None:
    """The first scope rule the text matches, with the words that matched."""
    for rule in SCOPE_RULES:
        match = rule.pattern.search(text)
        if match and not (rule.unless and rule.unless.search(text)):
            return rule, match.group(0)
    return None
