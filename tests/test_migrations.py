"""Migrations: the head matches the models, and every revision upgrades and downgrades, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from api import MIGRATIONS_DIR, create_app
from complaints.database import db

from .conftest import make_config


def revisions_base_to_head() -> list[tuple[str, str]]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    chain = list(reversed(list(script.walk_revisions("base", "heads"))))
    return [(rev.revision, rev.down_revision or "base") for rev in chain]  # type: ignore[misc]


def test_head_matches_models(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_every_revision_upgrades_and_downgrades(empty_database_url: str, tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, empty_database_url))
    revisions = revisions_base_to_head()
    assert revisions, "no migrations found"
    with app.app_context():
        for revision, previous in revisions:
            upgrade(revision=revision)
            downgrade(revision=previous)
            upgrade(revision=revision)
        downgrade(revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert remaining == set()
    assert set(db.metadata.tables) <= tables
