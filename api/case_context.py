"""Building the explicit context that case operations take, from the logged-in staff member."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request

from complaints.access import get_own_leg, get_visible
from complaints.cases import Complaint
from complaints.database import db, utcnow
from complaints.legs import DepartmentLeg
from complaints.machine import CaseContext, StaffActor

from .auth import current_user
from .settings import config, personal_data_cipher

T = TypeVar("T")


def staff_actor() -> StaffActor:
    user = current_user()
    label = user.department.name if user.department is not None else config().center_name
    return StaffActor(
        id=user.id,
        name=user.username,
        ip_address=request.remote_addr,
        role=user.role,
        department_id=user.department_id,
        label=label,
    )


def case_context() -> CaseContext:
    return CaseContext.build(db.session, staff_actor(), utcnow(), personal_data_cipher())


def system_context(label: str) -> CaseContext:
    """The context of a channel acting on its own (a hotline push): no staff member, a named source."""
    actor = StaffActor(id=None, name=label, ip_address=None, role="", department_id=None, label=label)
    return CaseContext.build(db.session, actor, utcnow(), personal_data_cipher())


def on_case(complaint_id: int, operation: Callable[[CaseContext, Complaint], T]) -> Complaint:
    """Load a case the actor may see, apply one domain operation to it, and return it."""
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    operation(ctx, complaint)
    ctx.session.flush()
    return complaint


def on_leg(complaint_id: int, leg_id: int, operation: Callable[[CaseContext, DepartmentLeg], T]) -> Complaint:
    """Load one of the actor's own department's legs, apply one domain operation, and return its case."""
    ctx = case_context()
    leg = get_own_leg(ctx.session, ctx.actor, complaint_id, leg_id)
    operation(ctx, leg)
    ctx.session.flush()
    return leg.complaint
