"""The mini-program's category picker (a public list) and its hints; a subscribe message WeChat refuses with 47003
(the user's one-tap grant is kept and the complainant hears by SMS at once); template mappings whose values cannot
suit their keys' types, refused when saved; and landlines that cannot take a text. Against the local fake WeChat
and SMS servers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.settings import senders
from channel.accounts import SubscriptionGrant
from complaints.database import db, utcnow
from complaints.errors import InvalidInput
from complaints.outbox import OutboxMessage
from notifications.relay import relay_once
from notifications.subscribe import set_mapping

from .desk import Desk
from .fake_sms import FakeSms
from .fake_wechat import FakeWeChat
from .test_console import admin_user
from .test_miniprogram import SIMPLE_FILING, Phone


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def fake_sms() -> Iterator[FakeSms]:
    server = FakeSms()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(fake_wechat: FakeWeChat, fake_sms: FakeSms) -> dict[str, Any]:
    return {
        "wechat_appid": fake_wechat.appid,
        "wechat_secret": fake_wechat.secret,
        "wechat_api_base": fake_wechat.base_url,
        "sms_provider": "aliyun",
        "sms_key_id": fake_sms.key_id,
        "sms_key_secret": fake_sms.key_secret,
        "sms_sign_name": "法治监督中心",
        "sms_template_code": "SMS_0003",
        "sms_endpoint": fake_sms.base_url,
    }


def relay(app: Flask, now: datetime) -> None:
    """As the workers relay: in lanes (threads) on PostgreSQL."""
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lambda: now, lanes=4)


def test_anyone_may_list_the_categories_by_code_and_name(app: Flask, client: FlaskClient, desk: Desk) -> None:
    listed = client.get("/api/v1/public/categories")
    assert listed.status_code == 200
    categories = listed.get_json()
    assert {"code": "arbitrary-fines", "name": "乱罚款、乱收费"} in categories
    assert all(set(category) == {"code", "name"} for category in categories)
    assert client.get("/api/v1/categories").status_code == 401  # the staff list (ids, tree) stays staff-only

    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/public/categories"]["get"]
    items = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert set(spec["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]["properties"]) == {"code", "name"}


def test_a_mini_program_filing_with_an_unknown_category_hint_is_filed_without_a_category(
    app: Flask, client: FlaskClient, desk: Desk
) -> None:
    phone = Phone(client, "dora").ready()
    picked = client.get("/api/v1/public/categories").get_json()[0]["code"]
    known = phone.post("/complaints", {**SIMPLE_FILING, "category_hint": picked})
    assert known.status_code == 201, known.get_json()
    assert desk.detail("supervisor", known.get_json()["id"])["case"]["category"]["code"] == picked

    unknown = phone.post("/complaints", {**SIMPLE_FILING, "category_hint": "食品安全"})
    assert unknown.status_code == 201, unknown.get_json()
    detail = desk.detail("supervisor", unknown.get_json()["id"])
    assert detail["case"]["category"] is None and "食品安全" in detail["timeline"][0]["note"]
    mine = phone.get(f"/complaints/{unknown.get_json()['id']}")
    assert mine.status_code == 200 and "食品安全" not in mine.get_data(as_text=True)  # a note for staff only


def accepted_row(app: Flask, complaint_id: int) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.complaint_id == complaint_id,
                OutboxMessage.event == "complaint.accepted",
                OutboxMessage.audience == "complainant",
            )
        ).one()
        db.session.expunge(row)
        return row


def map_accepted(app: Flask, fields: str, now: datetime) -> None:
    with app.app_context():
        set_mapping(
            db.session(),
            event="complaint.accepted",
            template_id="TEMPLATE-ACCEPTED",
            fields=fields,
            page="",
            known_events=["complaint.accepted"],
            actor="admin",
            now=now,
        )
        db.session.commit()


def test_a_47003_keeps_the_grant_and_tells_the_complainant_by_sms_at_once(
    app: Flask,
    client: FlaskClient,
    desk: Desk,
    fake_wechat: FakeWeChat,
    fake_sms: FakeSms,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_wechat.template_keys["TEMPLATE-ACCEPTED"] = {"character_string1", "phrase2", "thing3", "date4"}
    phone = Phone(client, "erin").ready()
    phone.post("/phone", {"code": "phone:13512345678"})
    phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED"]})
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    start = utcnow()
    with caplog.at_level(logging.WARNING, logger="notifications.senders"):
        relay(app, start)

    assert len(fake_wechat.calls("/cgi-bin/message/subscribe/send")) == 1  # configured with time4: refused
    accepted = accepted_row(app, case["id"])
    assert (accepted.status, accepted.channel, accepted.attempts) == ("sent", "sms", 1)
    assert {
        "phone": "13512345678",
        "template": "SMS_0003",
        "sign": "法治监督中心",
        "params": {"reference": case["reference"], "status": "您的诉求已受理"},
    } in fake_sms.aliyun
    with app.app_context():
        assert db.session.scalar(select(SubscriptionGrant.spent_at)) is None  # WeChat did not spend it either
    warnings = [r.getMessage() for r in caplog.records if r.name == "notifications.senders"]
    assert len(warnings) == 1
    assert all(word in warnings[0] for word in ("TEMPLATE-ACCEPTED", "complaint.accepted", "47003", "time4=time"))
    assert "13512345678" not in warnings[0] and FakeWeChat.openid_for("erin") not in warnings[0]
    shown = {(d["event"], d["status"]): d for d in desk.detail("triage", case["id"])["deliveries"]}
    assert shown[("complaint.accepted", "sent")]["channel"] == "sms"

    map_accepted(app, "character_string1=reference,phrase2=status,thing3=text,date4=time", start)
    second = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{second['id']}/accept")
    relay(app, utcnow())

    sent = fake_wechat.calls("/cgi-bin/message/subscribe/send")
    assert len(sent) == 2 and set(sent[1].body["data"]) == {"character_string1", "phrase2", "thing3", "date4"}
    assert sent[1].body["data"]["phrase2"]["value"] == "已受理"
    assert sent[1].body["data"]["character_string1"]["value"] == second["reference"]
    with app.app_context():
        assert db.session.scalar(select(SubscriptionGrant.spent_at)) is not None  # spent on the message sent
    assert accepted_row(app, second["id"]).channel == "wechat"


def test_a_mapping_whose_value_cannot_suit_its_key_type_is_refused_when_saved(app: Flask) -> None:
    refused = {
        "character_string1=text": "character_string1",  # a sentence with hanzi is not a character_string
        "phrase2=text": "phrase2",
        "phrase2=reference": "phrase2",
        "time4=status": "time4",
        "date4=reference": "date4",
        "number1=reference": "number1",
    }
    for fields, key in refused.items():
        with pytest.raises(InvalidInput) as error:
            map_accepted(app, f"thing3=text,{fields}", utcnow())
        assert error.value.code == "template_field_mismatch" and f"“{key}”" in error.value.message
    map_accepted(app, "character_string1=reference,phrase2=status,thing3=text,date4=time,thing5=reference", utcnow())


def test_the_console_refuses_a_mismatched_mapping_with_a_400_naming_the_field(app: Flask, desk: Desk) -> None:
    system = admin_user(app, "sysadmin")
    page = "/console/admin/templates"
    refused = system.post(
        page,
        {"event": "complaint.signed", "template_id": "TPL-SIGNED", "fields": "character_string1=text"},
        token_from=page,
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "template_field_mismatch" in body and "character_string1" in body
    assert "TPL-SIGNED" not in system.get(page).get_data(as_text=True)  # nothing saved


def test_wechat_refuses_a_value_that_does_not_suit_its_key_type(
    app: Flask, client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat, fake_sms: FakeSms
) -> None:
    """The fake checks each value against its key's type as WeChat does: a template configured (not through the
    console, which would refuse it) with the text in a character_string key is refused with 47003."""
    phone = Phone(client, "fay").ready()
    phone.post("/phone", {"code": "phone:13612345678"})
    phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED"]})
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    with app.app_context():
        from notifications.subscribe import TemplateMapping

        db.session.add(
            TemplateMapping(
                event="complaint.accepted",
                template_id="TEMPLATE-ACCEPTED",
                fields={"character_string1": "text", "phrase2": "status"},
                page="pages/case/detail",
                updated_by="file",
                updated_at=utcnow(),
            )
        )
        db.session.commit()
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    relay(app, utcnow())
    sent = fake_wechat.calls("/cgi-bin/message/subscribe/send")
    assert len(sent) == 1 and sent[0].body["data"]["character_string1"]["value"] == "您的诉求已受理"
    assert accepted_row(app, case["id"]).channel == "sms"
    assert fake_sms.aliyun[-1]["phone"] == "13612345678"


def test_a_landline_is_not_texted_the_progress_page_carries_the_message(
    app: Flask, desk: Desk, fake_sms: FakeSms
) -> None:
    person = {"kind": "individual", "name": "王建国", "phone": "010-62345678"}
    case = desk.register(persons=[person])["case"]
    relay(app, utcnow())
    with app.app_context():
        channel = db.session.scalar(
            select(OutboxMessage.channel).where(
                OutboxMessage.complaint_id == case["id"], OutboxMessage.audience == "complainant"
            )
        )
    assert channel == "in_app" and fake_sms.aliyun == []
