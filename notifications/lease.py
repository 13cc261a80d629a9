"""A lease in the database: which process runs a periodic duty (the embedded relay and sweep) right now.

Several web workers each start the embedded runner; only the holder of an unexpired lease does the work, and
another takes over when the holder stops renewing (it died). One conditional UPDATE, or one INSERT for the
first holder, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from complaints.database import UTCDateTime, db


class JobLease(db.Model):  # type: ignore[name-defined]
    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def acquire(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until ``now + ttl``."""
    result = session.execute(
        update(JobLease)
        .where(JobLease.name == name, (JobLease.holder == holder) | (JobLease.expires_at < now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        session.commit()
        return True
    try:
        session.add(JobLease(name=name, holder=holder, expires_at=now + ttl))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
