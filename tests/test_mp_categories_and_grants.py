"""The mini-program's category picker (a public list) and its hints, and a subscribe message WeChat refuses with
47003: the user's one-tap grant is kept and the failure recorded, against the local fake WeChat server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.settings import senders
from channel.accounts import SubscriptionGrant
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.delivery import BACKOFF
from notifications.relay import relay_once
from notifications.subscribe import set_mapping

from .desk import Desk
from .fake_wechat import FakeWeChat
from .test_miniprogram import SIMPLE_FILING, Phone


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    server = FakeWeChat().start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(fake_wechat: FakeWeChat) -> dict[str, Any]:
    return {
        "wechat_appid": fake_wechat.appid,
        "wechat_secret": fake_wechat.secret,
        "wechat_api_base": fake_wechat.base_url,
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


def test_a_47003_keeps_the_grant_and_records_the_failure_until_the_template_is_fixed(
    app: Flask, client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    fake_wechat.template_keys["TEMPLATE-ACCEPTED"] = {"character_string1", "phrase2", "thing3", "date4"}
    phone = Phone(client, "erin").ready()
    phone.post("/phone", {"code": "phone:13512345678"})
    phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED"]})
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    start = utcnow()
    relay(app, start)

    assert len(fake_wechat.calls("/cgi-bin/message/subscribe/send")) == 1  # configured with time4: refused
    with app.app_context():
        accepted = db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.event == "complaint.accepted", OutboxMessage.audience == "complainant"
            )
        ).one()
        assert accepted.status == "failed" and accepted.channel is None
        assert accepted.last_error is not None and "47003" in accepted.last_error
        assert db.session.scalar(select(SubscriptionGrant.spent_at)) is None  # WeChat did not spend it either
    shown = {(d["event"], d["status"]): d for d in desk.detail("triage", case["id"])["deliveries"]}
    assert "47003" in shown[("complaint.accepted", "failed")]["last_error"]

    with app.app_context():  # an administrator maps the template's real keys
        set_mapping(
            db.session(),
            event="complaint.accepted",
            template_id="TEMPLATE-ACCEPTED",
            fields="character_string1=reference,phrase2=status,thing3=text,date4=time",
            page="",
            known_events=["complaint.accepted"],
            actor="admin",
            now=start,
        )
        db.session.commit()
    relay(app, start + BACKOFF[0] + timedelta(seconds=1))

    sent = fake_wechat.calls("/cgi-bin/message/subscribe/send")
    assert len(sent) == 2 and set(sent[1].body["data"]) == {"character_string1", "phrase2", "thing3", "date4"}
    assert sent[1].body["data"]["phrase2"]["value"] == "已受理"
    with app.app_context():
        assert db.session.scalar(select(SubscriptionGrant.spent_at)) is not None  # spent on the message sent
        channel = db.session.scalar(
            select(OutboxMessage.channel).where(
                OutboxMessage.event == "complaint.accepted", OutboxMessage.audience == "complainant"
            )
        )
    assert channel == "wechat"
