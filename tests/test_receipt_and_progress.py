"""Walk-in receipt (PDF and HTML with a QR code to the progress page) and the public progress lookup."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pypdfium2
import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints.database import db
from complaints.progress import LookupFailure

from .desk import Desk


def decode_qr_from_pdf(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    image = document[0].render(scale=2).to_pil()
    results = zxingcpp.read_barcodes(image)
    assert results, "no QR code found on the receipt"
    text: str = results[0].text
    return text


def lookup(client: FlaskClient, reference: str, code: str, ip: str = "198.51.100.7") -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.post(
        "/api/public/v1/progress", json={"reference": reference, "query_code": code}, environ_base={"REMOTE_ADDR": ip}
    )
    return response.status_code, response.get_json()


def test_receipt_prints_with_a_qr_code_to_the_progress_page(client: FlaskClient, desk: Desk) -> None:
    case = desk.register(channel="walkin")["case"]
    response = desk.post("clerk", f"/api/v1/complaints/{case['id']}/receipt")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    url = decode_qr_from_pdf(response.data)
    parts = urlsplit(url)
    assert parts.path == "/progress" and parse_qs(parts.query)["ref"] == [case["reference"]]
    code = parse_qs(parts.fragment)["code"][0]
    status, body = lookup(client, case["reference"], code)
    assert status == 200 and body["status_label"] == "待受理" and body["acceptance_decided_by"]
    page = client.get(f"/progress?ref={case['reference']}")
    assert page.status_code == 200 and "办理进度查询" in page.get_data(as_text=True)

    reprint = desk.post("clerk", f"/api/v1/complaints/{case['id']}/receipt?format=html")
    html = reprint.get_data(as_text=True)
    assert reprint.mimetype == "text/html" and "<svg" in html and case["reference"] in html
    assert lookup(client, case["reference"], code)[0] == 404  # the old code is void after a reprint
    assert desk.post("samr.handler", f"/api/v1/complaints/{case['id']}/receipt").status_code == 403


def test_progress_shows_status_and_public_timeline_only(app: Flask, client: FlaskClient, desk: Desk) -> None:
    registered = desk.register(confidentiality="anonymous", persons=[])
    case, code = registered["case"], registered["query_code"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept", {"note": "内部备注：疑似重复投诉"})
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr", "instructions": "内部交办意见"})
    desk.ok("supervisor", f"{url}/supervision", {"level": "yellow", "note": "内部督办意见"})
    status, body = lookup(client, case["reference"].lower(), code)
    assert status == 200 and body["status"] == "assigned"
    text = str(body)
    assert "内部" not in text
    assert [event["action_label"] for event in body["timeline"]] == ["已提交", "已受理", "已交办承办单位"]


def test_a_wrong_code_learns_nothing_and_is_rate_limited(app: Flask, client: FlaskClient, desk: Desk) -> None:
    registered = desk.register()
    reference = registered["case"]["reference"]
    wrong_code = lookup(client, reference, "AAAAAAAAAA", ip="203.0.113.1")
    unknown_reference = lookup(client, "FZ2099-999999", "AAAAAAAAAA", ip="203.0.113.1")
    assert (
        wrong_code
        == unknown_reference
        == (404, {"code": "wrong_reference_or_code", "message": "受理编号或查询码不正确", "details": None})
    )
    for ip in ("203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"):
        assert lookup(client, reference, "BBBBBBBBBB", ip=ip)[0] == 404
    locked = lookup(client, reference, registered["query_code"], ip="203.0.113.9")
    assert locked[0] == 429 and locked[1]["code"] == "lookup_locked"
    locked_unknown = [lookup(client, "FZ2099-000001", "X" * 10, ip=f"192.0.2.{i}")[0] for i in range(6)]
    assert locked_unknown[-1] == 429  # a reference that does not exist locks the same way
    for attempt in range(20):
        lookup(client, f"FZ2098-{attempt:06d}", "Y" * 10, ip="198.51.100.99")
    assert lookup(client, "FZ2097-000001", "Z" * 10, ip="198.51.100.99")[1]["code"] == "lookup_rate_limited"
    with app.app_context():
        stored = " ".join(
            f"{row.client_hash} {row.reference_hash}" for row in db.session.scalars(select(LookupFailure))
        )
    assert "203.0.113" not in stored and reference not in stored


def test_old_lookup_failures_are_forgotten(app: Flask, client: FlaskClient, desk: Desk) -> None:
    from datetime import timedelta

    from complaints.database import utcnow
    from complaints.progress import LookupLimits

    with app.app_context():
        old = utcnow() - 3 * LookupLimits().window
        db.session.add_all(
            LookupFailure(client_hash="c" * 64, reference_hash="r" * 64, occurred_at=old + timedelta(seconds=i))
            for i in range(5)
        )
        db.session.commit()
    assert lookup(client, "FZ2099-000001", "AAAAAAAAAA")[0] == 404
    with app.app_context():
        remaining = db.session.scalars(select(LookupFailure.reference_hash)).all()
    assert len(remaining) == 1 and remaining[0] != "r" * 64


def forwarded_lookup(client: FlaskClient, attempt: int, forwarded_for: str) -> dict:  # type: ignore[type-arg]
    """A wrong lookup arriving through a reverse proxy at 10.0.0.2 on behalf of ``forwarded_for``."""
    response = client.post(
        "/api/public/v1/progress",
        json={"reference": f"FZ2096-{attempt:06d}", "query_code": "Q" * 10},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        headers={"X-Forwarded-For": forwarded_for},
    )
    body: dict = response.get_json()  # type: ignore[type-arg]
    return body


@pytest.mark.parametrize("config_overrides", [{"trusted_proxies": 1}])
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client: FlaskClient) -> None:
    for attempt in range(20):
        forwarded_lookup(client, attempt, "198.51.100.50")
    assert forwarded_lookup(client, 100, "198.51.100.50")["code"] == "lookup_rate_limited"
    assert forwarded_lookup(client, 101, "198.51.100.51")["code"] == "wrong_reference_or_code"


def test_without_a_trusted_proxy_a_forged_forwarded_header_changes_nothing(client: FlaskClient) -> None:
    for attempt in range(20):
        forwarded_lookup(client, attempt, f"198.51.100.{attempt}")
    assert forwarded_lookup(client, 100, "198.51.100.200")["code"] == "lookup_rate_limited"
