"""What a complainant's messages may carry and where they can go: the reason for an extension as a category, and
texts only to numbers that can take them."""

from __future__ import annotations

import pytest

from complaints.complainants import can_take_sms, normalize_phone
from complaints.handling import EXTENSION_REASON_CATEGORIES, GENERAL_EXTENSION_REASON, reason_for_complainant


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("需要调取执法记录仪视频", "需调取核实证据材料"),
        ("涉案食品须送第三方机构检测", "需检验检测或鉴定"),
        ("需会同区住建局共同处理", "需多部门协调办理"),
        ("须请示省局后答复", "需请示上级机关"),
        ("需到现场核实经营情况", "需进一步调查核实"),
        ("当事人张某某外出，联系不上", "需等待有关方面答复"),
        ("节假日人手紧张", GENERAL_EXTENSION_REASON),
    ],
)
def test_the_complainant_is_told_a_category_never_the_reason_s_words(reason: str, category: str) -> None:
    told = reason_for_complainant(reason)
    assert told == category
    assert "张某某" not in told


def test_every_extension_category_fits_a_wechat_thing_value() -> None:
    categories = [category for _, category in EXTENSION_REASON_CATEGORIES] + [GENERAL_EXTENSION_REASON]
    assert all(0 < len(category) <= 20 for category in categories)


@pytest.mark.parametrize(
    ("phone", "mobile"),
    [
        ("13912345678", True),
        ("139-1234-5678", True),
        ("+86 139 1234 5678", True),
        ("008618612345678", True),
        ("0591-87654321", False),
        ("(0591)87654321", False),
        ("87654321", False),
        ("12345678901", False),
        ("", False),
        (None, False),
    ],
)
def test_only_mainland_mobile_numbers_take_texts(phone: str | None, mobile: bool) -> None:
    assert can_take_sms(phone) is mobile


def test_a_landline_stays_a_valid_contact_number() -> None:
    landline = normalize_phone("0591-8765 4321")
    assert landline == "059187654321" and not can_take_sms(landline)
    assert can_take_sms(normalize_phone("+86 139-1234-5678"))


def test_the_complainant_is_told_an_extension_s_reason_category_within_wechat_s_limit() -> None:
    from complaints.outbox import OutboxMessage
    from notifications.senders import complainant_text
    from notifications.subscribe import fit

    extended = OutboxMessage(event="complaint.extended", payload={"days": "10", "reason": "需调取核实证据材料"})
    assert complainant_text(extended) == "办理期限已依法延长：需调取核实证据材料"
    assert fit("thing3", complainant_text(extended)) == complainant_text(extended)  # a thing holds 20 characters
    signed = OutboxMessage(event="complaint.signed", payload={"reason": "不会出现"})
    assert complainant_text(signed) == "承办单位已签收"
