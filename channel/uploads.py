"""Uploaded files: recognised by their content (not their name), size-limited, stored outside the web root
under random names, and served to WeChat's media check only through signed, expiring URLs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import filetype
from sqlalchemy import delete

from complaints.attachments import Attachment
from complaints.database import DbSession
from complaints.errors import InvalidInput, NotFound

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
PURPOSES = ("evidence", "authorization", "licence", "supplement", "reply")
UNATTACHED_KEPT_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class UploadStore:
    directory: Path
    signing_key: bytes
    max_bytes: int

    def path(self, storage_key: str) -> Path:
        if not storage_key.isalnum():
            raise NotFound("文件不存在", code="file_not_found")
        return self.directory / storage_key

    def signature(self, storage_key: str, expires: int) -> str:
        return hmac.new(self.signing_key, f"{storage_key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_url(self, public_base_url: str, storage_key: str, expires: int) -> str:
        return f"{public_base_url}/api/media/{storage_key}?e={expires}&s={self.signature(storage_key, expires)}"

    def open_signed(self, storage_key: str, expires: str, signature: str, now: datetime) -> Path:
        """The file behind a signed URL; the same NotFound for a bad signature, an expired link or no file."""
        valid = (
            expires.isascii()
            and expires.isdigit()
            and hmac.compare_digest(self.signature(storage_key, int(expires)), signature)
        )
        path = self.path(storage_key)
        if not valid or int(expires) < now.timestamp() or not path.exists():
            raise NotFound("链接无效或已过期", code="file_not_found")
        return path


def store_upload(
    session: DbSession,
    store: UploadStore,
    data: bytes,
    *,
    original_name: str,
    purpose: str,
    account_id: int | None,
    uploaded_by: str,
    now: datetime,
) -> Attachment:
    if purpose not in PURPOSES:
        raise InvalidInput("附件用途不正确", code="invalid_purpose")
    if not data:
        raise InvalidInput("文件为空", code="empty_file")
    if len(data) > store.max_bytes:
        raise InvalidInput(f"单个文件不能超过{store.max_bytes // (1024 * 1024)}MB", code="file_too_large")
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise InvalidInput("只支持 JPG、PNG、WEBP 图片和 PDF 文件", code="unsupported_file_type")
    storage_key = secrets.token_hex(16)
    attachment = Attachment(
        storage_key=storage_key,
        original_name=_display_name(original_name),
        content_type=kind.mime,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=uploaded_by,
        uploader_account_id=account_id,
        purpose=purpose,
        created_at=now,
    )
    session.add(attachment)
    session.flush()  # the row first: a refused row leaves no file behind (a failed write rolls the row back)
    store.directory.mkdir(parents=True, exist_ok=True)
    store.path(storage_key).write_bytes(data)
    return attachment


def _display_name(original_name: str) -> str:
    """The file name as the uploader's phone gave it, for display only: no path, no control characters."""
    name = "".join(ch for ch in Path(original_name).name if ch.isprintable())[:200]
    return name or "upload"


def forget_unattached_uploads(session: DbSession, now: datetime) -> list[str]:
    """Delete the rows of uploads that never joined a case within a day (a filing abandoned on the phone); returns
    their storage keys, whose files the caller removes once the deletion is committed.

    One DELETE re-checks ``complaint_id IS NULL``, so an upload attached by a filing that commits meanwhile is
    kept."""
    return list(
        session.scalars(
            delete(Attachment)
            .where(Attachment.complaint_id.is_(None), Attachment.created_at < now - UNATTACHED_KEPT_FOR)
            .returning(Attachment.storage_key)
        )
    )
