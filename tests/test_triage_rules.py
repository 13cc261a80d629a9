"""The keyword rules, the respondent key and the similar-cases index, without a database: urgency signals as people
word them, the scope rules with their conduct exceptions (none of the seed examples is out of scope), respondents
compared by their normalised name, and an index kept current without refitting in the request."""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import pytest

from complaints.respondents import respondent_key
from triage.rules import number_value, out_of_scope, urgency_from, urgency_signals
from triage.similarity import LiveIndex, SimilarityIndex, TextSource
from triage.text import OPENING_WORDS, join_title, opening_terms, opening_words
from triage.training import SEED_EXAMPLES


def codes(text: str, parties: int = 1) -> set[str]:
    return {signal.code for signal in urgency_signals(text, parties)}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("公司拖欠工资，30名农民工讨薪无门。", "many_complainants"),
        ("厂里一百多名工人已经三个月没发工资。", "many_complainants"),
        ("这条街几十户商户都被要求交管理费。", "many_complainants"),
        ("我们共计二十余人联合反映。", "many_complainants"),
        ("我们这些业主联名反映物业问题。", "many_complainants"),
        ("还有三天就要开庭了，证据却被扣着不还。", "deadline_close"),
        ("复议期限即将届满，决定书还没送达。", "deadline_close"),
        ("起诉期限马上届满，执法部门仍不出具书面决定。", "deadline_close"),
        ("下周一开庭，请尽快处理。", "deadline_close"),
        ("执法人员把我打了一顿。", "personal_safety"),
        ("对方扬言要弄死我。", "personal_safety"),
        ("设备被拉走，厂里没法生产。", "production_stopped"),
        ("银行账户被冻结，工资发不出。", "assets_seized"),
    ],
)
def test_urgency_signals_as_people_word_them(text: str, code: str) -> None:
    assert code in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "村集体土地被违规占用。",
        "两名执法人员到店检查。",
        "执法人员3人到店检查。",
        "整改期限是3个月。",
        "明天我去执行局问问进度。",
        "请法院尽快执行判决。",
        "还有30天到期。",
    ],
)
def test_ordinary_wording_raises_no_signal(text: str) -> None:
    assert codes(text) == set()


def test_urgency_levels_follow_the_signals_and_never_drop_below_what_was_stated() -> None:
    assert urgency_from(urgency_signals("执法人员把我打了一顿，扬言要报复。"), "normal") == "critical"
    assert urgency_from(urgency_signals("三天内就要拍卖我们的厂房。"), "normal") == "urgent"
    assert urgency_from(urgency_signals("标签字号偏小被罚款。"), "normal") == "normal"
    assert urgency_from(urgency_signals("标签字号偏小被罚款。"), "urgent") == "urgent"
    many = urgency_signals("检查太多。", parties=3)
    assert [(s.code, s.evidence) for s in many] == [("many_complainants", "3 名诉求人")]


def test_a_close_12345_due_date_is_a_deadline_signal() -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    close = urgency_signals("检查太多。", external_due_at=now + timedelta(days=1), now=now)
    assert [(s.code, s.evidence) for s in close] == [("deadline_close", "12345工单办理期限 2026-03-03 09:00")]
    overdue = urgency_signals("检查太多。", external_due_at=now - timedelta(hours=1), now=now)
    assert [s.code for s in overdue] == ["deadline_close"]
    assert urgency_signals("检查太多。", external_due_at=now + timedelta(days=6), now=now) == []
    assert urgency_signals("检查太多。", external_due_at=now + timedelta(days=1)) == []  # no "now", no judgement


@pytest.mark.parametrize(
    ("text", "value"),
    [("30", 30), ("十", 10), ("二十五", 25), ("一百", 100), ("两千", 2000), ("三万五千", 35000), ("几十", 10)],
)
def test_counts_in_arabic_and_chinese_numerals(text: str, value: int) -> None:
    assert number_value(text) == value


@pytest.mark.parametrize(
    ("text", "code", "channel"),
    [
        ("我与合作方的货款纠纷，已经向法院起诉，法院正在审理。", "litigation", "人民法院"),
        ("公司拖欠我三个月工资，我准备申请劳动仲裁。", "arbitration", "仲裁"),
        ("对区政府的征收决定不服，已经申请行政复议。", "reconsideration", "行政复议"),
        ("所长收受企业贿赂，充当保护伞，请纪委查处。", "discipline", "纪委监委"),
        ("这件事我已向市信访局反映过多次，一直没有结果。", "petition", "信访"),
        ("我们已经多次上访，信访答复不予支持。", "petition", "复查"),
    ],
)
def test_matters_for_another_channel_name_it(text: str, code: str, channel: str) -> None:
    found = out_of_scope(text)
    assert found is not None and found[0].code == code
    assert channel in found[0].lawful_channel


@pytest.mark.parametrize(
    "text",
    [
        "我是个体户，到法院起诉，调解三个月才立案，立案后又排了半年才开庭。",
        "我们想申请复议都不知道从何说起，决定书连违反哪一条都没写。",
        "工地把厂房震裂，住建局说是民事纠纷让我们自己去起诉，可工地连施工许可都没有。",
        "申请劳动仲裁后仲裁委一年不开庭，也不说原因。",
        "判决生效两年，我已经向法院申请强制执行，执行法官一直拖着。",
        "劳动仲裁裁决生效后，对方拒不履行，法院执行局至今没有执行。",
        "处罚决定书未载明申请复议、提起诉讼的途径和期限。",
    ],
)
def test_complaints_about_how_a_court_or_agency_behaves_are_in_scope(text: str) -> None:
    assert out_of_scope(text) is None


def test_no_seed_example_is_flagged_out_of_scope() -> None:
    with SEED_EXAMPLES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 300
    flagged = [row["text"] for row in rows if out_of_scope(join_title(row.get("title"), row["text"]))]
    assert flagged == []


def test_respondents_compare_by_their_normalised_name() -> None:
    assert respondent_key("市市场监督管理局") == respondent_key("市市场监管局") == respondent_key(" 市 市场监管局。")
    assert respondent_key("市环保局") == respondent_key("市生态环境局")
    assert respondent_key("东城区城市管理综合行政执法局") == respondent_key("东城区城管综合执法局")
    assert respondent_key("东城区市场监督管理局") != respondent_key("市市场监督管理局")
    for nobody in ("不详", "无", "未知", "/", "", "有关部门", "不清楚"):
        assert respondent_key(nobody) == "", nobody


TEXTS = {
    1: "执法人员未出示证件就扣押货物，不给扣押清单",
    2: "环保检查要求停产整改却没有书面依据",
    3: "税务稽查通知送达不规范",
    4: "城管队员说我占道经营，罚款五百元不给票据",
    5: "企业开办登记材料反复退回，窗口不一次性告知",
    6: "消防检查一个月来了三次，每次都要求停工配合",
    7: "交警对货车超限处罚不出具处罚决定书",
    8: "法院执行款到账四个月仍未发放",
}


def source(texts: dict[int, str], reads: list[object]) -> TextSource:
    def read(keys: Collection[int] | None) -> list[tuple[int, str]]:
        reads.append(keys)
        return [(key, text) for key, text in texts.items() if keys is None or key in keys]

    return read


def test_the_live_index_adds_closed_cases_without_refitting_and_refits_through_its_runner() -> None:
    jobs: list[Callable[[], None]] = []
    live = LiveIndex(start=jobs.append)
    reads: list[object] = []
    texts = dict(TEXTS)
    first = live.current("db", set(texts), source(texts, reads))
    assert (len(first), first.fitted_size, reads) == (8, 8, [None])
    texts[9] = "市场监管执法人员扣押货物，未出具扣押清单"
    grown = live.current("db", set(texts), source(texts, reads))
    assert grown.vectorizer is first.vectorizer and reads[-1] == {9}  # scored, not refitted; only the new text read
    assert grown.nearest(texts[9], 1, exclude=9)[0].key == 1
    assert 9 not in {n.key for n in grown.nearest(texts[1], 3, exclude=1, among={2, 3, 4})}
    assert jobs == []
    texts.update({10: "城管罚款不给票据", 11: "执法人员扣押货物不给清单"})
    before_refit = live.current("db", set(texts), source(texts, reads))
    assert len(jobs) == 1 and before_refit.fitted_size == 8  # grown by a quarter: refit, but not in this request
    jobs.pop()()
    refitted = live.current("db", set(texts), source(texts, reads))
    assert refitted.fitted_size == len(texts) == 11 and refitted.vectorizer is not first.vectorizer
    assert live.current("other-db", {1}, source({1: TEXTS[1]}, reads)).fitted_size == 1


def test_an_index_over_texts_without_two_characters_in_a_row_finds_nothing() -> None:
    empty = SimilarityIndex([1, 2], ["？", "！"])
    assert empty.nearest("执法", 3) == []
    assert empty.with_added([3], ["执法人员扣押货物"]).nearest("扣押货物", 1)[0].key == 3


def test_a_raw_message_and_its_segmented_form_open_with_the_same_words_and_pairs() -> None:
    """The opening blocks read the title and first sentence alike in both formats: stopwords and punctuation gone,
    the first OPENING_WORDS content words, and each adjacent pair of them."""
    later = "后来又发生了很多事情。" * 20
    raw = join_title("物业公司违规收费", "我们小区的物业公司从去年开始违规收取停车费，业主多次反映无果。" + later)
    segmented = (
        "物业公司 违规 收费 小区 物业公司 去年 违规 收取 停车费 业主 多次 反映 无果 " + "后来 发生 很多 事情 " * 20
    )
    assert opening_terms(raw) == opening_terms(segmented)
    words = opening_words(raw)
    assert words[:6] == ("物业公司", "违规", "收费", "小区", "物业公司", "去年") and "的" not in words
    assert len(words) == OPENING_WORDS
    assert len(opening_terms(raw)) == 2 * OPENING_WORDS - 1 and opening_terms(raw)[OPENING_WORDS] == "物业公司 违规"
