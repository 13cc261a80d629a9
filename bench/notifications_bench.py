"""Deliveries per second through one worker, and one deadline sweep over 100k open cases, on PostgreSQL.

    .venv/bin/python bench/notifications_bench.py [--deliveries 3000] [--cases 100000]

Deliveries: outbox rows of hotline cases relayed by ``relay_once`` in one process to a local fake 12345
callback (threaded, keep-alive connections) in another, with one lane and with four (threads of the worker);
each run in a fresh process, the median of ``--runs``. Sweep: 100k in-handling cases with handling clocks spread over
the next months (a few hundred already past due), swept once (the sweep that acts) and then again (a sweep
with nothing new to do), median of 5.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def fresh_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url: str, **env: str):  # type: ignore[no-untyped-def]
    os.environ.update({"DATABASE_URL": database_url, "DATA_DIR": tempfile.mkdtemp(), "LOG_LEVEL": "WARNING", **env})
    from flask_migrate import upgrade

    from api import create_app

    app = create_app()
    with app.app_context():
        upgrade()
    return app


SEED_CASES = """
INSERT INTO department (code, name, level, created_at) VALUES ('bench-dept', '压测承办单位', 'city', now());
INSERT INTO complaint (reference, query_code_hash, status, supervision_level, channel, urgency, confidentiality,
    title, content, respondent, lead_department_id, redo_count, submitted_at, accepted_at, version, external_ref)
SELECT 'FZB-' || g, md5(g::text), 'in_handling', 'none', 'hotline', 'normal', 'confidential', '压测案件', '压测内容',
       '某单位', (SELECT id FROM department WHERE code = 'bench-dept'), 0, now() - interval '30 days',
       now() - interval '29 days', 1, 'ORDER-' || g
FROM generate_series(1, :cases) AS g;
INSERT INTO deadline (complaint_id, clock, state, starts_at, length, unit, paused_units, extension_days,
    last_day, ends_at, provisional, computed_at, warn_at, escalation_step)
SELECT id, 'handling', 'running', accepted_at, 60, 'calendar_days', 0, 0,
       (now() + (id % 120 - 1) * interval '1 day')::date, now() + (id % 120 - 1) * interval '1 day' + interval '1 hour',
       false, now(), now() + (id % 120 - 3) * interval '1 day', 0
FROM complaint;
"""


def bench_sweep(cases: int) -> None:
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from api.settings import personal_data_cipher
    from complaints.database import db, utcnow
    from notifications.jobs import run_sweep

    app = make_app(fresh_database("bench_sweep"))
    with app.app_context():
        with db.engine.begin() as connection:
            for statement in SEED_CASES.strip().split(";\n"):
                connection.execute(text(statement.replace(":cases", str(cases))))
            connection.execute(text("ANALYZE"))
        with Session(db.engine) as session:
            started = time.perf_counter()
            report = run_sweep(session, personal_data_cipher(), utcnow())
            acting = time.perf_counter() - started
        quiet = []
        for _ in range(5):
            with Session(db.engine) as session:
                started = time.perf_counter()
                run_sweep(session, personal_data_cipher(), utcnow())
                quiet.append(time.perf_counter() - started)
        db.engine.dispose()
    drop_database("bench_sweep")
    print(
        f"sweep      {cases} open cases: first sweep {acting * 1000:.0f} ms (warned {len(report.warned)}, "
        f"overdue {len(report.overdue)}, escalated {len(report.escalated)}); "
        f"sweep with nothing new: median {statistics.median(quiet) * 1000:.1f} ms (target < 1000 ms)"
    )


def bench_deliveries(count: int, lanes: int) -> float:
    """One run in this process; returns deliveries per second."""
    import multiprocessing

    import requests
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    import notifications.relay as relay_module
    from api.settings import senders
    from complaints.database import db
    from tests.fake_hotline import serve_forever

    secret = "bench-hotline-secret-0123456789abcdef"
    ports: multiprocessing.Queue[int] = multiprocessing.Queue()
    fake = multiprocessing.Process(target=serve_forever, args=(secret, ports), daemon=True)
    fake.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/callbacks/complaint-status"
    app = make_app(fresh_database("bench_delivery"), HOTLINE_SHARED_SECRET=secret, HOTLINE_CALLBACK_URL=url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text(SEED_CASES.split(";\n")[0]))
            connection.execute(text(SEED_CASES.split(";\n")[1].replace(":cases", str(count))))
            connection.execute(
                text(
                    "INSERT INTO outbox_message (event, audience, complaint_id, payload, status, attempts, "
                    "next_attempt_at, created_at) SELECT 'complaint.accepted', 'hotline', id, '{}', 'pending', 0, now(), "
                    "now() FROM complaint"
                )
            )
        send = senders()
        with Session(db.engine) as session:
            started = time.perf_counter()
            delivered = 0
            while batch := relay_module.relay_once(session, send, batch=500, lanes=lanes):
                delivered += len(batch)
            elapsed = time.perf_counter() - started
        db.engine.dispose()
    received = requests.get(url, timeout=5).json()["received"]
    fake.terminate()
    drop_database("bench_delivery")
    assert received == delivered == count, (received, delivered)
    return delivered / elapsed


def median_deliveries(count: int, lanes: int, runs: int) -> None:
    """Each run in a fresh process (a fresh database and fake): the median of ``runs`` and the spread."""
    rates = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one-delivery-run", str(lanes), "--deliveries", str(count)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        rates.append(float(out.strip().splitlines()[-1]))
    print(
        f"deliveries {count} through one worker ({lanes} lane{'s' if lanes > 1 else ''}) to the fake 12345 callback: "
        f"median {statistics.median(rates):.0f}/s of {runs} runs ({min(rates):.0f}-{max(rates):.0f}; target >= 500/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="delivery runs per lane count")
    parser.add_argument("--one-delivery-run", type=int, metavar="LANES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.one_delivery_run:
        print(bench_deliveries(args.deliveries, args.one_delivery_run))
        return
    for lanes in (1, 4):
        median_deliveries(args.deliveries, lanes, args.runs)
    bench_sweep(args.cases)


if __name__ == "__main__":
    main()
