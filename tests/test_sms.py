"""The Aliyun and Tencent Cloud SMS adapters against local fakes that check their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.settings import senders
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.delivery import DeliveryDeferred, DeliveryError
from notifications.relay import relay_once
from notifications.sms import AliyunSms, SmsMessage, SmsTemplate, TencentSms, aliyun_signature

from .desk import Desk
from .fake_sms import FakeSms

TEMPLATES = {"complaint.accepted": SmsTemplate("SMS_0001", {"reference": "reference", "status": "status"})}
MESSAGE = SmsMessage(
    "13912345678",
    "complaint.accepted",
    {"reference": "FZ2026-000001", "status": "您的诉求已受理"},
    "【FZ2026-000001】您的诉求已受理",
)
NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 14:30 in Beijing
NEXT_MORNING = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 the next day in Beijing


@pytest.fixture
def fake_sms() -> Iterator[FakeSms]:
    server = FakeSms()
    yield server
    server.stop()


def test_aliyun_signature_matches_the_documented_example() -> None:
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_sends_a_signed_template_message(fake_sms: FakeSms) -> None:
    sms = AliyunSms(fake_sms.key_id, fake_sms.key_secret, "法治监督中心", TEMPLATES, f"{fake_sms.base_url}/")
    assert sms.send(MESSAGE) == "sms"
    assert fake_sms.aliyun == [
        {
            "phone": "13912345678",
            "template": "SMS_0001",
            "sign": "法治监督中心",
            "params": {"reference": "FZ2026-000001", "status": "您的诉求已受理"},
        }
    ]
    wrong = AliyunSms(fake_sms.key_id, "wrong-secret", "法治监督中心", TEMPLATES, f"{fake_sms.base_url}/")
    with pytest.raises(DeliveryError, match="SignatureDoesNotMatch"):
        wrong.send(MESSAGE)
    with pytest.raises(DeliveryError) as illegal:
        sms.send(SmsMessage("13000000000", "complaint.accepted", MESSAGE.params, MESSAGE.text))
    assert illegal.value.permanent


def test_tencent_sends_a_tc3_signed_template_message(fake_sms: FakeSms) -> None:
    sms = TencentSms(
        fake_sms.key_id, fake_sms.key_secret, "1400000001", "法治监督中心", TEMPLATES, f"{fake_sms.base_url}/tencent/"
    )
    assert sms.send(MESSAGE) == "sms"
    assert fake_sms.tencent == [
        {
            "phone": "+8613912345678",
            "template": "SMS_0001",
            "app": "1400000001",
            "params": ["FZ2026-000001", "您的诉求已受理"],
        }
    ]
    wrong = TencentSms(
        fake_sms.key_id, "wrong", "1400000001", "法治监督中心", TEMPLATES, f"{fake_sms.base_url}/tencent/"
    )
    with pytest.raises(DeliveryError) as refused:
        wrong.send(MESSAGE)
    assert refused.value.permanent and fake_sms.bad_signatures == 1


def tencent(fake_sms: FakeSms) -> TencentSms:
    return TencentSms(
        fake_sms.key_id,
        fake_sms.key_secret,
        "1400000001",
        "法治监督中心",
        TEMPLATES,
        f"{fake_sms.base_url}/tencent/",
        clock=lambda: NOW,
    )


@pytest.mark.parametrize(
    ("code", "until"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", NOW + timedelta(seconds=30)),
        ("LimitExceeded.PhoneNumberOneHourLimit", NOW + timedelta(hours=1)),
        ("LimitExceeded.PhoneNumberDailyLimit", NEXT_MORNING),
        ("LimitExceeded.PhoneNumberSameContentDailyLimit", NEXT_MORNING),
        ("LimitExceeded.AppDailyLimit", NEXT_MORNING),
    ],
)
def test_a_tencent_rate_limit_defers_the_message_until_its_window_has_passed(
    fake_sms: FakeSms, code: str, until: datetime
) -> None:
    fake_sms.refusals[MESSAGE.phone] = (code, "limit reached")
    with pytest.raises(DeliveryDeferred) as deferred:
        tencent(fake_sms).send(MESSAGE)
    assert deferred.value.until == until and fake_sms.tencent == []


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("InternalError.Timeout", False),
        ("InternalError.SendAndRecvFail", False),
        ("InternalError.OtherError", False),
        ("LimitExceeded.DeliveryFrequencyLimit", False),
        ("FailedOperation.InsufficientBalanceInSmsPackage", False),
        ("InvalidParameterValue.IncorrectPhoneNumber", True),
        ("FailedOperation.PhoneNumberInBlacklist", True),
        ("FailedOperation.PhoneNumberParseFail", True),
        ("FailedOperation.TemplateIncorrectOrUnapproved", True),
        ("FailedOperation.SignatureIncorrectOrUnapproved", True),
        ("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", True),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", True),
    ],
)
def test_tencent_faults_are_retried_and_number_or_template_problems_are_permanent(
    fake_sms: FakeSms, code: str, permanent: bool
) -> None:
    fake_sms.refusals[MESSAGE.phone] = (code, "refused")
    with pytest.raises(DeliveryError, match=code) as refused:
        tencent(fake_sms).send(MESSAGE)
    assert refused.value.permanent is permanent and fake_sms.tencent == []


@pytest.mark.parametrize(
    ("code", "text", "outcome"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", NOW + timedelta(minutes=1)),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", NOW + timedelta(hours=1)),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", NEXT_MORNING),
        ("isv.DAY_LIMIT_CONTROL", "触发日发送限额", NEXT_MORNING),
        ("isv.BUSINESS_LIMIT_CONTROL", "触发业务流控", "retried"),
        ("isp.SYSTEM_ERROR", "系统错误", "retried"),
        ("isv.AMOUNT_NOT_ENOUGH", "余额不足", "retried"),
        ("isv.OUT_OF_SERVICE", "业务停机", "retried"),
        ("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量", "permanent"),
        ("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法", "permanent"),
        ("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控", "permanent"),
        ("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制", "permanent"),
    ],
)
def test_aliyun_refusals_are_deferred_retried_or_permanent(
    fake_sms: FakeSms, code: str, text: str, outcome: datetime | str
) -> None:
    sms = AliyunSms(
        fake_sms.key_id, fake_sms.key_secret, "法治监督中心", TEMPLATES, f"{fake_sms.base_url}/", clock=lambda: NOW
    )
    fake_sms.refusals[MESSAGE.phone] = (code, text)
    if isinstance(outcome, datetime):
        with pytest.raises(DeliveryDeferred) as deferred:
            sms.send(MESSAGE)
        assert deferred.value.until == outcome
    else:
        with pytest.raises(DeliveryError, match=code) as refused:
            sms.send(MESSAGE)
        assert refused.value.permanent is (outcome == "permanent")
    assert fake_sms.aliyun == []


def test_unreachable_provider_is_a_retryable_failure() -> None:
    sms = AliyunSms("id", "secret", "法治监督中心", TEMPLATES, "http://127.0.0.1:1/")
    with pytest.raises(DeliveryError) as error:
        sms.send(MESSAGE)
    assert not error.value.permanent


@pytest.fixture
def provider() -> str:
    return "aliyun"


@pytest.fixture
def config_overrides(fake_sms: FakeSms, provider: str) -> dict[str, str]:
    common = {
        "sms_provider": provider,
        "sms_key_id": fake_sms.key_id,
        "sms_key_secret": fake_sms.key_secret,
        "sms_sign_name": "法治监督中心",
        "sms_template_code": "SMS_0002",
    }
    if provider == "tencent":
        return {**common, "sms_app_id": "1400000001", "sms_endpoint": f"{fake_sms.base_url}/tencent/"}
    return {**common, "sms_endpoint": fake_sms.base_url}


def test_the_configured_provider_carries_the_complainants_messages(
    app: Flask, desk: Desk, fake_sms: FakeSms, config_overrides: dict[str, str]
) -> None:
    case = desk.register()["case"]
    with app.app_context(), Session(db.engine) as session:
        outcomes = relay_once(session, senders(), lanes=4)
    assert [o.channel for o in outcomes if o.channel == "sms"] == ["sms"]
    assert fake_sms.aliyun == [
        {
            "phone": "13912345678",
            "template": "SMS_0002",
            "sign": "法治监督中心",
            "params": {"reference": case["reference"], "status": "您的诉求已登记"},
        }
    ]


def complainant_row(app: Flask) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.audience == "complainant")).one()
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("provider", ["tencent"])
def test_a_daily_limit_holds_the_message_until_the_next_morning_without_spending_an_attempt(
    app: Flask, desk: Desk, fake_sms: FakeSms
) -> None:
    fake_sms.refusals["13912345678"] = ("LimitExceeded.PhoneNumberDailyLimit", "daily limit")
    case = desk.register()["case"]
    start = utcnow()
    with app.app_context(), Session(db.engine) as session:
        outcomes = relay_once(session, senders(), lambda: start, lanes=4)
    assert "deferred" in {o.status for o in outcomes} and fake_sms.tencent == []
    held = complainant_row(app)
    assert (held.status, held.attempts, held.channel) == ("failed", 0, None)
    assert held.last_error is not None and "deferred" in held.last_error
    assert held.next_attempt_at is not None and held.next_attempt_at > start + timedelta(hours=8)

    del fake_sms.refusals["13912345678"]  # the next day
    next_morning = held.next_attempt_at + timedelta(seconds=1)
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lambda: next_morning, lanes=4)
    sent = complainant_row(app)
    assert (sent.status, sent.channel, sent.attempts) == ("sent", "sms", 1)
    assert fake_sms.tencent == [
        {
            "phone": "+8613912345678",
            "template": "SMS_0002",
            "app": "1400000001",
            "params": [case["reference"], "您的诉求已登记"],
        }
    ]


@pytest.mark.parametrize("provider", ["tencent"])
def test_a_limit_that_holds_a_message_for_days_dead_letters_it_and_a_resend_counts_afresh(
    app: Flask, desk: Desk, fake_sms: FakeSms
) -> None:
    fake_sms.refusals["13912345678"] = ("LimitExceeded.PhoneNumberDailyLimit", "daily limit")
    desk.register()
    first = utcnow()
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lambda: first, lanes=4)
    held = complainant_row(app)
    assert (held.status, held.attempts, held.deferred_since) == ("failed", 0, first)

    later = utcnow()  # the same limit, still in force, after it has held the message for three days already
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == held.id)
            .values(deferred_since=later - timedelta(days=3), next_attempt_at=later)
        )
        db.session.commit()
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lambda: later, lanes=4)
    dead = complainant_row(app)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "rate-limited for over 3 days")
    assert fake_sms.tencent == []

    desk.ok("supervisor", f"/api/v1/deliveries/{held.id}/resend")
    again = utcnow()
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lambda: again, lanes=4)
    assert (complainant_row(app).status, complainant_row(app).deferred_since) == ("failed", again)


def test_a_wrong_number_is_dead_lettered_at_once(app: Flask, desk: Desk, fake_sms: FakeSms) -> None:
    fake_sms.refusals["13912345678"] = ("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile")
    desk.register()
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lanes=4)
    dead = complainant_row(app)
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 1, "aliyun sms: isv.MOBILE_NUMBER_ILLEGAL")
    assert fake_sms.aliyun == []
