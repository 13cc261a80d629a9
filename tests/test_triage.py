"""Triage end to end: suggestions with explanations stored with the case, routing by policy, repeats, clusters,
scope, staff corrections, similar past cases, and the learning commands."""

from __future__ import annotations

import csv
import json
import re
import shutil
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
