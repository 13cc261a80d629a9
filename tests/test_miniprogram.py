"""The mini-program journey through our API, with wechatpy talking to a local fake WeChat server."""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from api.settings import senders, upload_store
from channel.accounts import SubscriptionGrant
from complaints.attachments import Attachment
from complaints.cases import Complaint
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from notifications.relay import relay_once
from notifications.subscribe import fit, set_mapping

from .desk import Desk
from .fake_wechat import FakeWeChat

EVENT_TOKEN = "event-push-token"
LICENCE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


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
        "wechat_event_token": EVENT_TOKEN,
    }


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


class Phone:
    """The mini-program on a phone: logs in with a wx.login code and calls our API with its token."""

    def __init__(self, client: FlaskClient, user: str) -> None:
        self.client, self.user, self.logins = client, user, 0
        self.session = self.log_in()
        self.headers = {"Authorization": f"Bearer {self.session['token']}"}

    def log_in(self) -> dict[str, Any]:
        self.logins += 1
        response = self.client.post("/api/mp/v1/session", json={"code": f"{self.user}:{self.logins}"})
        assert response.status_code == 201, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(f"/api/mp/v1{path}", json=body or {}, headers=self.headers)

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/mp/v1{path}", headers=self.headers)

    def upload(self, data: bytes, name: str, purpose: str = "evidence") -> Any:
        return self.client.post(
            "/api/mp/v1/attachments",
            headers=self.headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), name), "purpose": purpose},
        )

    def ready(self) -> Phone:
        assert self.post("/consents/privacy", {"version": self.session["privacy_notice_version"]}).status_code == 204
        return self


def enterprise_filing(attachment_ids: list[int], **overrides: Any) -> dict[str, Any]:
    return {
        "title": "执法人员对小额标签瑕疵顶格罚款",
        "content": "我公司预包装食品标签字号偏小，执法人员未责令改正即处以顶格罚款。",
        "respondent": "市市场监督管理局",
        "category_hint": "arbitrary-fines",
        "persons": [
            {
                "kind": "enterprise",
                "name": "刘建国",
                "enterprise_name": "示例食品有限公司",
                "credit_code": "91350100M000100Y43",
            }
        ],
        "attachment_ids": attachment_ids,
        **overrides,
    }


def event_query(token: str = EVENT_TOKEN, timestamp: str | None = None) -> str:
    timestamp, nonce = timestamp or str(int(time.time())), "nonce123"
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}"


def test_the_whole_mini_program_journey(app: Flask, client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat) -> None:
    phone = Phone(client, "alice")
    assert "session_key" not in str(phone.session) and "SESSION_KEY" not in str(phone.session)
    assert phone.session["privacy_accepted"] is False
    assert fake_wechat.calls("/sns/jscode2session") and fake_wechat.calls("/cgi-bin/stable_token")
    assert not fake_wechat.calls("/cgi-bin/token")

    photo = phone.upload(png(), "scene.png").get_json()
    licence = phone.upload(LICENCE_PDF, "licence.pdf", purpose="licence").get_json()
    refused = phone.post("/complaints", enterprise_filing([photo["id"], licence["id"]]))
    assert refused.status_code == 403 and refused.get_json()["code"] == "privacy_not_accepted"
    phone.ready()
    assert phone.post("/phone", {"code": "phone:13912345678"}).get_json() == {"phone_bound": True}
    disguised = phone.upload(b"just text, not an image", "photo.jpg")
    assert disguised.status_code == 400 and disguised.get_json()["code"] == "unsupported_file_type"

    filed = phone.post("/complaints", enterprise_filing([photo["id"], licence["id"]]))
    assert filed.status_code == 201, filed.get_json()
    case = filed.get_json()
    assert case["reference"].startswith("FZ") and len(case["query_code"]) == 10
    check = fake_wechat.calls("/wxa/msg_sec_check")[-1].body
    assert (
        check["version"] == 2 and check["openid"] == FakeWeChat.openid_for("alice") and "顶格罚款" in check["content"]
    )
    media = fake_wechat.calls("/wxa/media_check_async")
    assert len(media) == 1 and media[0].body["version"] == 2  # the image only, not the PDF
    media_url = urlsplit(media[0].body["media_url"])
    fetched = client.get(f"{media_url.path}?{media_url.query}")
    assert fetched.status_code == 200 and fetched.data == png()
    assert client.get(f"{media_url.path}?{media_url.query.replace('s=', 's=0')}").status_code == 404

    with app.app_context():
        image = db.session.scalars(select(Attachment).where(Attachment.content_type == "image/png")).one()
        trace_id = image.media_trace_id
        stored = image.storage_key
    assert trace_id and "scene" not in stored
    event = fake_wechat.media_check_event(str(trace_id), "risky")
    assert client.post(f"/api/wechat/events?{event_query('wrong')}", json=event).status_code == 401
    assert client.post(f"/api/wechat/events?{event_query()}", json=event).get_data(as_text=True) == "success"
    with app.app_context():
        flagged = db.session.scalars(select(Attachment).where(Attachment.media_trace_id == trace_id)).one()
        assert flagged.flagged and flagged.media_check == "risky"
        owner = db.session.scalars(select(Complaint)).one()
        assert owner.owner_account_id is not None and owner.channel == "miniprogram"
    detail = desk.detail("triage", case["id"])
    assert detail["complainants"][0]["phone"] == "13912345678"  # the bound phone, for the center only

    mine = phone.get("/complaints").get_json()
    assert [c["reference"] for c in mine] == [case["reference"]]
    progress = phone.get(f"/complaints/{case['id']}").get_json()
    assert progress["status_label"] == "待受理" and progress["timeline"][0]["action_label"] == "已提交"
    more = phone.upload(png(), "more.png", purpose="supplement").get_json()
    assert (
        phone.post(
            f"/complaints/{case['id']}/materials", {"text": "补充罚款单照片", "attachment_ids": [more["id"]]}
        ).status_code
        == 204
    )

    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept", {"note": "内部：与另案相关"})
    state = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    leg = state["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    desk.ok("samr.handler", f"{url}/legs/{leg}/reply", {"reply": "已撤销处罚"})
    desk.ok("triage", f"{url}/review")
    desk.ok("supervisor", f"{url}/close", {"conclusion": "处罚已撤销，罚款已退还。"})
    progress = phone.get(f"/complaints/{case['id']}").get_json()
    assert progress["status"] == "closed" and progress["conclusion"] == "处罚已撤销，罚款已退还。"
    assert "内部" not in str(progress)
    actions = [event["action_label"] for event in progress["timeline"]]
    assert "已补充材料" in actions and "已办结" in actions
    reply = phone.get(f"/complaints/{case['id']}/documents/reply")
    assert reply.status_code == 200 and "答复意见书" in reply.get_data(as_text=True)

    assert (
        phone.post(f"/complaints/{case['id']}/rating", {"outcome": "dissatisfied", "comment": "未到账"}).status_code
        == 204
    )
    assert desk.detail("supervisor", case["id"])["case"]["redo_count"] == 1
    redo = desk.detail("supervisor", case["id"])["case"]["legs"][-1]["id"]
    desk.ok("samr.handler", f"{url}/legs/{redo}/sign")
    desk.ok("samr.handler", f"{url}/legs/{redo}/reply", {"reply": "已到账"})
    desk.ok("triage", f"{url}/review")
    desk.ok("supervisor", f"{url}/close", {"conclusion": "罚款已到账。"})
    assert phone.post(f"/complaints/{case['id']}/rating", {"outcome": "satisfied"}).status_code == 204
    assert phone.post(f"/complaints/{case['id']}/recheck", {"reason": "对处理过程有意见"}).status_code == 204
    assert desk.detail("supervisor", case["id"])["case"]["recheck_status"] == "requested"

    grants = phone.post(
        "/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED", "TEMPLATE-REPLIED", "TEMPLATE-REPLIED"]}
    )
    assert grants.get_json() == {"unspent": {"TEMPLATE-ACCEPTED": 1, "TEMPLATE-REPLIED": 2}}

    other = Phone(client, "bob").ready()
    assert other.get(f"/complaints/{case['id']}").status_code == 404
    assert other.get("/complaints").get_json() == []


def test_login_errors_are_clear(client: FlaskClient, fake_wechat: FakeWeChat) -> None:
    expected = {
        "bad": (401, "wx_invalid_code"),
        "limited": (429, "wx_rate_limited"),
        "blocked": (403, "wx_user_blocked"),
    }
    for code, (status, error) in expected.items():
        response = client.post("/api/mp/v1/session", json={"code": code})
        assert (response.status_code, response.get_json()["code"]) == (status, error)
    assert client.post("/api/mp/v1/session", json={"code": "carol:1"}).status_code == 201
    reused = client.post("/api/mp/v1/session", json={"code": "carol:1"})
    assert reused.status_code == 401 and reused.get_json()["code"] == "wx_invalid_code"
    assert client.get("/api/mp/v1/complaints", headers={"Authorization": "Bearer nope"}).status_code == 401
    fake_wechat.stop()
    down = client.post("/api/mp/v1/session", json={"code": "carol:2"})
    assert down.status_code == 503 and down.get_json()["code"] == "wechat_unavailable"


def test_text_checks_consents_and_authorization(app: Flask, client: FlaskClient, desk: Desk) -> None:
    phone = Phone(client, "dave").ready()
    licence = phone.upload(LICENCE_PDF, "licence.pdf", purpose="licence").get_json()
    risky = phone.post("/complaints", enterprise_filing([licence["id"]], content="这里有违禁内容"))
    assert risky.status_code == 400 and risky.get_json()["code"] == "content_risky"
    no_licence = phone.post("/complaints", enterprise_filing([]))
    assert no_licence.status_code == 400 and no_licence.get_json()["code"] == "authorization_required"
    with_id = {
        "title": "t",
        "content": "c",
        "respondent": "r",
        "persons": [{"kind": "individual", "name": "张三", "id_number": "11010519491231002X"}],
    }
    assert phone.post("/complaints", with_id).get_json()["code"] == "id_number_consent_required"
    assert phone.post("/consents/id-number").status_code == 204
    assert phone.post("/complaints", with_id).status_code == 201
    review = phone.post("/complaints", enterprise_filing([licence["id"]], content="内容待审核：待审"))
    assert review.status_code == 201
    with app.app_context():
        flags = db.session.scalars(select(Complaint.content_flag).order_by(Complaint.id)).all()
    assert flags == [None, "review"]


def test_ids_beyond_a_database_key_are_refused_before_any_query(client: FlaskClient) -> None:
    phone = Phone(client, "erin").ready()
    assert phone.get(f"/complaints/{2**31}").status_code == 404
    assert phone.post(f"/complaints/{2**63}/withdraw", {}).status_code == 404
    filing = phone.post("/complaints", enterprise_filing([2**63]))
    assert filing.status_code == 400 and "attachment_ids" in filing.get_json()["details"]["json"]


def test_odd_but_signed_events_and_file_names_are_taken_calmly(app: Flask, client: FlaskClient) -> None:
    odd_result = {"Event": "wxa_media_check", "trace_id": "x", "result": "s"}
    for body in ([1, 2], "text", {"Event": "wxa_media_check", "trace_id": "x\u0000"}, odd_result):
        answer = client.post(f"/api/wechat/events?{event_query()}", data=json.dumps(body), content_type="text/plain")
        assert answer.status_code == 200 and answer.get_data(as_text=True) == "success", body
    phone = Phone(client, "fay").ready()
    uploaded = phone.upload(png(), "../照片\u0000\u0007.png")
    assert uploaded.status_code == 201, uploaded.get_json()
    with app.app_context():
        stored = db.session.get(Attachment, uploaded.get_json()["id"])
        assert stored is not None and stored.original_name == "照片.png"


def test_anonymous_filing_is_reachable_only_by_its_query_code(app: Flask, client: FlaskClient, desk: Desk) -> None:
    phone = Phone(client, "erin").ready()
    photo = phone.upload(png(), "p.png").get_json()
    filed = phone.post(
        "/complaints",
        {
            "title": "匿名反映索要好处费",
            "content": "执法人员暗示缴纳协调费。",
            "respondent": "某市场监管所",
            "anonymous": True,
            "attachment_ids": [photo["id"]],
        },
    ).get_json()
    assert filed["id"] is None and len(filed["query_code"]) == 10
    assert phone.get("/complaints").get_json() == []
    with app.app_context():
        case = db.session.scalars(select(Complaint)).one()
        attachment = db.session.scalars(select(Attachment)).one()
        assert case.owner_account_id is None and case.parties == [] and attachment.uploader_account_id is None
        case_id = case.id
    assert phone.get(f"/complaints/{case_id}").status_code == 404
    found = client.post(
        "/api/public/v1/progress", json={"reference": filed["reference"], "query_code": filed["query_code"]}
    )
    assert found.status_code == 200 and found.get_json()["status"] == "submitted"
    center = desk.detail("triage", case_id)
    assert center["complainants"] == [] and center["attachments"][0]["original_name"] == f"附件{photo['id']}.png"


def test_the_access_token_is_shared_between_processes(
    app: Flask, client: FlaskClient, fake_wechat: FakeWeChat, config_overrides: dict[str, Any], tmp_path: Any
) -> None:
    from api import create_app

    from .conftest import keys_of, make_config

    database = app.config["SQLALCHEMY_DATABASE_URI"]
    second = create_app(make_config(tmp_path, database, **keys_of(app), **config_overrides))
    Phone(client, "frank")
    Phone(second.test_client(), "grace")
    assert fake_wechat.tokens_issued == 1
    assert len(fake_wechat.calls("/cgi-bin/stable_token")) == 1
    with second.app_context():
        db.engine.dispose()


def test_the_access_token_is_shared_through_redis(
    app: Flask, fake_wechat: FakeWeChat, config_overrides: dict[str, Any], tmp_path: Any
) -> None:
    import redis

    from api import create_app

    from .conftest import keys_of, make_config
    from .services import REDIS_URL, redis_problem, require

    require("Redis", redis_problem())
    redis.Redis.from_url(REDIS_URL).flushdb()
    apps = [
        create_app(
            make_config(
                tmp_path / str(i),
                app.config["SQLALCHEMY_DATABASE_URI"],
                redis_url=REDIS_URL,
                **keys_of(app),
                **config_overrides,
            )
        )
        for i in range(2)
    ]
    for index, other in enumerate(apps):
        Phone(other.test_client(), f"henry{index}")
    assert fake_wechat.tokens_issued == 1
    assert redis.Redis.from_url(REDIS_URL).keys("complaints:wechat:*")
    for other in apps:
        with other.app_context():
            db.engine.dispose()


def jpeg_with_owner() -> bytes:
    from io import BytesIO

    from PIL import Image

    exif = Image.Exif()
    exif[0x013B], exif[0x010F] = "Wang Xiaoer", "PhoneMaker"  # Artist, Make
    out = BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def test_staff_see_flags_and_departments_never_get_identifying_attachments(
    client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "ivy").ready()
    photo = phone.upload(png(), "scene.png").get_json()
    licence = phone.upload(LICENCE_PDF, "licence.pdf", purpose="licence").get_json()
    case = phone.post("/complaints", enterprise_filing([photo["id"], licence["id"]], content="内容待审")).get_json()
    url = f"/api/v1/complaints/{case['id']}"
    center = desk.detail("triage", case["id"])
    assert center["case"]["content_flag"] == "review"
    assert {a["purpose"] for a in center["attachments"]} == {"evidence", "licence"}
    assert desk.get("triage", f"{url}/attachments/{licence['id']}").data == LICENCE_PDF
    desk.ok("triage", f"{url}/accept")
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    department = desk.detail("samr.handler", case["id"])
    assert [a["purpose"] for a in department["attachments"]] == ["evidence"]
    assert desk.get("samr.handler", f"{url}/attachments/{licence['id']}").status_code == 404
    assert desk.get("samr.handler", f"{url}/attachments/{photo['id']}").data == png()
    # file names are the uploader's words (周某身份证.png): the center sees them, a department a neutral name
    assert {a["original_name"] for a in center["attachments"]} == {"scene.png", "licence.pdf"}
    assert [a["original_name"] for a in department["attachments"]] == [f"附件{photo['id']}.png"]
    download = desk.get("samr.handler", f"{url}/attachments/{photo['id']}")
    assert "scene" not in download.headers["Content-Disposition"]

    shot = jpeg_with_owner()
    added = phone.upload(shot, "IMG_0001.jpg").get_json()
    phone.post(f"/complaints/{case['id']}/materials", {"text": "补充现场照片", "attachment_ids": [added["id"]]})
    assert desk.get("triage", f"{url}/attachments/{added['id']}").data == shot  # the center keeps the original
    stripped = desk.get("samr.handler", f"{url}/attachments/{added['id']}").data
    assert stripped[:2] == b"\xff\xd8" and b"PhoneMaker" not in stripped and b"Wang Xiaoer" not in stripped


# Subscribe messages (delivered by the outbox relay)

SIMPLE_FILING = {
    "title": "执法人员对小额标签瑕疵顶格罚款",
    "content": "未责令改正即处以顶格罚款。",
    "respondent": "市市场监督管理局",
    "persons": [{"kind": "individual", "name": "陈晓梅"}],
}


def relay(app: Flask) -> None:
    """As the workers relay: in lanes (threads) on PostgreSQL."""
    with app.app_context(), Session(db.engine) as session:
        relay_once(session, senders(), lanes=4)


def channels(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.event, OutboxMessage.channel).where(OutboxMessage.audience == "complainant")
        ).all()
    return {event: channel for event, channel in rows if channel is not None}


def sms_lines(app: Flask) -> list[dict[str, str]]:
    path = Path(app.instance_path) / "sms-outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_granted_event_goes_by_subscribe_message_and_the_rest_by_sms(
    app: Flask, client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "amy").ready()
    phone.post("/phone", {"code": "phone:13912345678"})
    phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED"]})
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    relay(app)
    sent = fake_wechat.calls("/cgi-bin/message/subscribe/send")
    assert len(sent) == 1
    body = sent[0].body
    assert body["touser"] == FakeWeChat.openid_for("amy") and body["template_id"] == "TEMPLATE-ACCEPTED"
    assert body["data"]["character_string1"]["value"] == case["reference"]
    assert body["data"]["phrase2"]["value"] == "已受理"
    assert len(body["data"]["time4"]["value"]) == 16
    assert channels(app) == {"complaint.received": "sms", "complaint.accepted": "wechat"}
    assert [line["phone"] for line in sms_lines(app)] == ["139****5678"]
    with app.app_context():
        assert db.session.scalar(select(SubscriptionGrant.spent_at)) is not None


def test_43101_falls_back_to_sms(app: Flask, client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat) -> None:
    phone = Phone(client, "ben").ready()
    phone.post("/phone", {"code": "phone:13700137000"})
    phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED"]})
    fake_wechat.no_quota.add(FakeWeChat.openid_for("ben"))
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    relay(app)
    assert len(fake_wechat.calls("/cgi-bin/message/subscribe/send")) == 1
    assert channels(app)["complaint.accepted"] == "sms"
    assert sms_lines(app)[-1] == {"phone": "137****7000", "text": f"【{case['reference']}】您的诉求已受理"}


def test_values_are_cut_to_wechat_limits() -> None:
    assert fit("thing3", "一" * 25) == "一" * 19 + "…"
    assert fit("phrase2", "不予受理决定书") == "不予受理决"
    assert fit("character_string1", "A" * 40) == "A" * 32
    assert fit("time4", "2026-11-22 16:00") == "2026-11-22 16:00"


# WeChat's content checks: never a lost filing, never a lock held while WeChat answers

TEXT_CHECK, MEDIA_CHECK = "/wxa/msg_sec_check", "/wxa/media_check_async"


def flag_notes(detail: dict[str, Any]) -> list[str]:
    return [event["note"] for event in detail["timeline"] if event["action"] == "content_flagged"]


def test_a_filing_wechat_cannot_check_is_filed_and_flagged_for_staff(
    client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "kim").ready()
    photo = phone.upload(png(), "scene.png").get_json()
    fake_wechat.inactive.add(FakeWeChat.openid_for("kim"))  # 61010: no visit in the last two hours
    filed = phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": [photo["id"]]})
    assert filed.status_code == 201, filed.get_json()
    assert len(fake_wechat.calls(TEXT_CHECK)) == 1
    assert fake_wechat.calls(MEDIA_CHECK) == []  # the same openid would fail again: not even tried
    detail = desk.detail("triage", filed.get_json()["id"])
    assert detail["case"]["content_flag"] == "unchecked"
    assert [note for note in flag_notes(detail) if "61010" in note] == flag_notes(detail) != []
    assert [(a["flagged"], a["media_check"]) for a in detail["attachments"]] == [(True, "unchecked")]
    progress = phone.get(f"/complaints/{filed.get_json()['id']}").get_json()
    assert "61010" not in str(progress) and "content_flagged" not in str(progress)

    fake_wechat.inactive.clear()
    failures: list[tuple[Callable[[], None], str]] = [
        (lambda: fake_wechat.outages.add(TEXT_CHECK), "无法连接"),
        (lambda: fake_wechat.errors.update({TEXT_CHECK: (40003, "invalid openid")}), "40003"),
        (lambda: fake_wechat.errors.update({TEXT_CHECK: (-1, "system error")}), "-1"),
        (fake_wechat.stop, "无法连接"),
    ]
    for fail, reason in failures:
        fake_wechat.outages.clear()
        fake_wechat.errors.clear()
        fail()
        filed = phone.post("/complaints", SIMPLE_FILING)
        assert filed.status_code == 201, (reason, filed.get_json())
        detail = desk.detail("triage", filed.get_json()["id"])
        assert detail["case"]["content_flag"] == "unchecked"
        assert len(flag_notes(detail)) == 1 and reason in flag_notes(detail)[0]


def reference_counter_probe(database_url: str) -> Callable[[], bool]:
    """Whether another connection could take a reference number at once (without waiting for a lock)."""
    options: dict[str, Any] = {"timeout": 0} if database_url.startswith("sqlite") else {}
    engine = create_engine(database_url, poolclass=NullPool, connect_args=options)
    claim = (
        "BEGIN IMMEDIATE"  # SQLite's write lock, which the filing's counter upsert takes
        if database_url.startswith("sqlite")
        else "SELECT value FROM yearly_counter FOR UPDATE NOWAIT"
    )

    def probe() -> bool:
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(claim)
                connection.rollback()
        except OperationalError:
            return False
        return True

    return probe


def test_wechat_is_asked_before_the_reference_number_is_taken(
    app: Flask, client: FlaskClient, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "lee").ready()
    assert phone.post("/complaints", SIMPLE_FILING).status_code == 201  # the year's counter row exists
    photos = [phone.upload(png(), f"p{i}.png").get_json()["id"] for i in range(3)]
    probe = reference_counter_probe(app.config["SQLALCHEMY_DATABASE_URI"])
    counter_free: list[bool] = []
    fake_wechat.observers.append(
        lambda call: counter_free.append(probe()) if call.path in (TEXT_CHECK, MEDIA_CHECK) else None
    )
    filed = phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": photos})
    assert filed.status_code == 201, filed.get_json()
    assert counter_free == [True] * 4  # one text check and three image checks, none waiting on our lock
    with app.app_context():
        checks = db.session.execute(
            select(Attachment.media_trace_id, Attachment.media_check).where(Attachment.id.in_(photos))
        ).all()
    assert len({trace for trace, _ in checks if trace}) == 3 and {state for _, state in checks} == {"pending"}


def test_an_image_check_wechat_refuses_flags_the_image_and_the_filing_stands(
    client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "mia").ready()
    ids = [phone.upload(png(), "a.png").get_json()["id"], phone.upload(png(), "b.png").get_json()["id"]]
    ids.append(phone.upload(LICENCE_PDF, "c.pdf").get_json()["id"])
    fake_wechat.errors[MEDIA_CHECK] = (45011, "api minute-quota reach limit")
    filed = phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": ids})
    assert filed.status_code == 201, filed.get_json()
    assert len(fake_wechat.calls(MEDIA_CHECK)) == 1  # after the first refusal the others are not tried
    detail = desk.detail("triage", filed.get_json()["id"])
    assert detail["case"]["content_flag"] is None
    checks = {a["id"]: (a["flagged"], a["media_check"]) for a in detail["attachments"]}
    assert checks == {ids[0]: (True, "unchecked"), ids[1]: (True, "unchecked"), ids[2]: (False, None)}


def test_supplementary_text_is_checked_and_flagged_like_a_filing(
    client: FlaskClient, desk: Desk, fake_wechat: FakeWeChat
) -> None:
    phone = Phone(client, "ned").ready()
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    materials = f"/complaints/{case['id']}/materials"
    risky = phone.post(materials, {"text": "补充：违禁内容"})
    assert (risky.status_code, risky.get_json()["code"]) == (400, "content_risky")
    assert risky.get_json()["message"] == "补充内容含有违法违规信息，请修改后重新提交"
    detail = desk.detail("triage", case["id"])
    assert detail["case"]["content_flag"] is None
    assert "material_added" not in [event["action"] for event in detail["timeline"]]

    assert phone.post(materials, {"text": "补充说明，内容待审"}).status_code == 204
    detail = desk.detail("triage", case["id"])
    assert detail["case"]["content_flag"] == "review"
    assert flag_notes(detail) == ["补充说明经微信内容安全检测，建议人工审核"]

    fake_wechat.inactive.add(FakeWeChat.openid_for("ned"))
    assert phone.post(materials, {"text": "再补充一句"}).status_code == 204
    detail = desk.detail("triage", case["id"])
    assert detail["case"]["content_flag"] == "review"  # the stronger flag stays
    assert len(flag_notes(detail)) == 2 and "61010" in flag_notes(detail)[1]

    unchecked = phone.post("/complaints", SIMPLE_FILING).get_json()
    assert desk.detail("triage", unchecked["id"])["case"]["content_flag"] == "unchecked"
    fake_wechat.inactive.clear()
    assert phone.post(f"/complaints/{unchecked['id']}/materials", {"text": "内容待审"}).status_code == 204
    assert desk.detail("triage", unchecked["id"])["case"]["content_flag"] == "review"


def test_a_bad_phone_code_is_not_an_expired_login(client: FlaskClient, fake_wechat: FakeWeChat) -> None:
    phone = Phone(client, "olga").ready()
    for code in ("not-a-phone-code", "phone:13800138000"):
        if code.startswith("phone:"):
            assert phone.post("/phone", {"code": code}).status_code == 200
        refused = phone.post("/phone", {"code": code})  # a bad code, then a used one
        assert refused.status_code == 400
        assert refused.get_json()["code"] == "wx_invalid_phone_code"
        assert refused.get_json()["message"] == "手机号授权已失效，请重新点击“授权手机号”"
    assert len(fake_wechat.calls("/wxa/business/getuserphonenumber")) == 3
    assert phone.get("/complaints").status_code == 200  # still logged in


def test_attachment_limits_are_told_in_chinese(client: FlaskClient) -> None:
    phone = Phone(client, "pam").ready()

    def uploads(count: int) -> list[int]:
        return [phone.upload(LICENCE_PDF, f"{i}.pdf").get_json()["id"] for i in range(count)]

    ten = uploads(10)
    refused = phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": ten})
    assert refused.status_code == 400
    assert refused.get_json() | {"details": None} == {
        "code": "too_many_attachments",
        "message": "每次最多提交9个附件",
        "details": None,
    }
    case = phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": ten[:9]}).get_json()
    materials = f"/complaints/{case['id']}/materials"
    too_many_at_once = phone.post(materials, {"attachment_ids": uploads(10)})
    assert too_many_at_once.get_json()["code"] == "too_many_attachments"
    for _ in range(2):
        assert phone.post(materials, {"attachment_ids": uploads(9)}).status_code == 204  # 27 on the case
    three = uploads(3)
    over = phone.post(materials, {"attachment_ids": three})
    assert (over.status_code, over.get_json()["code"]) == (400, "too_many_attachments")
    assert over.get_json()["message"] == "每件诉求的附件合计最多29个，本案还可补充2个"
    assert phone.post(materials, {"attachment_ids": three[:2]}).status_code == 204
    full = phone.post(materials, {"attachment_ids": three[2:]})
    assert full.get_json()["message"] == "每件诉求的附件合计最多29个，本案还可补充0个"
    assert phone.post(materials, {"text": "文字说明仍可补充"}).status_code == 204


def test_only_templates_the_center_sends_with_can_be_subscribed(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client, "quinn").ready()
    unknown = phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ACCEPTED", "made-up", "also-made-up"]})
    assert unknown.status_code == 400
    assert unknown.get_json()["code"] == "unknown_template"
    assert unknown.get_json()["details"] == {"template_ids": ["also-made-up", "made-up"]}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubscriptionGrant)) == 0
        set_mapping(
            db.session(),
            event="complaint.closed",
            template_id="TEMPLATE-ADMIN-CLOSED",
            fields="character_string1=reference,phrase2=status",
            page="",
            known_events=["complaint.closed"],
            actor="admin",
            now=utcnow(),
        )
        db.session.commit()
    mapped = phone.post("/subscriptions", {"template_ids": ["TEMPLATE-ADMIN-CLOSED", "TEMPLATE-ACCEPTED"]})
    assert mapped.get_json() == {"unspent": {"TEMPLATE-ADMIN-CLOSED": 1, "TEMPLATE-ACCEPTED": 1}}
    replaced = phone.post("/subscriptions", {"template_ids": ["TEMPLATE-REPLIED"]})  # no event sends with it now
    assert (replaced.status_code, replaced.get_json()["code"]) == (400, "unknown_template")


def filed_photos(app: Flask, client: FlaskClient, user: str, count: int) -> tuple[Phone, list[str]]:
    """A filing with ``count`` photos; their media-check trace ids, in upload order."""
    phone = Phone(client, user).ready()
    ids = [phone.upload(png(), f"{i}.png").get_json()["id"] for i in range(count)]
    assert phone.post("/complaints", {**SIMPLE_FILING, "attachment_ids": ids}).status_code == 201
    with app.app_context():
        traces = {a.id: a.media_trace_id for a in db.session.scalars(select(Attachment))}
    return phone, [str(traces[i]) for i in ids]


def media_state(app: Flask, trace_id: str) -> tuple[bool, str | None]:
    with app.app_context():
        attachment = db.session.scalars(select(Attachment).where(Attachment.media_trace_id == trace_id)).one()
        return attachment.flagged, attachment.media_check


def test_media_verdicts_pass_clear_and_the_worst_verdict_stands(
    app: Flask, client: FlaskClient, fake_wechat: FakeWeChat
) -> None:
    _, (clean, bad) = filed_photos(app, client, "rose", 2)
    assert media_state(app, clean) == media_state(app, bad) == (False, "pending")

    def push(trace_id: str, suggest: str) -> None:
        answer = client.post(
            f"/api/wechat/events?{event_query()}", json=fake_wechat.media_check_event(trace_id, suggest)
        )
        assert answer.get_data(as_text=True) == "success"

    push(clean, "pass")
    assert media_state(app, clean) == (False, "pass")
    push(bad, "review")
    assert media_state(app, bad) == (True, "review")
    push(bad, "risky")
    push(bad, "pass")  # a later (or replayed) pass never clears a worse verdict
    push(bad, "review")
    assert media_state(app, bad) == (True, "risky")
    push(clean, "something-new")  # an unknown verdict asks for a person
    assert media_state(app, clean) == (True, "review")


def test_event_pushes_must_be_recent(app: Flask, client: FlaskClient, fake_wechat: FakeWeChat) -> None:
    _, (trace,) = filed_photos(app, client, "sam", 1)
    event = fake_wechat.media_check_event(trace, "risky")
    now = int(time.time())
    for stale in (str(now - 301), str(now + 301), "1" * 40, "１７００００００００"):
        answer = client.post(f"/api/wechat/events?{event_query(timestamp=stale)}", json=event)
        assert (answer.status_code, answer.get_json()["code"]) == (401, "stale_timestamp"), stale
        url_check = client.get(f"/api/wechat/events?{event_query(timestamp=stale)}&echostr=hello")
        assert url_check.status_code == 401
    assert media_state(app, trace) == (False, "pending")
    recent = client.post(f"/api/wechat/events?{event_query(timestamp=str(now - 200))}", json=event)
    assert recent.get_data(as_text=True) == "success"
    assert media_state(app, trace) == (True, "risky")
    assert client.get(f"/api/wechat/events?{event_query()}&echostr=hello").get_data(as_text=True) == "hello"


def test_signed_media_links_expire(app: Flask, client: FlaskClient, fake_wechat: FakeWeChat) -> None:
    before = int(time.time())
    filed_photos(app, client, "tess", 1)
    url = urlsplit(fake_wechat.calls(MEDIA_CHECK)[0].body["media_url"])
    expires = int(dict(part.split("=", 1) for part in url.query.split("&"))["e"])
    assert before + 3600 <= expires <= int(time.time()) + 3600  # an hour: WeChat answers within 30 minutes
    assert client.get(f"{url.path}?{url.query}").data == png()
    extended = url.query.replace(f"e={expires}", f"e={expires + 86400}")
    assert client.get(f"{url.path}?{extended}").status_code == 404
    storage_key = url.path.rsplit("/", 1)[1]
    with app.app_context():
        expired = urlsplit(upload_store().signed_url("http://x", storage_key, int(time.time()) - 1))
    gone = client.get(f"{expired.path}?{expired.query}")
    assert (gone.status_code, gone.get_json()["code"]) == (404, "file_not_found")


def test_uploads_over_the_size_limit_are_refused(app: Flask, client: FlaskClient) -> None:
    phone = Phone(client, "uma").ready()
    with app.app_context():
        limit = upload_store().max_bytes
    image = png()
    too_big = phone.upload(image + b"\0" * (limit + 1 - len(image)), "big.png")
    assert (too_big.status_code, too_big.get_json()["code"]) == (400, "file_too_large")
    assert too_big.get_json()["message"] == f"单个文件不能超过{limit // (1024 * 1024)}MB"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert phone.upload(image + b"\0" * (limit - len(image)), "just-fits.png").status_code == 201


def test_a_complainant_withdraws_before_acceptance_only(client: FlaskClient, desk: Desk) -> None:
    phone = Phone(client, "vic").ready()
    first = phone.post("/complaints", SIMPLE_FILING).get_json()
    assert phone.post(f"/complaints/{first['id']}/withdraw", {"reason": "已自行协商解决"}).status_code == 204
    progress = phone.get(f"/complaints/{first['id']}").get_json()
    assert progress["status"] == "withdrawn" and progress["timeline"][-1]["action_label"] == "已撤回"
    second = phone.post("/complaints", SIMPLE_FILING).get_json()
    desk.ok("triage", f"/api/v1/complaints/{second['id']}/accept")
    late = phone.post(f"/complaints/{second['id']}/withdraw", {"reason": "不想继续"})
    assert (late.status_code, late.get_json()["code"]) == (409, "invalid_transition")
    assert phone.get(f"/complaints/{second['id']}").get_json()["status"] == "accepted"


def test_a_recheck_is_refused_more_than_30_days_after_the_reply(app: Flask, client: FlaskClient, desk: Desk) -> None:
    phone = Phone(client, "wes").ready()
    case = phone.post("/complaints", SIMPLE_FILING).get_json()
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept")
    leg = desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{leg}/sign")
    desk.ok("samr.handler", f"{url}/legs/{leg}/reply", {"reply": "已撤销处罚"})
    desk.ok("triage", f"{url}/review")
    desk.ok("supervisor", f"{url}/close", {"conclusion": "处罚已撤销。"})

    def replied_days_ago(days: int) -> None:
        with app.app_context():
            closed = utcnow() - timedelta(days=days)
            db.session.execute(update(Complaint).where(Complaint.id == case["id"]).values(closed_at=closed))
            db.session.commit()

    replied_days_ago(45)  # 30 days, moved to the next working day when the 30th is a rest day (at most ~8 more)
    late = phone.post(f"/complaints/{case['id']}/recheck", {"reason": "对处理结果有意见"})
    assert (late.status_code, late.get_json()["code"]) == (409, "invalid_transition")
    assert late.get_json()["message"] == "已超过复查申请期限（答复之日起30日）"
    replied_days_ago(29)
    assert phone.post(f"/complaints/{case['id']}/recheck", {"reason": "对处理结果有意见"}).status_code == 204
