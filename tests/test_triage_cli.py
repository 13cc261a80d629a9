"""The learning commands on awkward CSV files and an unusable current model, and cases filed while no model was
usable getting their prediction once one is."""

from __future__ import annotations

import csv
import json
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask

from api.settings import triage_store
from complaints.database import utcnow
from triage.store import ModelStore

from .desk import Desk
from .triage_helpers import install_seed_model, run_job

TOPICS = {
    "交通运输": ["公交站台被摊贩占用", "路口红绿灯时间太短", "道路坑洼多年未修", "出租车拒载严重", "货车占道停放"],
    "教育文体": ["学校操场周末不开放", "体育馆收费太贵", "社区健身器材坏了", "游泳馆开放时间太短", "图书馆座位不够"],
    "城乡建设": ["小区电梯经常停运", "工地夜间施工噪音大", "老旧小区外墙脱落", "物业乱收停车费", "拆迁补偿迟迟不到位"],
}
ASKS = ["希望有关部门尽快处理", "请相关单位管一管", "多次反映没有结果"]
CASE = {
    "title": "执法人员未出示证件就扣押货物",
    "content": "市场监管局执法人员到我店检查，没有出示执法证件，也没有制作现场笔录，直接把货物拉走，连扣押清单都不给。",
    "respondent": "市市场监督管理局",
    "category_code": None,
    "domain_code": None,
}
PERSON = {"kind": "individual", "name": "王五", "phone": "13700001111"}


def labelled_rows(labels: list[str] | None = None) -> list[dict[str, str]]:
    """15 made-up messages per label."""
    return [
        {"text": f"{topic}，{ask}（第{n}次）", "label": label}
        for label in labels or list(TOPICS)
        for n, topic in enumerate(TOPICS[label])
        for ask in ASKS
    ]


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8", header: list[str] | None = None) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or list(rows[0]))
        writer.writerows(list(row.values()) for row in rows)
    return path


@pytest.fixture
def cli(app: Flask, seed_models: Path) -> Callable[..., Result]:
    """``flask triage …`` against a DATA_DIR holding the seed model."""
    install_seed_model(app, seed_models)
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["triage", *map(str, args)])


def current_model(app: Flask) -> Any:
    with app.app_context():
        return triage_store().load()


def refused(result: Result, message: str) -> None:
    """A clean refusal: non-zero exit, the Chinese reason, no traceback."""
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert message in result.output and "Traceback" not in result.output, result.output


BREAKAGES: dict[str, Callable[[Path], object]] = {
    "other library versions": lambda version: _edit_libraries(version / "meta.json"),
    "missing": lambda version: shutil.rmtree(version),
    "tampered": lambda version: (version / "model.joblib").write_bytes(b"not the model"),
}


def _edit_libraries(meta_path: Path) -> None:
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["libraries"]["scikit-learn"] = "0.1"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")


def break_current_model(app: Flask, breakage: str = "other library versions") -> None:
    with app.app_context():
        store = triage_store()
        BREAKAGES[breakage](store.root / "versions" / str(store.current_version()))


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_training_works_when_the_current_model_cannot_be_loaded(
    app: Flask, cli: Callable[..., Result], tmp_path: Path, breakage: str
) -> None:
    break_current_model(app, breakage)
    trained = cli("train", "--csv", write_csv(tmp_path / "train.csv", labelled_rows()))
    assert trained.exit_code == 0, trained.output
    assert "警告：当前模型无法加载" in trained.stderr and "category" in trained.stderr
    model = current_model(app)
    assert model.heads["domain"].labels == sorted(TOPICS)
    assert "irregular-procedure" in model.heads["category"].labels
    assert model.meta["heads"]["category"]["source"] == "seed"


def test_training_from_cases_works_when_the_current_model_cannot_be_loaded(
    app: Flask, cli: Callable[..., Result]
) -> None:
    break_current_model(app)
    trained = cli("train", "--from-cases", "--head", "category")
    assert trained.exit_code == 0, trained.output
    assert "警告：当前模型无法加载" in trained.stderr and "scikit-learn 0.1" in trained.stderr
    heads = current_model(app).meta["heads"]
    assert (heads["category"]["source"], heads["domain"]["source"]) == ("cases", "seed")


def test_a_usable_model_keeps_its_other_head_without_a_warning(
    app: Flask, cli: Callable[..., Result], tmp_path: Path
) -> None:
    before = current_model(app)
    trained = cli("train", "--csv", write_csv(tmp_path / "train.csv", labelled_rows()))
    assert trained.exit_code == 0 and "警告" not in trained.stderr, trained.output
    after = current_model(app)
    assert after.meta["heads"]["category"] == before.meta["heads"]["category"]


def test_long_texts_spaced_headers_and_both_text_columns(
    app: Flask, cli: Callable[..., Result], tmp_path: Path
) -> None:
    rows = labelled_rows(["交通运输", "教育文体"])
    table = [
        {
            " Title ": "",
            "Text": row["text"] if n % 2 else "",
            "TEXT_SEGMENTED": "" if n % 2 else " ".join(row["text"]),
            " label": row["label"],
        }
        for n, row in enumerate(rows)
    ]
    table[0]["Text"] = "道路坑洼" * 50_000  # 200,000 characters: over the csv module's default field limit
    path = write_csv(tmp_path / "train.csv", table)
    trained = cli("train", "--csv", path)
    assert trained.exit_code == 0, trained.output
    assert f"domain: {len(rows)} examples, 2 labels" in trained.output
    assert "1 条文本超过 20000 字，已截断" in trained.stderr
    assert current_model(app).meta["heads"]["domain"]["examples"] == len(rows)
    evaluated = cli("evaluate", "--csv", path)
    assert evaluated.exit_code == 0, evaluated.output
    assert f"{len(rows)} messages" in evaluated.output


def test_a_gb18030_file_is_read_and_an_undecodable_one_refused(
    app: Flask, cli: Callable[..., Result], tmp_path: Path
) -> None:
    trained = cli("train", "--csv", write_csv(tmp_path / "gbk.csv", labelled_rows(), encoding="gb18030"))
    assert trained.exit_code == 0, trained.output
    assert "GB18030" in trained.stderr
    assert current_model(app).heads["domain"].labels == sorted(TOPICS)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"text,label\n\x80\xff\xfe\x81\n")
    refused(cli("evaluate", "--csv", garbage), "不是 UTF-8 或 GB18030（GBK）编码的文本文件")
    refused(cli("train", "--csv", garbage), "不是 UTF-8 或 GB18030（GBK）编码的文本文件")


def test_empty_and_header_only_files_are_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("text,label\n", encoding="utf-8")
    blank_rows = tmp_path / "blank.csv"
    blank_rows.write_text("text,label\n,\n ,x\n", encoding="utf-8")
    for command in ("train", "evaluate"):
        refused(cli(command, "--csv", empty), "是空文件")
        refused(cli(command, "--csv", header_only), "只有表头，没有数据行")
        refused(cli(command, "--csv", blank_rows), "没有可用的样本")


def test_labels_with_a_single_example_are_left_out_with_a_warning(
    app: Flask, cli: Callable[..., Result], tmp_path: Path
) -> None:
    rows = [*labelled_rows(["交通运输", "教育文体"]), {"text": "菜市场缺斤短两", "label": "市场监管"}]
    trained = cli("train", "--csv", write_csv(tmp_path / "train.csv", rows))
    assert trained.exit_code == 0, trained.output
    assert "市场监管 不足 2 条样本，已略去" in trained.stderr
    assert current_model(app).heads["domain"].labels == ["交通运输", "教育文体"]
    lonely = [*labelled_rows(["交通运输"]), {"text": "菜市场缺斤短两", "label": "市场监管"}]
    refused(cli("train", "--csv", write_csv(tmp_path / "lonely.csv", lonely)), "训练数据至少需要两个类别")


def test_the_evaluation_table_lines_up_with_chinese_labels(cli: Callable[..., Result], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "train.csv", labelled_rows())
    assert cli("train", "--csv", path).exit_code == 0
    evaluated = cli("evaluate", "--csv", path)
    assert evaluated.exit_code == 0, evaluated.output
    lines = evaluated.stdout.splitlines()
    table = lines[lines.index(next(line for line in lines if line.startswith("label"))) :][: len(TOPICS) + 1]
    matrix = lines[lines.index(next(line for line in lines if line.startswith("confusion"))) + 1 :][: len(TOPICS)]
    assert [line.split()[0] for line in table[1:]] == sorted(TOPICS)
    assert len({display_column(line, line.split()[1]) for line in table}) == 1, table
    assert len({display_width(line) for line in matrix}) == 1, matrix


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def display_column(line: str, word: str) -> int:
    return display_width(line[: line.index(word)])


def test_cases_filed_without_a_usable_model_are_suggested_again_after_training(
    desk: Desk, app: Flask, seed_models: Path, tmp_path: Path
) -> None:
    install_seed_model(app, seed_models)
    break_current_model(app)
    asked = desk.register(**CASE)["case"]
    waiting = desk.register(**{**CASE, "respondent": "区税务局", "persons": [PERSON]})["case"]
    assert run_job(app) == 2
    before = desk.post("triage", f"/api/v1/complaints/{asked['id']}/triage").get_json()
    assert before["model_version"] is None and before["category"] is None
    trained = app.test_cli_runner().invoke(
        args=["triage", "train", "--csv", str(write_csv(tmp_path / "train.csv", labelled_rows()))]
    )
    assert trained.exit_code == 0, trained.output
    version = current_model(app).version
    response = desk.post("triage", f"/api/v1/complaints/{asked['id']}/triage")
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["model_version"] == version
    assert after["category"]["label"] and after["domain"]["label"] in TOPICS
    assert not any("分流模型不可用" in reason for reason in after["manual_reasons"])
    assert run_job(app) == 1  # the other case, filed while no model was usable
    assert desk.get("triage", f"/api/v1/complaints/{waiting['id']}/triage").get_json()["model_version"] == version
    assert run_job(app) == 0


def test_a_case_whose_analysis_failed_is_not_retried_until_the_next_model(
    desk: Desk, app: Flask, seed_models: Path, tmp_path: Path
) -> None:
    install_seed_model(app, seed_models)
    break_current_model(app)
    case = desk.register(**CASE)["case"]
    assert run_job(app) == 1
    with app.app_context():
        ModelStore(triage_store().root).save({"domain": FailingHead()}, {}, utcnow())  # type: ignore[dict-item]
    assert run_job(app) == 1
    found = desk.get("triage", f"/api/v1/complaints/{case['id']}/triage").get_json()
    assert "自动分析失败，请人工分办" in found["manual_reasons"]
    assert run_job(app) == 0


class FailingHead:
    """A model whose every prediction fails (as a corrupt one might)."""

    def __init__(self) -> None:
        self.labels = ["交通运输"]

    def predict(self, text: str) -> None:
        raise RuntimeError("broken head")


def test_staff_see_why_the_current_model_is_unreadable(app: Flask, desk: Desk, seed_models: Path) -> None:
    install_seed_model(app, seed_models)
    healthy = desk.get("clerk", "/api/v1/triage/model").get_json()
    assert healthy["meta"]["version"] == healthy["current"] and healthy["problem"] is None
    with app.app_context():
        store = triage_store()
        (store.root / "versions" / str(store.current_version()) / "meta.json").unlink()
    broken = desk.get("clerk", "/api/v1/triage/model")
    assert broken.status_code == 200
    assert broken.get_json()["meta"] is None and "meta.json" in broken.get_json()["problem"]
