"""Attachment metadata. The files live outside the web root under random names (channel/uploads.py).

An attachment is uploaded first (owned by the mini-program account that uploaded it, not yet on a case) and
attached when the complaint or the supplementary material is filed. Images are checked by WeChat's
mediaCheckAsync; the verdict flags the attachment for staff.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, db


class Attachment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("size_bytes >= 0", name="size_not_negative"),
        CheckConstraint("uploaded_by IN ('complainant', 'center', 'department')", name="known_uploader"),
        CheckConstraint(
            "purpose IN ('evidence', 'authorization', 'licence', 'supplement', 'reply')", name="known_purpose"
        ),
        CheckConstraint(
            "media_check IS NULL OR media_check IN ('pending', 'unchecked', 'pass', 'review', 'risky')",
            name="known_media_check",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    uploader_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("mp_account.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(14), default="evidence")
    media_check: Mapped[str | None] = mapped_column(String(10))
    media_trace_id: Mapped[str | None] = mapped_column(String(80), index=True)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(80))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(12))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


def neutral_name(attachment: Attachment) -> str:
    """A name that says nothing of who uploaded the file (people name files after themselves: 周某身份证.png)."""
    return f"附件{attachment.id}{EXTENSIONS.get(attachment.content_type, '')}"
