"""Complaints filed per second through the mini-program filing endpoint, beside a bare Flask INSERT baseline.

For SQLite and PostgreSQL: migrate a fresh database, create a mini-program account that accepted the privacy
notice, start the fake WeChat server (msgSecCheck v2 answers every filing), serve the product and then the
baseline with gunicorn (4 sync workers), and load each with wrk (32 connections, 2 threads) on 127.0.0.1.
Prints requests/s, p50 and p99 for both, and the product's share of the baseline. A third line, the baseline that
first has its text checked by msgSecCheck (the product's WeChat client, the same fake server), shows the
ceiling for any filing that must ask WeChat before it answers.

    .venv/bin/python bench/filing_throughput.py [--seconds 15] [--databases sqlite,postgresql]

Needs wrk (Debian package) and, for PostgreSQL, the server on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_wechat import FakeWeChat  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FILING: dict[str, Any] = {
    "title": "执法人员对小额标签瑕疵顶格罚款",
    "content": "我公司预包装食品标签字号偏小，执法人员未责令改正即处以顶格罚款。",
    "respondent": "市市场监督管理局",
    "persons": [{"kind": "individual", "name": "陈晓梅", "phone": "13800138000"}],
}
BASELINE = {key: FILING[key] for key in ("title", "content", "respondent")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def prepare_product(env: dict[str, str]) -> str:
    """Migrate, create an account that accepted the privacy notice, and return its session token."""
    script = """
from flask_migrate import upgrade
from api import create_app
from channel.accounts import PRIVACY_NOTICE_VERSION, MiniProgramAccount, open_session
from complaints.database import db, utcnow
app = create_app()
with app.app_context():
    upgrade()
    now = utcnow()
    account = MiniProgramAccount(openid="bench-openid", created_at=now, last_login_at=now,
                                 privacy_version=PRIVACY_NOTICE_VERSION, privacy_accepted_at=now)
    db.session.add(account)
    db.session.flush()
    print(open_session(db.session, account, now))
    db.session.commit()
"""
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def run_wrk(url: str, body: dict[str, Any], headers: dict[str, str], seconds: int) -> dict[str, float]:
    lua = Path(tempfile.mkdtemp()) / "post.lua"
    header_lines = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    lua.write_text(
        f'wrk.method = "POST"\nwrk.body = [[{json.dumps(body, ensure_ascii=False)}]]\n'
        f'wrk.headers["Content-Type"] = "application/json"\n{header_lines}'
    )
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rate,
        "p50": _latency(out, "50%"),
        "p99": _latency(out, "99%"),
        "errors": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def _latency(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def serve(app_spec: str, env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--preload",  # the app is imported once, before the fork: no worker is still importing when wrk starts
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_port(port)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def database_urls(kind: str, workdir: Path) -> tuple[str, str]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'app.db'}", f"sqlite:///{workdir / 'baseline.db'}"
    import psycopg

    names = ("bench_product", "bench_baseline")
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{names[0]}", f"{base}/{names[1]}"


def bench(kind: str, seconds: int, wechat: FakeWeChat, workers: int) -> dict[str, dict[str, float]]:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    product_url, baseline_url = database_urls(kind, workdir)
    env = {
        **os.environ,
        "DATA_DIR": str(workdir),
        "DATABASE_URL": product_url,
        "WECHAT_APPID": wechat.appid,
        "WECHAT_SECRET": wechat.secret,
        "WECHAT_API_BASE": wechat.base_url,
        "LOG_LEVEL": "WARNING",
        "BENCH_DATABASE_URL": baseline_url,
    }
    env.pop("REDIS_URL", None)
    token = prepare_product(env)
    results = {}
    baseline = "bench.baseline_app:create_baseline()"
    for name, spec, path, headers in (
        ("product", "api:create_app()", "/api/mp/v1/complaints", {"Authorization": f"Bearer {token}"}),
        ("baseline", baseline, "/tickets", {}),
        ("checked", baseline, "/tickets/checked", {}),
    ):
        body = FILING if name == "product" else BASELINE
        port = free_port()
        process = serve(spec, env, port, workers)
        try:
            run_wrk(f"http://127.0.0.1:{port}{path}", body, headers, 2)  # warm-up
            results[name] = run_wrk(f"http://127.0.0.1:{port}{path}", body, headers, seconds)
        finally:
            stop(process)
    shutil.rmtree(workdir, ignore_errors=True)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for name in ("bench_product", "bench_baseline"):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (the target is for 4)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake server would log every request
    wechat = FakeWeChat().start()
    try:
        for kind in args.databases.split(","):
            results = bench(kind, args.seconds, wechat, args.workers)
            for name, label in (("product", "filing"), ("baseline", "baseline"), ("checked", "+msgSec")):
                row = results[name]
                print(
                    f"{kind:10} {label:9} {row['rps']:8.1f} req/s  p50 {row['p50']:6.1f} ms  "
                    f"p99 {row['p99']:6.1f} ms  non-2xx {row['errors']:.0f}"
                )
            product, baseline, checked = (results[name]["rps"] for name in ("product", "baseline", "checked"))
            print(
                f"{kind:10} ratio     {product / baseline:.2f} of baseline (target >= 0.60, p99 <= 100 ms); "
                f"the baseline with msgSecCheck alone reaches {checked / baseline:.2f}"
            )
    finally:
        wechat.stop()


if __name__ == "__main__":
    main()
