"""Triage end to end: suggestions with explanations stored with the case, routing by policy, repeats, clusters,
scope, staff corrections, similar past cases, and the learning commands."""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from api.settings import personal_data_cipher, triage_store
from complaints.cases import Complaint
from complaints.database import db, utcnow
from complaints.outbox import OutboxMessage
from complaints.taxonomy import Category
from triage.history import similar_closed_cases
from triage.records import RiskAlert, TrainingExample, TriageSuggestion
from triage.store import ModelStore, ModelUnavailable
from triage.training import SEED_EXAMPLES

from .desk import ENTERPRISE, Desk
from .triage_helpers import install_seed_model, run_job

PROCEDURE = {
    "title": "执法人员未出示证件就扣押货物",
    "content": "市场监管局执法人员到我店检查，没有出示执法证件，也没有制作现场笔录，直接把货物拉走，连扣押清单都不给。",
    "respondent": "市市场监督管理局",
    "category_code": None,
    "domain_code": None,
}
PERSON_B = {"kind": "individual", "name": "王五", "phone": "13700001111"}
PERSON_C = {"kind": "individual", "name": "赵六", "phone": "13600002222"}
JOINT = [{**PERSON_B, "role": "joint"}, {**PERSON_C, "role": "joint"}]


@pytest.fixture
def triage_desk(desk: Desk, app: Flask, seed_models: Path) -> Desk:
    install_seed_model(app, seed_models)
    return desk


def suggestion(desk: Desk, complaint_id: int) -> dict[str, Any]:
    response = desk.get("triage", f"/api/v1/complaints/{complaint_id}/triage")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def put(desk: Desk, username: str, path: str, body: dict[str, Any]) -> Any:
    return desk.client.put(path, json=body, headers=desk.headers(username))


def route_procedure_cases(desk: Desk, threshold: float) -> None:
    assert (
        put(
            desk,
            "sysadmin",
            "/api/v1/categories/irregular-procedure/auto-route-threshold",
            {"auto_route_threshold": threshold},
        ).status_code
        == 200
    )
    rule = {"department_code": "city-samr", "category_code": "irregular-procedure", "domain_code": "market"}
    assert desk.post("sysadmin", "/api/v1/routing-rules", rule).status_code == 201


def test_filing_stores_a_suggestion_with_its_explanation(triage_desk: Desk, app: Flask) -> None:
    case = triage_desk.register(**PROCEDURE)["case"]
    assert triage_desk.get("triage", f"/api/v1/complaints/{case['id']}/triage").status_code == 404
    assert run_job(app) == 1
    found = suggestion(triage_desk, case["id"])
    assert found["category"]["label"] == "irregular-procedure"
    assert found["category"]["name"] == "执法程序不规范"
    assert found["domain"]["label"] == "market"
    assert 0 < found["category"]["probability"] <= 1
    assert len(found["category"]["candidates"]) == 3
    assert any(term in "".join(found["category"]["evidence"]) for term in ("出示", "证件", "清单", "笔录"))
    assert found["decision"] == "manual"
    assert "未设置自动分办阈值" in "".join(found["manual_reasons"])
    assert run_job(app) == 0  # idempotent: one suggestion per case
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TriageSuggestion)) == 1
    queue = triage_desk.get("triage", "/api/v1/triage/queue").get_json()
    assert [item["reference"] for item in queue] == [case["reference"]]
    assert queue[0]["suggestion"]["category"]["label"] == "irregular-procedure"


def test_a_confident_case_routes_itself_to_the_rule_s_department(triage_desk: Desk, app: Flask) -> None:
    route_procedure_cases(triage_desk, threshold=0.5)
    case = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["decision"] == "auto_routed", found["manual_reasons"]
    assert found["lead_department"] == {"code": "city-samr", "name": "市市场监督管理局"}
    detail = triage_desk.detail("supervisor", case["id"])
    assert detail["case"]["status"] == "assigned"
    assert [leg["department"]["code"] for leg in detail["case"]["legs"]] == ["city-samr"]
    assert detail["case"]["category"]["code"] == "irregular-procedure"
    assert any("自动受理" in (event.get("note") or "") for event in detail["timeline"])
    with app.app_context():
        events = db.session.scalars(select(OutboxMessage.event).where(OutboxMessage.complaint_id == case["id"])).all()
    assert {"complaint.accepted", "case.assigned"} <= set(events)


def test_a_case_below_the_threshold_waits_for_a_person(triage_desk: Desk, app: Flask) -> None:
    route_procedure_cases(triage_desk, threshold=0.999)
    case = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["decision"] == "manual"
    assert any("低于阈值 100%" in reason for reason in found["manual_reasons"])
    assert triage_desk.detail("triage", case["id"])["case"]["status"] == "submitted"


def test_a_repeat_from_the_same_enterprise_is_flagged_for_merging(triage_desk: Desk, app: Flask) -> None:
    route_procedure_cases(triage_desk, threshold=0.5)
    first = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    again = triage_desk.register(**{**PROCEDURE, "title": "再次反映：执法人员扣押货物不出示证件"})["case"]
    run_job(app)
    found = suggestion(triage_desk, again["id"])
    assert found["decision"] == "manual"
    assert found["repeats"][0]["reference"] == first["reference"]
    assert found["repeats"][0]["same_complainant"] is True
    assert found["repeats"][0]["mergeable"] is True  # the first one routed itself and is assigned
    assert "疑似重复投诉，建议并案" in found["manual_reasons"]


def test_an_out_of_scope_case_gets_a_rejection_suggestion_naming_the_channel(triage_desk: Desk, app: Flask) -> None:
    route_procedure_cases(triage_desk, threshold=0.5)
    text = "我与合作方的货款纠纷，我已经向法院起诉，法院正在审理，希望中心督促市场监管局尽快处理。"
    case = triage_desk.register(**{**PROCEDURE, "title": "货款纠纷", "content": text})["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["out_of_scope"]["code"] == "litigation"
    assert "人民法院" in found["out_of_scope"]["lawful_channel"]
    assert found["decision"] == "manual"


def test_urgency_signals_raise_the_suggested_urgency(triage_desk: Desk, app: Flask) -> None:
    text = "环保局以整改为由让我厂停产已经两个月，四十多名工人没有工资，设备也被查封了。"
    case = triage_desk.register(**{**PROCEDURE, "title": "停产两个月", "content": text})["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["urgency"] == "urgent"
    assert {s["code"] for s in found["signals"]} >= {"production_stopped", "assets_seized"}


def test_cases_from_several_complainants_against_one_unit_raise_one_risk_alert(triage_desk: Desk, app: Flask) -> None:
    bodies = [
        {"title": "检查太多", "content": "城管一个月来了五次检查，每次都说要整改。", "persons": [ENTERPRISE]},
        {"title": "重复检查", "content": "东城区城管执法队反复来店里检查招牌。", "persons": [PERSON_B]},
        {"title": "罚款", "content": "城管队员说我占道经营，罚款五百元不给票据。", "persons": [PERSON_C]},
    ]
    cases = [triage_desk.register(**{**PROCEDURE, "respondent": "东城区城市管理执法大队", **b})["case"] for b in bodies]
    run_job(app)
    alerts = triage_desk.get("triage", "/api/v1/risk-alerts").get_json()
    assert len(alerts) == 1
    assert alerts[0]["case_count"] == 3
    assert sorted(alerts[0]["complaint_ids"]) == sorted(c["id"] for c in cases)
    assert suggestion(triage_desk, cases[2]["id"])["risk_alert_id"] == alerts[0]["id"]
    fourth = triage_desk.register(**{**PROCEDURE, "respondent": "东城区城市管理执法大队", "persons": [ENTERPRISE]})
    run_job(app)
    with app.app_context():
        alert = db.session.scalars(select(RiskAlert)).one()  # the open alert grows; the center is told once
        assert (alert.case_count, fourth["case"]["id"] in alert.complaint_ids) == (4, True)
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.event == "risk.alert")).all()
    assert [(m.audience, m.payload["count"]) for m in sent] == [("center", "3")]
    closed = triage_desk.post("supervisor", f"/api/v1/risk-alerts/{alerts[0]['id']}/close")
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert triage_desk.post("triage", f"/api/v1/risk-alerts/{alerts[0]['id']}/close").status_code == 403


def test_staff_corrections_are_kept_as_training_examples(triage_desk: Desk, app: Flask) -> None:
    case = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    path = f"/api/v1/complaints/{case['id']}/classification"
    response = put(triage_desk, "triage", path, {"category_code": "extortion", "domain_code": "market"})
    assert response.status_code == 200, response.get_json()
    put(triage_desk, "triage", path, {"category_code": "arbitrary-fines"})
    with app.app_context():
        rows = {e.head: e for e in db.session.scalars(select(TrainingExample))}
        assert (rows["category"].label, rows["category"].suggested_label, rows["category"].corrected) == (
            "arbitrary-fines",
            "irregular-procedure",
            True,
        )
        assert (rows["domain"].label, rows["domain"].corrected) == ("market", False)
        code = db.session.scalar(
            select(Category.code)
            .join(Complaint, Complaint.category_id == Category.id)
            .where(Complaint.id == case["id"])
        )
        assert code == "arbitrary-fines"
    assert put(triage_desk, "triage", path, {"category_code": "no-such"}).get_json()["code"] == "unknown_category"
    assert put(triage_desk, "triage", path, {}).get_json()["code"] == "nothing_to_classify"


def test_department_users_see_neither_suggestions_nor_the_queue(triage_desk: Desk, app: Flask) -> None:
    case = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    assert triage_desk.get("samr.handler", f"/api/v1/complaints/{case['id']}/triage").status_code == 403
    assert triage_desk.get("samr.handler", "/api/v1/triage/queue").status_code == 403
    assert (
        triage_desk.post("samr.handler", "/api/v1/routing-rules", {"department_code": "city-samr"}).status_code == 403
    )
    assert triage_desk.post("supervisor", "/api/v1/routing-rules", {"department_code": "city-samr"}).status_code == 403
    bad = triage_desk.post("sysadmin", "/api/v1/routing-rules", {"department_code": "city-samr"})
    assert (bad.status_code, bad.get_json()["code"]) == (400, "rule_without_condition")


def test_without_a_usable_model_cases_wait_with_the_reason(triage_desk: Desk, app: Flask) -> None:
    with app.app_context():
        store = triage_store()
        meta_path = store.root / "versions" / str(store.current_version()) / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["libraries"]["scikit-learn"] = "0.1"
    meta_path.write_text(json.dumps(meta))
    case = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["category"] is None and found["decision"] == "manual"
    assert "scikit-learn 0.1" in found["manual_reasons"][0]


def test_the_store_swaps_atomically_keeps_the_previous_and_refuses_foreign_files(
    seed_models: Path, tmp_path: Path
) -> None:
    root = tmp_path / "triage"
    shutil.copytree(seed_models, root)
    store = ModelStore(root)
    first = store.current_version()
    heads = store.load().heads
    second = store.save(heads, {}, utcnow()).version
    assert (store.current_version(), store.previous_version()) == (second, first)
    assert store.rollback() == first
    assert (store.current_version(), store.previous_version()) == (first, second)
    model_file = root / "versions" / str(first) / "model.joblib"
    model_file.write_bytes(model_file.read_bytes() + b"x")
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        ModelStore(root).load()
    (root / "current").write_text("../../elsewhere\n")
    with pytest.raises(ModelUnavailable, match="not a directory inside"):
        ModelStore(root).load()


def test_similar_closed_cases_come_with_their_replies(app: Flask, desk: Desk) -> None:
    from complaints.demo import seed_demo_center

    with app.app_context():
        seed_demo_center(db.session, personal_data_cipher(), now=utcnow())
        db.session.commit()
        closed = db.session.scalars(select(Complaint).where(Complaint.status == "closed")).first()
        assert closed is not None
        probe = {"title": closed.title, "content": closed.content}
    case = desk.register(**probe, respondent="某单位")["case"]
    found = desk.get("triage", f"/api/v1/complaints/{case['id']}/similar?k=3").get_json()
    assert found[0]["reference"] == closed.reference
    assert found[0]["similarity"] > 0.9
    assert found[0]["reply"] or found[0]["conclusion"]
    other = desk.get("samr.handler", f"/api/v1/complaints/{case['id']}/similar")
    assert other.status_code == 404  # not their case
    assert desk.get("triage", f"/api/v1/complaints/{case['id']}/similar?k=99").status_code == 400


def closed_case(desk: Desk, lead: str, handler: str, reply: str, **body: Any) -> dict[str, Any]:
    """A case taken through the whole lifecycle by its lead department, ending closed."""
    case: dict[str, Any] = desk.register(**body)["case"]
    path = f"/api/v1/complaints/{case['id']}"
    desk.ok("triage", f"{path}/accept")
    desk.ok("triage", f"{path}/assign", {"lead_department": lead})
    leg_id = desk.detail("supervisor", case["id"])["case"]["legs"][0]["id"]
    desk.ok(handler, f"{path}/legs/{leg_id}/sign")
    desk.ok(handler, f"{path}/legs/{leg_id}/reply", {"reply": reply})
    desk.ok("triage", f"{path}/review")
    desk.ok("supervisor", f"{path}/close", {"conclusion": f"经核实已处理：{reply}"})
    return case


SEIZURE = "执法人员检查时没有出示证件，当场扣押了我们的货物，不给扣押清单，也没有告知陈述申辩的权利，至今不退还。"


def test_a_department_finds_only_its_own_closed_cases_among_similar_ones(desk: Desk, app: Flask) -> None:
    samr_reply = "市场监管局答复：执法人员程序违法，已责令退还扣押货物。"
    samr_case = closed_case(
        desk, "city-samr", "samr.handler", samr_reply, title="市场监管扣押货物不给清单", content=SEIZURE
    )
    eco_reply = "生态环境局答复：已撤销扣押决定并退还设备。"
    eco_case = closed_case(
        desk,
        "city-eco",
        "eco.handler",
        eco_reply,
        title="环保扣押设备不给清单",
        content=SEIZURE.replace("货物", "设备"),
    )
    probe = desk.register(title="执法人员扣押货物不给清单", content=SEIZURE)["case"]
    desk.ok("triage", f"/api/v1/complaints/{probe['id']}/accept")
    desk.ok("triage", f"/api/v1/complaints/{probe['id']}/assign", {"lead_department": "city-eco"})
    path = f"/api/v1/complaints/{probe['id']}/similar?k=5"

    eco_view = desk.get("eco.handler", path)
    assert eco_view.status_code == 200
    assert [p["reference"] for p in eco_view.get_json()] == [eco_case["reference"]]
    assert eco_view.get_json()[0]["reply"] == eco_reply
    shown = json.dumps(eco_view.get_json(), ensure_ascii=False)
    for secret in (samr_case["reference"], samr_reply, "市场监管扣押货物不给清单"):
        assert secret not in shown
    assert desk.get("eco.handler", f"/api/v1/complaints/{samr_case['id']}").status_code == 404

    center_view = desk.get("triage", path).get_json()
    assert {p["reference"] for p in center_view} == {samr_case["reference"], eco_case["reference"]}
    later = closed_case(desk, "city-eco", "eco.handler", "已退还。", title="扣押不给清单", content=SEIZURE[:40])
    assert later["reference"] in {p["reference"] for p in desk.get("eco.handler", path).get_json()}
    assert desk.get("samr.handler", path).status_code == 404  # the probe is not theirs
    with app.app_context():
        complaint = db.session.get(Complaint, probe["id"])
        assert complaint is not None
        assert similar_closed_cases(db.session, complaint, 5) == []  # no viewer named, nothing shown


def test_a_word_for_word_repeat_from_someone_else_against_another_unit_is_flagged(
    triage_desk: Desk, app: Flask
) -> None:
    first = triage_desk.register(**PROCEDURE)["case"]
    run_job(app)
    copied = {**PROCEDURE, "respondent": "东城区城市管理执法大队", "persons": [PERSON_B]}
    again = triage_desk.register(**copied)["case"]
    run_job(app)
    repeats = suggestion(triage_desk, again["id"])["repeats"]
    assert [(r["reference"], r["same_complainant"]) for r in repeats] == [(first["reference"], False)]
    assert repeats[0]["similarity"] >= 0.85


def test_clusters_match_the_respondent_s_short_name_and_ignore_placeholders(triage_desk: Desk, app: Flask) -> None:
    bodies = [
        {"respondent": "市市场监督管理局", "content": "市场监管所一个月来了五次检查。", "persons": [ENTERPRISE]},
        {"respondent": "市市场监管局", "content": "市场监管执法人员罚款不开票据。", "persons": [PERSON_B]},
        {
            "respondent": "市 市场监督管理局。",
            "content": "食品经营许可证换证被要求参加收费培训。",
            "persons": [PERSON_C],
        },
    ]
    cases = [triage_desk.register(**{**PROCEDURE, **body})["case"] for body in bodies]
    nobody = [
        {"respondent": "不详", "content": "小区门口的路灯坏了很久没人修。", "persons": [ENTERPRISE]},
        {"respondent": "无", "content": "公交车站台被占用，乘客只能站在马路上。", "persons": [PERSON_B]},
        {"respondent": "不详", "content": "菜市场周末噪音太大影响休息。", "persons": [PERSON_C]},
    ]
    unnamed = [triage_desk.register(**{**PROCEDURE, **body})["case"] for body in nobody]
    run_job(app)
    alerts = triage_desk.get("triage", "/api/v1/risk-alerts").get_json()
    assert [sorted(a["complaint_ids"]) for a in alerts] == [sorted(c["id"] for c in cases)]
    assert suggestion(triage_desk, unnamed[2]["id"])["risk_alert_id"] is None


def test_safety_group_and_deadline_signals_make_a_case_critical(triage_desk: Desk, app: Flask) -> None:
    text = "执法人员把我打了一顿，还扬言要弄死我。查封的设备还有三天就要拍卖了。"
    body = {**PROCEDURE, "title": "被执法人员殴打", "content": text, "persons": [ENTERPRISE, *JOINT]}
    case = triage_desk.register(**body)["case"]
    run_job(app)
    found = suggestion(triage_desk, case["id"])
    assert found["urgency"] == "critical"
    signals = {s["code"]: s["evidence"] for s in found["signals"]}
    assert signals["many_complainants"] == "3 名诉求人"
    assert signals["deadline_close"] == "还有三天就要拍卖"
    assert {"personal_safety", "assets_seized"} <= set(signals)


def test_conduct_of_a_court_is_in_scope_and_a_matter_already_in_xinfang_is_not(triage_desk: Desk, app: Flask) -> None:
    delay = "申请劳动仲裁后仲裁委一年不开庭，到法院起诉又排了半年才开庭，请中心督促。"
    petition = "执法人员乱罚款的问题，我已向市信访局反映过多次，一直没有结果。"
    in_scope = triage_desk.register(**{**PROCEDURE, "title": "仲裁和诉讼久拖不决", "content": delay})["case"]
    xinfang = triage_desk.register(**{**PROCEDURE, "title": "乱罚款", "content": petition})["case"]
    run_job(app)
    assert suggestion(triage_desk, in_scope["id"])["out_of_scope"] is None
    found = suggestion(triage_desk, xinfang["id"])["out_of_scope"]
    assert (found["code"], found["evidence"]) == ("petition", "已向市信访")
    assert "复查、复核" in found["lawful_channel"]


def test_the_most_specific_routing_rule_wins(triage_desk: Desk, app: Flask) -> None:
    labels = {"category_code": "irregular-procedure", "domain_code": "market"}
    rules = [
        {"department_code": "city-samr", "category_code": "irregular-procedure"},
        {"department_code": "dist-east-samr", "category_code": "irregular-procedure", "place_contains": "东城区"},
        {"department_code": "dist-east", **labels, "respondent_contains": "东城区市场监督"},
    ]
    for rule in rules:
        assert triage_desk.post("sysadmin", "/api/v1/routing-rules", rule).status_code == 201
    cases = [
        triage_desk.register(**{**PROCEDURE, **labels, **where})["case"]
        for where in (
            {"place": "西城区某街道"},
            {"place": "东城区和平街道"},
            {"place": "东城区和平街道", "respondent": "东城区市场监督管理局"},
        )
    ]
    run_job(app)
    leads = [suggestion(triage_desk, case["id"])["lead_department"]["code"] for case in cases]
    assert leads == ["city-samr", "dist-east-samr", "dist-east"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


SPORTS = [
    "学校操场周末不对外开放",
    "体育馆收费太贵",
    "社区健身器材坏了没人修",
    "游泳馆开放时间太短",
    "篮球场灯光晚上不开",
]
ROADS = ["公交车站台被占用", "路口红绿灯时间太短", "道路坑洼多年未修", "出租车拒载严重", "货车占道停放影响通行"]


def test_train_and_evaluate_commands_on_a_csv(app: Flask, tmp_path: Path, seed_models: Path) -> None:
    with app.app_context():
        shutil.copytree(seed_models, triage_store().root)
        before = triage_store().current_version()
    rows = [
        {"title": t, "text": f"{t}，希望有关部门尽快处理{i}", "label": "教育文体"} for i, t in enumerate(SPORTS * 3)
    ]
    rows += [{"title": t, "text": f"{t}，请交通部门管一管{i}", "label": "交通运输"} for i, t in enumerate(ROADS * 3)]
    train_file = write_csv(tmp_path / "train.csv", rows)
    runner = app.test_cli_runner()
    trained = runner.invoke(args=["triage", "train", "--csv", str(train_file)])
    assert trained.exit_code == 0, trained.output
    assert "domain: 30 examples, 2 labels" in trained.output
    with app.app_context():
        store = triage_store()
        assert store.previous_version() == before
        model = store.load()
    assert model.heads["domain"].labels == ["交通运输", "教育文体"]
    assert "irregular-procedure" in model.heads["category"].labels  # the category head was kept
    test_file = write_csv(
        tmp_path / "test.csv",
        [
            {"text": "小区旁边的体育馆收费太贵了", "label": "教育文体"},
            {"text": "这个路口的红绿灯时间太短", "label": "交通运输"},
        ],
    )
    evaluated = runner.invoke(args=["triage", "evaluate", "--csv", str(test_file)])
    assert evaluated.exit_code == 0, evaluated.output
    last = evaluated.output.strip().splitlines()[-1]
    assert re.fullmatch(r"macro_f1=1\.0000 accuracy=1\.0000 p50_ms=\d+\.\d\d", last), evaluated.output
    assert "confusion matrix" in evaluated.output and "precision" in evaluated.output
    rolled = runner.invoke(args=["triage", "rollback"])
    assert before is not None and rolled.exit_code == 0 and before in rolled.output
    bad = write_csv(tmp_path / "bad.csv", [{"content": "x", "label": "y"}])
    refused = runner.invoke(args=["triage", "train", "--csv", str(bad)])
    assert refused.exit_code != 0 and "text" in refused.output


def test_train_from_cases_uses_the_labels_staff_gave(triage_desk: Desk, app: Flask) -> None:
    case = triage_desk.register(**PROCEDURE)["case"]
    put(triage_desk, "triage", f"/api/v1/complaints/{case['id']}/classification", {"category_code": "extortion"})
    result = app.test_cli_runner().invoke(args=["triage", "train", "--from-cases", "--head", "category"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        meta = triage_store().metadata(str(triage_store().current_version()))
    with SEED_EXAMPLES.open(encoding="utf-8") as handle:
        seeded = sum(1 for _ in csv.DictReader(handle))
    assert meta["heads"]["category"]["examples"] == seeded + 1
    assert meta["heads"]["category"]["source"] == "cases"
    assert meta["libraries"]["scikit-learn"]


def test_one_message_scores_as_the_pipeline_does(seed_models: Path) -> None:
    texts = [str(PROCEDURE["content"]), "税务局稽查时要求我们请客吃饭", "判决生效两年仍未执行", "", "ＡＢＣ　１２３"]
    for head in ModelStore(seed_models).load().heads.values():
        expected = head.pipeline.predict_proba(texts)
        for text, row in zip(texts, expected, strict=True):
            prediction = head.predict(text, candidates=len(head.labels))
            got = dict(prediction.candidates)
            assert [got[label] for label in head.labels] == pytest.approx(list(row), abs=1e-6)
            assert prediction.label == head.labels[int(row.argmax())]


def test_a_work_order_due_within_days_is_urgent_from_its_own_due_date(triage_desk: Desk, app: Flask) -> None:
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = {**PROCEDURE, "title": "窗口办事难", "content": "营业执照变更材料齐全，窗口仍要求补交无关证明。"}
    due_soon = triage_desk.register(**body, external_due_at=due)["case"]
    no_due = triage_desk.register(**body)["case"]
    run_job(app)
    assert "deadline_close" in {s["code"] for s in suggestion(triage_desk, due_soon["id"])["signals"]}
    assert "deadline_close" not in {s["code"] for s in suggestion(triage_desk, no_due["id"])["signals"]}


def test_an_accepted_case_waits_in_the_queue_for_assignment(triage_desk: Desk, app: Flask) -> None:
    waiting = triage_desk.register(**PROCEDURE)["case"]
    accepted = triage_desk.register(**PROCEDURE)["case"]
    triage_desk.ok("triage", f"/api/v1/complaints/{accepted['id']}/accept")
    queue = {item["id"]: item for item in triage_desk.get("triage", "/api/v1/triage/queue").get_json()}
    assert (queue[waiting["id"]]["status"], queue[accepted["id"]]["status"]) == ("submitted", "accepted")
    assert queue[accepted["id"]]["objection"] is None
