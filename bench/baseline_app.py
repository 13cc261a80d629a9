"""The baseline for bench/filing_throughput.py: a bare Flask endpoint doing one validated INSERT.

Run by gunicorn as ``bench.baseline_app:create_baseline()`` with BENCH_DATABASE_URL set. With WECHAT_APPID,
WECHAT_SECRET and WECHAT_API_BASE set too, ``POST /tickets/checked`` first has the text checked by msgSecCheck v2
through the product's own WeChat client, as every mini-program filing must: the ceiling for any filing endpoint.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event
from wechatpy.session.memorystorage import MemoryStorage

from channel.wechat import MiniProgramClient, WeChatSettings, check_text

metadata = MetaData()
tickets = Table(
    "bench_ticket",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("respondent", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class TicketArgs(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    content = fields.String(required=True, validate=validate.Length(1, 20000))
    respondent = fields.String(required=True, validate=validate.Length(1, 200))


def create_baseline() -> Flask:
    url = os.environ["BENCH_DATABASE_URL"]
    engine = create_engine(url, connect_args={"timeout": 15} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record):  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=15000")

    metadata.create_all(engine)
    engine.dispose()  # gunicorn --preload forks after this: no worker may inherit the connection
    app = Flask(__name__)
    schema = TicketArgs()

    wechat = (
        MiniProgramClient(
            WeChatSettings(os.environ["WECHAT_APPID"], os.environ["WECHAT_SECRET"], os.environ["WECHAT_API_BASE"]),
            MemoryStorage(),
        )
        if "WECHAT_API_BASE" in os.environ
        else None
    )

    def create_ticket(checked: bool):  # type: ignore[no-untyped-def]
        try:
            data = schema.load(request.get_json(force=True))
        except ValidationError as error:
            return jsonify(error.messages), 400
        if checked and check_text(wechat, "bench-openid", data["content"]) == "risky":  # type: ignore[arg-type]
            return jsonify({"code": "content_risky"}), 400
        with engine.begin() as connection:
            result = connection.execute(tickets.insert().values(**data, created_at=datetime.now(UTC)))
        return jsonify({"id": result.inserted_primary_key[0] if result.inserted_primary_key else None}), 201

    app.add_url_rule("/tickets", "tickets", create_ticket, methods=["POST"], defaults={"checked": False})
    if wechat is not None:
        app.add_url_rule("/tickets/checked", "checked", create_ticket, methods=["POST"], defaults={"checked": True})
    return app
