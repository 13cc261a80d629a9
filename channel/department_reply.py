"""A department's reply with the files that support it (rectification photos, decisions, receipts)."""

from __future__ import annotations

from complaints.errors import InvalidInput
from complaints.handling import reply
from complaints.legs import DepartmentLeg
from complaints.machine import CaseContext

from .uploads import UploadStore, store_upload

MAX_FILES = 9


def reply_with_attachments(
    ctx: CaseContext, leg: DepartmentLeg, text: str, files: list[tuple[str, bytes]], store: UploadStore
) -> None:
    """Store each file (recognised by content, size-limited, under a random name) on the case, then reply.
    One transaction: a refused file refuses the reply, and a refused reply keeps no file row."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"答复附件最多{MAX_FILES}个", code="too_many_files")
    for name, data in files:
        attachment = store_upload(
            ctx.session,
            store,
            data,
            original_name=name,
            purpose="reply",
            account_id=None,
            uploaded_by="department",
            now=ctx.now,
        )
        attachment.complaint_id = leg.complaint_id
    reply(ctx, leg, text)
