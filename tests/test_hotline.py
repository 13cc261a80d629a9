"""12345 work orders: signed pushes only, a replay refused, a retry idempotent, the deadline kept."""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.settings import upload_store
from channel.hotline import HotlineAnswer, sign
from complaints.cases import Complaint
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.jobs import run_housekeeping

from .desk import Desk

SECRET = "hotline-shared-secret-for-tests-0123456789"
pytestmark = pytest.mark.parametrize("config_overrides", [{"hotline_secret": SECRET}])

ORDER = {
    "order_id": "12345-20261122-0042",
    "title": "企业反映执法检查过于频繁",
    "content": "一个月内被同一部门检查四次，每次内容相同。",
    "respondent": "市生态环境局",
    "deadline_at": "2026-12-01T18:00:00+08:00",
    "caller": {"kind": "individual", "name": "孙丽", "phone": "13600136000"},
    "platform_extra": "ignored",
}


def push(
    client: FlaskClient,
    order: dict[str, Any],
    *,
    secret: str = SECRET,
    nonce: str | None = None,
    timestamp: int | str | None = None,
    content_type: str = "application/json",
) -> Any:
    body = json.dumps(order, ensure_ascii=False).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    headers = {
        "X-Hotline-Timestamp": stamp,
        "X-Hotline-Nonce": nonce,
        "X-Hotline-Signature": sign(secret, stamp, nonce, body),
        "Content-Type": content_type,
    }
    return client.post("/api/hotline/v1/work-orders", data=body, headers=headers)


def case_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint)) or 0


def test_a_signed_order_becomes_one_case_however_often_it_is_retried(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    first = push(client, ORDER)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["reference"].startswith("FZ") and len(body["query_code"]) == 10 and body["duplicate"] is False
    for _ in range(3):
        retry = push(client, ORDER)
        assert retry.status_code == 200
        assert retry.get_json()["reference"] == body["reference"] and retry.get_json()["duplicate"] is True
    assert case_count(app) == 1

    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        assert case.channel == "hotline" and case.external_ref == ORDER["order_id"]
        case_id = case.id
    detail = desk.detail("supervisor", case_id)
    assert detail["case"]["external_due_at"].startswith("2026-12-01T10:00:00")
    assert detail["complainants"][0]["name"] == "孙丽"
    desk.ok("triage", f"/api/v1/complaints/{case_id}/accept")
    with app.app_context():
        hotline_events = db.session.scalars(
            select(OutboxMessage.event).where(OutboxMessage.audience == "hotline")
        ).all()
    assert hotline_events == ["complaint.received", "complaint.accepted"]


def test_a_retry_within_a_day_gets_the_first_query_code_unless_a_reprint_voided_it(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    order = {**ORDER, "anonymous": True}
    first = push(client, order).get_json()
    retry = push(client, order).get_json()
    assert (retry["duplicate"], retry["query_code"]) == (True, first["query_code"])
    with app.app_context():
        stored = db.session.scalars(select(HotlineAnswer.query_code_encrypted)).one()
        assert first["query_code"] not in stored  # kept encrypted
        removed = run_housekeeping(db.session(), upload_store(), utcnow() + timedelta(days=1, seconds=1))
    assert removed["hotline_answers"] == 1
    assert push(client, order).get_json()["query_code"] is None  # a day on, the first answer is forgotten

    second = push(client, {**order, "order_id": "HL-20261122-0002"}).get_json()
    with app.app_context():
        second_id = db.session.scalars(select(Complaint.id).where(Complaint.reference == second["reference"])).one()
    reprinted = desk.ok("triage", f"/api/v1/complaints/{second_id}/query-code")["query_code"]
    retried = push(client, {**order, "order_id": "HL-20261122-0002"}).get_json()
    assert retried["query_code"] is None and reprinted != second["query_code"]


def test_bad_signatures_stale_timestamps_and_replays_are_refused(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    wrong_secret = push(client, ORDER, secret="another-secret-that-is-long-enough-000")
    assert wrong_secret.status_code == 401 and wrong_secret.get_json()["code"] == "bad_signature"
    stale = push(client, ORDER, timestamp=int(time.time()) - 301)
    assert stale.status_code == 401 and stale.get_json()["code"] == "stale_timestamp"
    assert push(client, ORDER, nonce="nonce-used-once-0001").status_code == 201
    replay = push(client, {**ORDER, "order_id": "another"}, nonce="nonce-used-once-0001")
    assert replay.status_code == 401 and replay.get_json()["code"] == "replayed_nonce"
    tampered = client.post(
        "/api/hotline/v1/work-orders",
        data=b'{"order_id": "x"}',
        headers={
            "X-Hotline-Timestamp": str(int(time.time())),
            "X-Hotline-Nonce": "abcdefgh12",
            "X-Hotline-Signature": sign(SECRET, str(int(time.time())), "abcdefgh12", b'{"order_id": "y"}'),
        },
    )
    assert tampered.status_code == 401
    for stamp, code in (("²" * 10, "bad_signature"), ("9" * 30, "stale_timestamp")):  # '²'.isdigit() is True
        odd = push(client, ORDER, timestamp=stamp)
        assert odd.status_code == 401 and odd.get_json()["code"] == code, stamp
    assert case_count(app) == 1


def test_invalid_orders_are_400_and_anonymous_orders_keep_no_identity(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    missing = push(client, {"order_id": "x-1"})
    assert missing.status_code == 400 and "title" in missing.get_json()["details"]
    not_json = push(client, "not an object")  # type: ignore[arg-type]
    assert not_json.status_code == 400
    nul = push(client, {**ORDER, "order_id": "nul-1", "title": "标题\u0000"}, content_type="text/plain")
    assert nul.status_code == 400 and nul.get_json()["code"] == "invalid_characters"
    far = push(client, {**ORDER, "order_id": "far-1", "deadline_at": "9999-12-31T23:59:59-12:00"})
    assert far.status_code == 400 and far.get_json()["code"] == "invalid_due_date"
    anonymous = push(client, {**ORDER, "order_id": "anon-1", "anonymous": True})
    assert anonymous.status_code == 201
    detail = desk.detail("supervisor", case_count(app) and _id_of(app, "anon-1"))
    assert detail["case"]["confidentiality"] == "anonymous" and detail["complainants"] == []


def test_a_category_hint_is_only_a_hint_and_an_unknown_one_is_filed_and_kept_for_staff(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    known = push(client, {**ORDER, "order_id": "hint-1", "category_hint": "repeated-inspections"})
    assert known.status_code == 201
    assert desk.detail("supervisor", _id_of(app, "hint-1"))["case"]["category"]["code"] == "repeated-inspections"

    unknown = push(client, {**ORDER, "order_id": "hint-2", "category_hint": "营商环境-其他"})
    assert unknown.status_code == 201, unknown.get_json()
    assert push(client, {**ORDER, "order_id": "hint-2", "category_hint": "营商环境-其他"}).status_code == 200
    detail = desk.detail("supervisor", _id_of(app, "hint-2"))
    assert detail["case"]["category"] is None
    submitted = detail["timeline"][0]
    assert submitted["action"] == "submitted" and "营商环境-其他" in submitted["note"]
    progress = client.post(
        "/api/public/v1/progress",
        json={"reference": unknown.get_json()["reference"], "query_code": unknown.get_json()["query_code"]},
    )
    assert progress.status_code == 200 and "营商环境-其他" not in progress.get_data(as_text=True)

    by_staff = desk.post("clerk", "/api/v1/complaints", {**_registration(), "category_code": "no-such-category"})
    assert by_staff.status_code == 404 and by_staff.get_json()["code"] == "unknown_category"  # a choice, not a hint


def _registration() -> dict[str, Any]:
    return {
        "channel": "hotline",
        "title": ORDER["title"],
        "content": ORDER["content"],
        "respondent": ORDER["respondent"],
        "persons": [{"kind": "individual", "name": "孙丽", "phone": "13600136000"}],
    }


def _id_of(app: Flask, order_id: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Complaint.id).where(Complaint.external_ref == order_id)).one()


def test_an_order_whose_own_deadline_has_passed_is_overdue_from_its_assignment(
    app: Flask, client: FlaskClient, desk: Desk, config_overrides: dict[str, str]
) -> None:
    passed = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    assert push(client, {**ORDER, "order_id": "late-1", "deadline_at": passed}).status_code == 201
    case_id = _id_of(app, "late-1")
    desk.ok("triage", f"/api/v1/complaints/{case_id}/accept")
    state = desk.ok("triage", f"/api/v1/complaints/{case_id}/assign", {"lead_department": "city-eco"})
    assert state["status"] == "assigned"
    handling = [c for c in desk.detail("supervisor", case_id)["clocks"] if c["clock"] == "handling"]
    ends_at = datetime.fromisoformat(handling[0]["ends_at"])
    assert len(handling) == 1 and ends_at <= datetime.now(UTC) + timedelta(seconds=1)  # at once, not in 15 days


def test_the_published_contract_documents_the_signed_body_and_both_answers(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/hotline/v1/work-orders"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Hotline-Timestamp", "X-Hotline-Nonce", "X-Hotline-Signature"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][body]["required"]) == {"order_id", "title", "content", "respondent"}
    assert {"200", "201"} <= set(operation["responses"])
    receipt = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "query_code" in spec["components"]["schemas"][receipt]["properties"]
