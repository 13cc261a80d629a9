"""Departments see only their own cases, never the complainant unless revealed; every read of personal data
is in the access log."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import select

from complaints.complainants import Complainant
from complaints.database import db

from .console_client import ConsoleUser
from .desk import Desk

NOT_A_DEPARTMENT = "东城区某街道办事处"  # the unit complained about, when a test reveals the identity to the lead


def assigned_case(desk: Desk, lead: str = "city-samr", respondent: str | None = None) -> dict:  # type: ignore[type-arg]
    case = desk.register(**({"respondent": respondent} if respondent else {}))["case"]
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{case['id']}/assign", {"lead_department": lead})
    return case  # type: ignore[no-any-return]


def test_departments_see_only_their_cases_and_no_identity_unless_revealed(app: Flask, desk: Desk) -> None:
    case = assigned_case(desk, respondent=NOT_A_DEPARTMENT)
    other = assigned_case(desk, lead="city-eco")

    assert desk.get("eco.handler", f"/api/v1/complaints/{case['id']}").status_code == 404
    listed = desk.get("eco.handler", "/api/v1/complaints").get_json()
    assert [item["id"] for item in listed["items"]] == [other["id"]]
    leg_id = desk.detail("supervisor", case["id"])["case"]["legs"][0]["id"]
    assert desk.post("eco.handler", f"/api/v1/complaints/{case['id']}/legs/{leg_id}/sign").status_code == 404

    redacted = desk.detail("samr.handler", case["id"])
    text = json.dumps(redacted, ensure_ascii=False)
    assert redacted["identity_redacted"] is True and redacted["complainants"] == []
    for secret in ("13912345678", "刘建国", "示例食品有限公司", "91350100M000100Y43"):
        assert secret not in text
    assert desk.post("samr.handler", "/api/v1/complainants/search", {"phone": "13912345678"}).status_code == 403

    center_view = desk.detail("triage", case["id"])
    assert center_view["complainants"][0]["phone"] == "13912345678"
    assert center_view["complainants"][0]["enterprise_name"] == "示例食品有限公司"

    refused = desk.post(
        "triage", f"/api/v1/complaints/{case['id']}/disclosures", {"department": "city-samr", "reason": "核实需要"}
    )
    assert refused.status_code == 403
    not_on_case = desk.post(
        "supervisor", f"/api/v1/complaints/{case['id']}/disclosures", {"department": "city-eco", "reason": "核实需要"}
    )
    assert not_on_case.status_code == 400
    desk.ok(
        "supervisor",
        f"/api/v1/complaints/{case['id']}/disclosures",
        {"department": "city-samr", "reason": "诉求人同意，需当面核实"},
    )
    revealed = desk.detail("samr.handler", case["id"])
    assert revealed["identity_redacted"] is False and revealed["complainants"][0]["phone"] == "13912345678"
    assert desk.detail("eco.handler", other["id"])["identity_redacted"] is True

    log = desk.get("auditor", "/api/v1/audit-events?action=personal_data.read").get_json()
    readers = {(event["actor_name"], event["target"]) for event in log}
    assert ("triage", f"complaint:{case['id']}") in readers
    assert ("samr.handler", f"complaint:{case['id']}") in readers
    assert all(event["details"]["purpose"] for event in log)
    assert not any(event["actor_name"] == "eco.handler" for event in log)
    revealed_events = desk.get("auditor", "/api/v1/audit-events?action=identity.revealed").get_json()
    assert revealed_events[0]["actor_name"] == "supervisor"


def test_a_department_cannot_find_its_cases_by_who_complained(desk: Desk) -> None:
    case = assigned_case(desk)

    def found(username: str, text: str) -> list[int]:
        page = desk.get(username, f"/api/v1/complaints?q={text}").get_json()
        return [item["id"] for item in page["items"]]

    assert found("samr.handler", "顶格罚款") == [case["id"]]
    assert found("samr.handler", "示例食品") == found("samr.handler", "91350100M000100Y43") == []
    assert found("triage", "示例食品") == found("triage", "91350100M000100Y43") == [case["id"]]


def test_personal_data_is_encrypted_at_rest_and_found_by_phone(app: Flask, desk: Desk) -> None:
    case = desk.register()["case"]
    with app.app_context():
        row = db.session.scalars(select(Complainant)).one()
        stored = " ".join(str(value) for value in (row.name_encrypted, row.phone_encrypted, row.phone_hash))
    assert "13912345678" not in stored and "刘建国" not in stored
    assert row.enterprise_name == "示例食品有限公司"  # stays searchable in clear
    found = desk.post("clerk", "/api/v1/complainants/search", {"phone": "+86 139-1234-5678"}).get_json()
    assert found[0]["references"] == [case["reference"]]
    assert found[0]["complainant"]["name"] == "刘建国"
    log = desk.get("auditor", "/api/v1/audit-events?action=personal_data.read").get_json()
    assert log[0]["actor_name"] == "clerk" and log[0]["details"]["purpose"] == "phone_lookup"


def test_bad_identity_data_is_refused(desk: Desk) -> None:
    bad_code = desk.post(
        "clerk",
        "/api/v1/complaints",
        {
            "channel": "walkin",
            "title": "t",
            "content": "c",
            "respondent": "r",
            "persons": [{"kind": "enterprise", "enterprise_name": "某公司", "credit_code": "91350100M000100Y44"}],
        },
    )
    assert bad_code.status_code == 400 and bad_code.get_json()["code"] == "invalid_credit_code"
    anonymous_with_name = desk.post(
        "clerk",
        "/api/v1/complaints",
        {
            "channel": "walkin",
            "title": "t",
            "content": "c",
            "respondent": "r",
            "confidentiality": "anonymous",
            "persons": [{"kind": "individual", "name": "张三"}],
        },
    )
    assert anonymous_with_name.get_json()["code"] == "anonymous_with_identity"
    bad_id = desk.post(
        "clerk",
        "/api/v1/complaints",
        {
            "channel": "walkin",
            "title": "t",
            "content": "c",
            "respondent": "r",
            "persons": [{"kind": "individual", "name": "张三", "id_number": "110101199003070000"}],
        },
    )
    assert bad_id.get_json()["code"] == "invalid_id_number"
    naive_due = desk.post(
        "clerk",
        "/api/v1/complaints",
        {
            "channel": "hotline",
            "title": "t",
            "content": "c",
            "respondent": "r",
            "external_due_at": "2027-01-01T00:00:00",
            "persons": [{"kind": "individual", "name": "张三"}],
        },
    )
    assert naive_due.status_code == 400


def test_query_code_is_stored_only_as_hash_and_reissue_voids_it(app: Flask, desk: Desk) -> None:
    from api.settings import personal_data_cipher
    from complaints.cases import Complaint
    from complaints.intake import query_code_digest

    registered = desk.register()
    first = registered["query_code"]
    second = desk.ok("triage", f"/api/v1/complaints/{registered['case']['id']}/query-code")["query_code"]
    assert second != first
    with app.app_context():
        stored = db.session.scalars(select(Complaint.query_code_hash)).one()
        cipher = personal_data_cipher()
        assert stored == query_code_digest(cipher, second)
        assert stored != query_code_digest(cipher, first) and first not in stored


def test_identity_is_never_revealed_to_the_unit_complained_about_or_a_department_no_longer_on_the_case(
    desk: Desk,
) -> None:
    against_samr = desk.register(respondent_department_code="city-samr")["case"]
    url = f"/api/v1/complaints/{against_samr['id']}"
    desk.ok("triage", f"{url}/accept")
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr", "assisting_departments": ["city-eco"]})
    to_respondent = desk.post("supervisor", f"{url}/disclosures", {"department": "city-samr", "reason": "核实"})
    assert to_respondent.status_code == 400 and to_respondent.get_json()["code"] == "department_is_respondent"
    assert desk.detail("samr.handler", against_samr["id"])["identity_redacted"] is True

    named_only = desk.register()["case"]  # 市市场监督管理局 as typed, no department code given: the name is enough
    named_url = f"/api/v1/complaints/{named_only['id']}"
    desk.ok("triage", f"{named_url}/accept")
    desk.ok("triage", f"{named_url}/assign", {"lead_department": "city-samr"})
    by_name = desk.post("supervisor", f"{named_url}/disclosures", {"department": "city-samr", "reason": "核实"})
    assert by_name.status_code == 400 and by_name.get_json()["code"] == "department_is_respondent"

    case = assigned_case(desk, respondent=NOT_A_DEPARTMENT)
    url = f"/api/v1/complaints/{case['id']}"
    lead = desk.detail("supervisor", case["id"])["case"]["legs"][0]["id"]
    desk.ok("samr.head", f"{url}/legs/{lead}/objection", {"reason": "非本单位职责"})
    objected = desk.post("supervisor", f"{url}/disclosures", {"department": "city-samr", "reason": "核实"})
    assert objected.status_code == 400 and objected.get_json()["code"] == "department_not_on_case"
    never_on_case = desk.post("supervisor", f"{url}/disclosures", {"department": "city-eco", "reason": "核实"})
    assert never_on_case.status_code == 400 and never_on_case.get_json()["code"] == "department_not_on_case"
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-eco"})
    desk.ok("supervisor", f"{url}/disclosures", {"department": "city-eco", "reason": "诉求人同意，需当面核实"})
    assert desk.detail("eco.handler", case["id"])["complainants"][0]["phone"] == "13912345678"


def test_a_revealed_identity_is_hidden_again_once_the_department_objects(desk: Desk) -> None:
    case = assigned_case(desk, respondent=NOT_A_DEPARTMENT)
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("supervisor", f"{url}/disclosures", {"department": "city-samr", "reason": "需当面核实"})
    assert desk.detail("samr.handler", case["id"])["identity_redacted"] is False
    lead = desk.detail("supervisor", case["id"])["case"]["legs"][0]["id"]
    desk.ok("samr.head", f"{url}/legs/{lead}/objection", {"reason": "非本单位职责"})
    after = desk.detail("samr.handler", case["id"])
    assert after["identity_redacted"] is True and after["complainants"] == []


def test_a_phone_typed_with_full_width_digits_is_stored_in_ascii_and_found_by_its_ascii_form(
    app: Flask, desk: Desk
) -> None:
    from api.settings import personal_data_cipher

    person = {
        "kind": "individual",
        "name": "王五",
        "phone": "１３９１２３４５６７８",
        "id_number": "１１０１０５１９４９１２３１００２ｘ",
    }
    case = desk.register(persons=[person])["case"]
    with app.app_context():
        row = db.session.scalars(select(Complainant)).one()
        cipher = personal_data_cipher()
        assert row.phone_encrypted is not None and row.id_number_encrypted is not None
        assert cipher.decrypt(row.phone_encrypted) == "13912345678"
        assert cipher.decrypt(row.id_number_encrypted) == "11010519491231002X"
    for typed in ("13912345678", "139１2345678", "＋８６ １３９－１２３４－５６７８"):
        found = desk.post("clerk", "/api/v1/complainants/search", {"phone": typed}).get_json()
        assert [f["references"] for f in found] == [[case["reference"]]]
    for other_digits in ("139١2345678", "13९12345678"):  # Arabic-Indic and Devanagari digits are refused
        refused = desk.post("clerk", "/api/v1/complainants/search", {"phone": other_digits})
        assert refused.status_code == 400 and refused.get_json()["code"] == "invalid_phone"


def test_the_phone_lookup_takes_the_number_in_the_body_never_in_the_url(app: Flask, desk: Desk) -> None:
    from .console_client import ConsoleUser

    case = desk.register()["case"]
    assert desk.get("clerk", "/api/v1/complainants/search").status_code == 405
    assert desk.get("clerk", "/api/v1/complainants?phone=13912345678").status_code == 404
    user = ConsoleUser(app)
    user.log_in("clerk")
    form = user.get("/console/search").get_data(as_text=True)
    assert 'method="post" action="/console/search/phone"' in form
    without_token = user.client.post("/console/search/phone", data={"phone": "13912345678"})
    assert without_token.status_code == 400
    found = user.post("/console/search/phone", {"phone": "139-1234-5678"})
    assert found.status_code == 200 and found.headers["Cache-Control"] == "no-store"
    assert case["reference"] in found.get_data(as_text=True)
    nobody = user.post("/console/search/phone", {"phone": "13800000000"}).get_data(as_text=True)
    assert "没有找到使用该电话的诉求人" in nobody
    bad = user.post("/console/search/phone", {"phone": "12345"})
    assert bad.status_code == 400 and "电话号码格式不正确" in bad.get_data(as_text=True)
    department = ConsoleUser(app)
    department.log_in("samr.handler")
    assert department.post("/console/search/phone", {"phone": "13912345678"}).status_code == 403


def test_departments_read_the_centers_notes_only_where_the_complainant_may_and_their_own_in_full(
    desk: Desk,
) -> None:
    case = desk.register()["case"]
    url = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{url}/accept", {"note": "内部备注：企业负责人刘建国来电"})
    desk.ok("triage", f"{url}/assign", {"lead_department": "city-samr"})
    lead = desk.detail("supervisor", case["id"])["case"]["legs"][0]["id"]
    desk.ok("samr.handler", f"{url}/legs/{lead}/sign")
    desk.ok("samr.handler", f"{url}/legs/{lead}/extension", {"days": 10, "reason": "需调取执法记录仪视频"})

    def notes(username: str) -> dict[str, str | None]:
        return {e["action"]: e["note"] for e in desk.detail(username, case["id"])["timeline"]}

    department, center = notes("samr.handler"), notes("supervisor")
    assert center["accept"] == "内部备注：企业负责人刘建国来电"
    assert department["accept"] is None  # an internal note on a public step: it can name the complainant
    assert department["assign"] == "交办：市市场监督管理局"  # what the complainant may read too
    assert department["extension_requested"] == "申请延期10日：需调取执法记录仪视频"  # its own step, in full
    page = ConsoleUser(desk.app)
    page.log_in("samr.handler")
    assert "刘建国" not in page.get(f"/console/cases/{case['id']}").get_data(as_text=True)
