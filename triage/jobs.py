"""The triage job: suggest for every case waiting without a suggestion. Run by the embedded runner, by an RQ
worker woken after a filing, and periodically by ``rq cron``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from complaints.calendar_schedule import load_calendar
from complaints.cases import Complaint
from complaints.crypto import PersonalDataCipher
from complaints.machine import SYSTEM_ACTOR, CaseContext

from .overview import describe
from .records import TriageSuggestion
from .store import ModelStore, ModelUnavailable, TriageModel
from .suggestion import TriagePolicy, pending_case_ids, suggest, suggestion_for
from .training import current_or_seed_model

log = logging.getLogger(__name__)
BATCH = 50


def run_triage(
    session: Session, cipher: PersonalDataCipher, now: datetime, store: ModelStore, policy: TriagePolicy
) -> int:
    """Idempotent: a case gets one suggestion (unique per case) and only cases without one are picked, each in its
    own transaction; a case whose suggestion fails gets a manual one saying so, so it is not retried forever."""
    ctx = CaseContext(session, SYSTEM_ACTOR, now, cipher, load_calendar(session))
    model, problem = _model(store, now)
    done = 0
    for complaint_id in pending_case_ids(ctx, BATCH, model.created_at if model else None):
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        try:
            suggest(ctx, complaint, model, policy, problem)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("triage of case %s failed; it waits for a person", complaint_id)
            _record_failure(ctx, complaint_id, now)
        done += 1
    return done


def suggest_now(ctx: CaseContext, complaint: Complaint, store: ModelStore, policy: TriagePolicy) -> dict[str, Any]:
    """A staff member asks for the suggestion at once (the request's transaction commits it)."""
    model, problem = _model(store, ctx.now)
    return describe(ctx.session, suggest(ctx, complaint, model, policy, problem))


def _model(store: ModelStore, now: datetime) -> tuple[TriageModel | None, str | None]:
    try:
        return current_or_seed_model(store, now), None
    except ModelUnavailable as error:
        log.error("triage model unavailable: %s", error)
        return None, str(error)


def _record_failure(ctx: CaseContext, complaint_id: int, now: datetime) -> None:
    """The manual suggestion of a case whose analysis failed. A suggestion it kept from before (made without a
    model) says so too, and is dated now, so the job does not pick the case again until the next model."""
    reason = "自动分析失败，请人工分办"
    existing = suggestion_for(ctx, complaint_id)
    if existing is None:
        ctx.session.add(
            TriageSuggestion(
                complaint_id=complaint_id,
                urgency="normal",
                decision="manual",
                details={"manual_reasons": [reason]},
                created_at=now,
            )
        )
    else:
        details = dict(existing.details or {})
        reasons = list(details.get("manual_reasons") or [])
        details["manual_reasons"] = reasons if reason in reasons else [*reasons, reason]
        existing.details, existing.decision, existing.created_at = details, "manual", now
    ctx.session.commit()
