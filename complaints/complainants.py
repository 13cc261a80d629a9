"""诉求人: individuals and enterprises, with agents and joint complainants.

Names, phone numbers and ID numbers are encrypted at rest (Fernet); the normalized phone is also kept as a keyed
hash so staff can find a complainant by phone. The enterprise name and its 统一社会信用代码 stay in clear: they are
public registry facts and staff search by them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import credit_code
from .crypto import PersonalDataCipher
from .database import DbSession, UTCDateTime, db
from .errors import InvalidInput

KINDS = ("individual", "enterprise")
PARTY_ROLES = ("principal", "joint", "agent")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
MOBILE_PATTERN = r"1[3-9][0-9]{9}"


class Complainant(db.Model):  # type: ignore[name-defined]
    __tablename__ = "complainant"
    __table_args__ = (
        CheckConstraint("kind IN ('individual', 'enterprise')", name="known_kind"),
        CheckConstraint(
            "kind <> 'enterprise' OR (enterprise_name IS NOT NULL AND credit_code IS NOT NULL)",
            name="enterprise_has_name_and_code",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    name_encrypted: Mapped[str | None] = mapped_column(String(400))
    phone_encrypted: Mapped[str | None] = mapped_column(String(400))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_encrypted: Mapped[str | None] = mapped_column(String(400))
    enterprise_name: Mapped[str | None] = mapped_column(String(200), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ComplaintParty(db.Model):  # type: ignore[name-defined]
    """Who stands behind a complaint: one principal, any joint complainants, and agents acting for them."""

    __tablename__ = "complaint_party"
    __table_args__ = (
        CheckConstraint("role IN ('principal', 'joint', 'agent')", name="known_role"),
        Index(
            "uq_complaint_party_one_principal",
            "complaint_id",
            unique=True,
            sqlite_where=text("role = 'principal'"),
            postgresql_where=text("role = 'principal'"),
        ),
    )

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("complainant.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(10))

    complainant: Mapped[Complainant] = relationship()


@dataclass(frozen=True)
class PersonInput:
    """A complainant as staff or a channel describe it, before validation and encryption."""

    kind: str
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    enterprise_name: str | None = None
    credit_code: str | None = None
    role: str = "principal"


@dataclass(frozen=True)
class Identity:
    """A decrypted complainant, for the people allowed to see it."""

    id: int
    kind: str
    role: str
    name: str | None
    phone: str | None
    id_number_masked: str | None
    enterprise_name: str | None
    credit_code: str | None


def normalize_phone(phone: str) -> str:
    """The number as stored and hashed: ASCII digits only, so ``139１2345678`` typed with a full-width digit is the
    same number (and finds the same complainant) as ``13912345678``."""
    digits = _digits(phone)
    if (
        re.fullmatch(MOBILE_PATTERN, digits)
        or re.fullmatch(r"0[0-9]{9,11}", digits)
        or re.fullmatch(r"[0-9]{7,8}", digits)
    ):
        return digits
    raise InvalidInput("电话号码格式不正确", code="invalid_phone")


def can_take_sms(phone: str | None) -> bool:
    """Whether a number on file can receive a text: a mainland mobile number. Landlines stay valid contact numbers
    (walk-ins give them, staff call them) but a text to one comes back as a permanent provider error."""
    if not phone:
        return False
    return re.fullmatch(MOBILE_PATTERN, _digits(phone)) is not None


def _digits(phone: str) -> str:
    """The number without separators and without the country code, full-width characters folded to ASCII (NFKC);
    other scripts' digits (Arabic-Indic, Devanagari) stay as they are, for the caller's ASCII-only pattern to refuse."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def validate_id_number(id_number: str) -> str:
    value = unicodedata.normalize("NFKC", id_number).strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise InvalidInput("身份证号码格式不正确", code="invalid_id_number")
    total = sum(int(ch) * weight for ch, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise InvalidInput("身份证号码校验位不正确", code="invalid_id_number")
    return value


def create_complainant(
    session: DbSession, cipher: PersonalDataCipher, person: PersonInput, now: datetime
) -> Complainant:
    if person.kind not in KINDS:
        raise InvalidInput("诉求人类型不正确", code="invalid_complainant_kind")
    complainant = Complainant(kind=person.kind, created_at=now)
    if person.kind == "enterprise":
        code = unicodedata.normalize("NFKC", person.credit_code or "").strip().upper()
        if not credit_code.is_valid(code):
            raise InvalidInput("统一社会信用代码不正确（应为18位且校验位正确）", code="invalid_credit_code")
        if not (person.enterprise_name or "").strip():
            raise InvalidInput("请填写企业名称", code="enterprise_name_required")
        complainant.enterprise_name = (person.enterprise_name or "").strip()
        complainant.credit_code = code
    elif not (person.name or "").strip():
        raise InvalidInput("请填写诉求人姓名", code="name_required")
    if person.name and person.name.strip():
        complainant.name_encrypted = cipher.encrypt(person.name.strip())
    if person.phone:
        phone = normalize_phone(person.phone)
        complainant.phone_encrypted = cipher.encrypt(phone)
        complainant.phone_hash = cipher.lookup_hash(phone)
    if person.id_number:
        complainant.id_number_encrypted = cipher.encrypt(validate_id_number(person.id_number))
    session.add(complainant)
    return complainant


def find_by_phone(session: DbSession, cipher: PersonalDataCipher, phone: str) -> list[Complainant]:
    digest = cipher.lookup_hash(normalize_phone(phone))
    return list(session.scalars(select(Complainant).where(Complainant.phone_hash == digest)))


def reveal(cipher: PersonalDataCipher, complainant: Complainant, role: str) -> Identity:
    id_number = cipher.decrypt(complainant.id_number_encrypted) if complainant.id_number_encrypted else None
    return Identity(
        id=complainant.id,
        kind=complainant.kind,
        role=role,
        name=cipher.decrypt(complainant.name_encrypted) if complainant.name_encrypted else None,
        phone=cipher.decrypt(complainant.phone_encrypted) if complainant.phone_encrypted else None,
        id_number_masked=f"{id_number[:3]}{'*' * 11}{id_number[-4:]}" if id_number else None,
        enterprise_name=complainant.enterprise_name,
        credit_code=complainant.credit_code,
    )
