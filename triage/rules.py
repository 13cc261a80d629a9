"""Keyword rules that work before any history exists: urgency signals and matters outside the center's scope.

Each rule names what it found, so staff see why a case was marked urgent or suggested for rejection. The lawful
channel is what the rejection must name (《信访工作条例》Art. 31: matters for litigation, arbitration or
administrative reconsideration go there; discipline matters go to the discipline commission).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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


ENFORCEMENT = re.compile(r"(判决|裁决|调解书|裁定).{0,20}(执行|兑现|履行)|执行(局|法官|案件|款)|强制执行")

URGENCY_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "personal_safety",
        "人身安全",
        re.compile(r"人身安全|殴打|打伤|威胁.{0,6}(生命|安全|家人)|自杀|轻生|跳楼|行凶|报复"),
    ),
    ("production_stopped", "停产停业", re.compile(r"停产|停业|停工|关停|封停|无法(正常)?(生产|经营|营业)|被迫关门")),
    (
        "assets_seized",
        "财产被查封扣押冻结",
        re.compile(r"查封|扣押|冻结|扣留|扣车|划扣|划走|封存"),
    ),
    (
        "many_complainants",
        "群体性诉求",
        re.compile(
            r"(几|数|上|近|[二两三四五六七八九十百千]+)[十百千]?(名|位|个|户|家)(工人|职工|农民工|员工|业主|商户|企业)|联名|集体|群体"
        ),
    ),
    (
        "deadline_close",
        "时限临近",
        re.compile(
            r"(明天|后天|今天|本周|下周|[一二三两3-9]日内|[一二三两3-9]天内).{0,10}(到期|截止|期限|开庭|拍卖|强制执行)|即将(到期|拍卖|执行|强拆)"
        ),
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
        unless=ENFORCEMENT,
    ),
    ScopeRule(
        "arbitration",
        "应通过仲裁解决",
        "向劳动人事争议仲裁委员会或约定的仲裁机构申请仲裁",
        re.compile(r"(申请|提起|准备|要求)(劳动)?仲裁|劳动争议|工资纠纷"),
        unless=ENFORCEMENT,
    ),
    ScopeRule(
        "reconsideration",
        "应通过行政复议解决",
        "依法向复议机关申请行政复议（或提起行政诉讼）",
        re.compile(r"行政复议|申请复议|复议决定"),
    ),
    ScopeRule(
        "petition",
        "已在信访程序中",
        "按《信访工作条例》在原信访事项的复查、复核程序中办理",
        re.compile(r"(已经?|正在)(上访|信访)|信访(事项|部门|局)(已|正在)|信访(答复|复查|复核)"),
    ),
)


def urgency_signals(text: str, parties: int = 1) -> list[Signal]:
    signals = []
    for code, label, pattern in URGENCY_RULES:
        match = pattern.search(text)
        if match:
            signals.append(Signal(code, label, match.group(0)))
    if parties >= MANY_PARTIES and not any(s.code == "many_complainants" for s in signals):
        signals.append(Signal("many_complainants", "群体性诉求", f"{parties} 名诉求人"))
    return signals


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
