"""The Aliyun and Tencent Cloud SMS adapters against local fakes that check their signatures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from api.settings import senders
from complaints.database import db
from notifications.delivery import DeliveryError
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


def test_unreachable_provider_is_a_retryable_failure() -> None:
    sms = AliyunSms("id", "secret", "法治监督中心", TEMPLATES, "http://127.0.0.1:1/")
    with pytest.raises(DeliveryError) as error:
        sms.send(MESSAGE)
    assert not error.value.permanent


@pytest.fixture
def config_overrides(fake_sms: FakeSms) -> dict[str, str]:
    return {
        "sms_provider": "aliyun",
        "sms_key_id": fake_sms.key_id,
        "sms_key_secret": fake_sms.key_secret,
        "sms_sign_name": "法治监督中心",
        "sms_template_code": "SMS_0002",
        "sms_endpoint": fake_sms.base_url,
    }


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
