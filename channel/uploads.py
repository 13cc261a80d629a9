"""Uploaded files: recognised by their content (not their name), size-limited, stored outside the web root
under random names, encrypted with the personal-data keys (a business licence, an authorization letter or a photo
names people), and served to WeChat's media check only through signed, expiring URLs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import filetype
from PIL import Image, ImageOps
from sqlalchemy import delete

from complaints.attachments import Attachment
from complaints.case_views import SeenAttachment
from complaints.crypto import PersonalDataCipher
from complaints.database import DbSession
from complaints.errors import InvalidInput, NotFound

ALLOWED_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
PURPOSES = ("evidence", "authorization", "licence", "supplement", "reply")
UNATTACHED_KEPT_FOR = timedelta(hours=24)


log = logging.getLogger(__name__)
HARMLESS_IMAGE_INFO = frozenset(
    {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
        "progressive",
        "progression",
        "adobe",
        "adobe_transform",
        "gamma",
        "srgb",
        "aspect",
        "transparency",
        "icc_profile",
        "loop",
        "duration",
        "background",
        "interlace",
    }
)
FERNET_TOKEN_START = b"gAAAAA"  # every Fernet token's version byte and timestamp, base64: no image or PDF starts so


@dataclass(frozen=True)
class UploadStore:
    directory: Path
    signing_key: bytes
    max_bytes: int
    cipher: PersonalDataCipher

    def path(self, storage_key: str) -> Path:
        if not storage_key.isalnum():
            raise NotFound("文件不存在", code="file_not_found")
        return self.directory / storage_key

    def write(self, storage_key: str, data: bytes) -> None:
        """Encrypted, owner-only."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_owner_only(self.path(storage_key), self.cipher.encrypt_bytes(data), os.O_EXCL)

    def reencrypt(self, storage_key: str) -> bool:
        """Store the file again under the first key (encrypting one stored before uploads were); False when it is
        gone. The new content replaces the old in one rename, so a reader never sees half a file."""
        path = self.path(storage_key)
        if not path.exists():
            return False
        stored = path.read_bytes()
        if stored.startswith(FERNET_TOKEN_START):
            token = self.cipher.rotate_bytes(stored)
        else:
            token = self.cipher.encrypt_bytes(stored)
        staging = path.with_name(storage_key + ".rotating")
        _write_owner_only(staging, token, os.O_TRUNC)
        os.replace(staging, path)
        return True

    def read(self, storage_key: str) -> bytes:
        """The file's content; files stored before uploads were encrypted are read as they are."""
        path = self.path(storage_key)
        if not path.exists():
            raise NotFound("文件不存在", code="file_not_found")
        stored = path.read_bytes()
        return self.cipher.decrypt_bytes(stored) if stored.startswith(FERNET_TOKEN_START) else stored

    def signature(self, storage_key: str, expires: int) -> str:
        return hmac.new(self.signing_key, f"{storage_key}:{expires}".encode(), hashlib.sha256).hexdigest()

    def signed_url(self, public_base_url: str, storage_key: str, expires: int) -> str:
        return f"{public_base_url}/api/media/{storage_key}?e={expires}&s={self.signature(storage_key, expires)}"

    def open_signed(self, storage_key: str, expires: str, signature: str, now: datetime) -> bytes:
        """The file behind a signed URL; the same NotFound for a bad signature, an expired link or no file."""
        valid = (
            expires.isascii()
            and expires.isdigit()
            and hmac.compare_digest(self.signature(storage_key, int(expires)), signature)
        )
        path = self.path(storage_key)
        if not valid or int(expires) < now.timestamp() or not path.exists():
            raise NotFound("链接无效或已过期", code="file_not_found")
        return self.read(storage_key)


def _write_owner_only(path: Path, data: bytes, mode: int) -> None:
    """``mode``: O_EXCL for a new file, O_TRUNC to overwrite one."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600), "wb") as out:
        out.write(data)


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
    store.write(storage_key, data)
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


def content_as_seen(store: UploadStore, seen: SeenAttachment) -> bytes:
    """The file as this viewer may have it: a photo loses its metadata where the uploader is not to be known."""
    content = store.read(seen.storage_key)
    return content if seen.shows_uploader else without_metadata(content, seen.content_type)


def without_metadata(content: bytes, content_type: str) -> bytes:
    """An image without EXIF, XMP or text chunks (camera make, owner name, GPS position); unchanged when it has none.
    A JPEG keeps its quantization tables (``quality="keep"``): re-encoding then alters it least; one whose EXIF
    rotates it is turned upright first, since the rotation goes with the EXIF. One Pillow cannot read is served as
    stored (browsers could not show it either)."""
    if content_type not in ("image/jpeg", "image/png", "image/webp"):
        return content
    try:
        return _rewritten(content)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        log.warning("an uploaded image could not be read to remove its metadata; served as stored")
        return content


def _rewritten(content: bytes) -> bytes:
    with Image.open(BytesIO(content)) as image:
        carried = {key for key in image.info if key not in HARMLESS_IMAGE_INFO}
        if not carried and not image.getexif():
            return content
        upright = ImageOps.exif_transpose(image)
        out = BytesIO()
        if image.format == "JPEG":
            upright.save(out, "JPEG", quality="keep" if upright is image else 95)
        elif image.format == "PNG":
            upright.save(out, "PNG")
        else:
            upright.save(out, image.format or "WEBP", quality=95)
        return out.getvalue()
