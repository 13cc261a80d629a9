"""The WeChat mini-program channel: login, phone, consents, filing, and what a complainant does afterwards.

Filing is confidential by default (the center knows who, departments do not) or fully anonymous: then no
identity is stored and the case is not linked to the WeChat account; the query code is the only key.

WeChat's content checks never cost a complainant their filing: risky text is refused, text WeChat wants a person
to look at is flagged ``review``, and text WeChat could not check (unreachable, an error, 61010 for an openid
without a recent visit) is flagged ``unchecked``, filed, and left to staff. The calls to WeChat are made before
anything is written, so no transaction (nor SQLite's write lock, nor the reference counter's row) waits on them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from complaints import after_closure, outbox, triage_decisions
from complaints.attachments import Attachment
from complaints.cases import Complaint
from complaints.complainants import PersonInput, normalize_phone
from complaints.crypto import PersonalDataCipher
from complaints.database import DbSession
from complaints.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from complaints.intake import IntakeRecord, file_complaint
from complaints.machine import CaseContext, InvalidTransition, StaffActor, record_event

from . import wechat
from .accounts import PRIVACY_NOTICE_VERSION, MiniProgramAccount, open_session
from .uploads import UploadStore

log = logging.getLogger(__name__)
MAX_ATTACHMENTS = 9  # per filing and per supplement: what wx.chooseMedia lets a user pick at once
MAX_SUPPLEMENTARY_ATTACHMENTS = 20
MAX_CASE_ATTACHMENTS = MAX_ATTACHMENTS + MAX_SUPPLEMENTARY_ATTACHMENTS  # the complainant's, over all calls
MEDIA_LINK_SECONDS = 3600  # WeChat fetches the image and answers within 30 minutes
COMPLAINANT_LABEL = "诉求人"
CONTENT_FLAG_SEVERITY = {None: 0, "unchecked": 1, "review": 2}  # the case's content_flag; risky text is refused
MEDIA_CHECK_SEVERITY = {"pass": 1, "review": 2, "risky": 3}  # anything else (pending, unchecked, none) is 0


@dataclass(frozen=True)
class TextCheck:
    """WeChat's msgSecCheck verdict on a text we accept: pass, review, or unchecked (with the reason)."""

    verdict: str
    reason: str | None = None

    @property
    def flag(self) -> str | None:
        return None if self.verdict == "pass" else self.verdict


@dataclass(frozen=True)
class Filing:
    """What the mini-program sends to file a complaint."""

    title: str
    content: str
    respondent: str
    persons: list[PersonInput] = field(default_factory=list)
    anonymous: bool = False
    place: str | None = None
    category_hint: str | None = None
    attachment_ids: list[int] = field(default_factory=list)


def complainant_actor(account: MiniProgramAccount | None) -> StaffActor:
    return StaffActor(id=None, name=f"mp:{account.id}" if account else "mp:anonymous", label=COMPLAINANT_LABEL)


def log_in(
    session: DbSession, client: wechat.MiniProgramClient, code: str, now: datetime
) -> tuple[MiniProgramAccount, str]:
    identity = wechat.code_to_session(client, code)
    account = session.scalar(select(MiniProgramAccount).where(MiniProgramAccount.openid == identity["openid"]))
    if account is None:
        account = MiniProgramAccount(openid=identity["openid"], created_at=now, last_login_at=now)
        session.add(account)
        session.flush()
    account.unionid = identity["unionid"] or account.unionid
    account.last_login_at = now
    return account, open_session(session, account, now)


def bind_phone(
    client: wechat.MiniProgramClient, cipher: PersonalDataCipher, account: MiniProgramAccount, code: str
) -> str:
    phone = normalize_phone(wechat.phone_number(client, code))
    account.phone_encrypted = cipher.encrypt(phone)
    account.phone_hash = cipher.lookup_hash(phone)
    return phone


def accept_privacy(account: MiniProgramAccount, version: str, now: datetime) -> None:
    if version != PRIVACY_NOTICE_VERSION:
        raise InvalidInput("隐私说明已更新，请阅读最新版本后再同意", code="privacy_version_outdated")
    account.privacy_version, account.privacy_accepted_at = version, now


def consent_to_id_number(account: MiniProgramAccount, now: datetime) -> None:
    if not account.privacy_accepted:
        raise PermissionDenied("请先阅读并同意隐私说明", code="privacy_not_accepted")
    account.id_number_consent_at = now


def file(
    ctx: CaseContext,
    client: wechat.MiniProgramClient,
    account: MiniProgramAccount,
    filing: Filing,
    *,
    store: UploadStore,
    public_base_url: str,
) -> tuple[Complaint, str]:
    _check_consents(account, filing)
    attachments = _own_unattached(ctx.session, account, filing.attachment_ids)
    _check_authorization(filing, attachments)
    text = "\n".join(filter(None, [filing.title, filing.content, filing.place]))
    checked = _check_text(client, account, text, refusal="提交内容含有违法违规信息，请修改后重新提交")
    traces = _start_media_checks(
        client, account, attachments, store, public_base_url, ctx.now, attempt=checked.verdict != "unchecked"
    )
    persons = [] if filing.anonymous else _with_bound_phone(ctx, account, filing.persons)
    record = IntakeRecord(
        channel="miniprogram",
        title=filing.title,
        content=filing.content,
        respondent=filing.respondent,
        persons=persons,
        confidentiality="anonymous" if filing.anonymous else "confidential",
        place=filing.place,
        category_code=filing.category_hint,
        owner_account_id=None if filing.anonymous else account.id,
        content_flag=checked.flag,
    )
    complaint, code = file_complaint(ctx, record)
    _attach(ctx, complaint, attachments, anonymous=filing.anonymous)
    _record_media_checks(attachments, traces)
    _note_content_flag(ctx, complaint, checked, "诉求内容")
    return complaint, code


def my_cases(session: DbSession, account: MiniProgramAccount) -> list[Complaint]:
    return list(
        session.scalars(select(Complaint).where(Complaint.owner_account_id == account.id).order_by(Complaint.id.desc()))
    )


def my_case(session: DbSession, account: MiniProgramAccount, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or complaint.owner_account_id != account.id:
        raise NotFound("案件不存在", code="complaint_not_found")
    return complaint


def add_material(
    ctx: CaseContext,
    client: wechat.MiniProgramClient,
    account: MiniProgramAccount,
    complaint: Complaint,
    text: str,
    attachment_ids: list[int],
    *,
    store: UploadStore,
    public_base_url: str,
) -> None:
    """Supplementary text and files: checked by WeChat like a filing (risky text refused, the rest flagged for
    staff when WeChat asks for a look or could not check), at most MAX_ATTACHMENTS files a time and
    MAX_CASE_ATTACHMENTS from the complainant on one case."""
    if complaint.status in ("rejected", "merged", "transferred", "withdrawn"):
        raise InvalidTransition("案件已结束，不能再补充材料")
    attachments = _own_unattached(ctx.session, account, attachment_ids)
    if not text.strip() and not attachments:
        raise InvalidInput("请填写补充说明或上传材料", code="empty_material")
    _check_case_capacity(ctx.session, complaint, len(attachments))
    checked = (
        _check_text(client, account, text, refusal="补充内容含有违法违规信息，请修改后重新提交")
        if text.strip()
        else TextCheck("pass")
    )
    traces = _start_media_checks(
        client, account, attachments, store, public_base_url, ctx.now, attempt=checked.verdict != "unchecked"
    )
    _attach(ctx, complaint, attachments, anonymous=False)
    _record_media_checks(attachments, traces)
    note = text.strip()[:500] or f"补充材料{len(attachments)}份"
    record_event(ctx, complaint, "material_added", note=note, public=True)
    if checked.flag is not None:
        complaint.content_flag = max(
            complaint.content_flag, checked.flag, key=lambda flag: CONTENT_FLAG_SEVERITY.get(flag, 0)
        )
    _note_content_flag(ctx, complaint, checked, "补充说明")
    outbox.enqueue(
        ctx.session,
        "material.added",
        "center",
        now=ctx.now,
        complaint_id=complaint.id,
        payload={"reference": complaint.reference},
    )


def withdraw(ctx: CaseContext, complaint: Complaint, reason: str | None) -> None:
    triage_decisions.withdraw(ctx, complaint, reason)


def rate(ctx: CaseContext, complaint: Complaint, outcome: str, comment: str | None) -> None:
    after_closure.record_follow_up(ctx, complaint, outcome=outcome, comment=comment, source="complainant")


def apply_media_verdict(session: DbSession, trace_id: str, suggest: str) -> Attachment | None:
    """The verdict of WeChat's media check event. The worst verdict stands: a later (or replayed) "pass" never
    clears a "risky" or "review"; an unknown verdict counts as "review"."""
    attachment = session.scalar(select(Attachment).where(Attachment.media_trace_id == trace_id))
    if attachment is None:
        return None
    verdict = suggest if suggest in MEDIA_CHECK_SEVERITY else "review"
    if MEDIA_CHECK_SEVERITY[verdict] >= MEDIA_CHECK_SEVERITY.get(attachment.media_check or "", 0):
        attachment.media_check = verdict
    attachment.flagged = attachment.media_check != "pass"
    return attachment


def _check_consents(account: MiniProgramAccount, filing: Filing) -> None:
    if not account.privacy_accepted:
        raise PermissionDenied("请先阅读并同意隐私说明", code="privacy_not_accepted")
    if any(person.id_number for person in filing.persons) and account.id_number_consent_at is None:
        raise PermissionDenied("提供身份证号前须单独同意", code="id_number_consent_required")


def _check_authorization(filing: Filing, attachments: list[Attachment]) -> None:
    """Filing for an enterprise needs its authorization letter or business licence."""
    if filing.anonymous or not any(person.kind == "enterprise" for person in filing.persons):
        return
    if not any(attachment.purpose in ("authorization", "licence") for attachment in attachments):
        raise InvalidInput("以企业名义投诉须上传授权委托书或营业执照", code="authorization_required")


def _with_bound_phone(ctx: CaseContext, account: MiniProgramAccount, persons: list[PersonInput]) -> list[PersonInput]:
    if not account.phone_encrypted:
        return persons
    phone = ctx.cipher.decrypt(account.phone_encrypted)
    return [
        PersonInput(**{**person.__dict__, "phone": person.phone or phone}) if person.role == "principal" else person
        for person in persons
    ]


def _own_unattached(session: DbSession, account: MiniProgramAccount, ids: list[int]) -> list[Attachment]:
    if len(ids) > MAX_ATTACHMENTS:
        raise InvalidInput(f"每次最多提交{MAX_ATTACHMENTS}个附件", code="too_many_attachments")
    if not ids:
        return []
    found = list(session.scalars(select(Attachment).where(Attachment.id.in_(ids))))
    if len(found) != len(set(ids)) or any(
        a.uploader_account_id != account.id or a.complaint_id is not None for a in found
    ):
        raise InvalidInput("附件不存在或已使用", code="invalid_attachment")
    return found


def _attach(ctx: CaseContext, complaint: Complaint, attachments: list[Attachment], *, anonymous: bool) -> None:
    for attachment in attachments:
        attachment.complaint_id = complaint.id
        if anonymous:
            attachment.uploader_account_id = None  # an anonymous case keeps no link to the WeChat account


def _check_case_capacity(session: DbSession, complaint: Complaint, adding: int) -> None:
    if not adding:
        return
    held = session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.complaint_id == complaint.id, Attachment.uploaded_by == "complainant")
    )
    left = max(0, MAX_CASE_ATTACHMENTS - (held or 0))
    if adding > left:
        raise InvalidInput(
            f"每件诉求的附件合计最多{MAX_CASE_ATTACHMENTS}个，本案还可补充{left}个", code="too_many_attachments"
        )


def _check_text(client: wechat.MiniProgramClient, account: MiniProgramAccount, text: str, *, refusal: str) -> TextCheck:
    """msgSecCheck v2: risky text is refused with ``refusal``; when WeChat cannot answer, the text is accepted
    as unchecked (for staff to read) rather than losing the complainant's submission."""
    try:
        verdict = wechat.check_text(client, account.openid, text)
    except DomainError as error:
        reason = wechat.unchecked_reason(error)
        log.warning("text check failed for account %s: %s", account.id, reason)
        return TextCheck("unchecked", reason)
    if verdict == "risky":
        raise InvalidInput(refusal, code="content_risky")
    return TextCheck(verdict)


def _note_content_flag(ctx: CaseContext, complaint: Complaint, checked: TextCheck, what: str) -> None:
    """An internal timeline event saying which text waits for a person and why."""
    if checked.verdict == "review":
        note = f"{what}经微信内容安全检测，建议人工审核"
    elif checked.verdict == "unchecked":
        note = f"{what}未能经微信内容安全检测，请人工审核：{checked.reason}"
    else:
        return
    record_event(ctx, complaint, "content_flagged", note=note)


def _start_media_checks(
    client: wechat.MiniProgramClient,
    account: MiniProgramAccount,
    attachments: list[Attachment],
    store: UploadStore,
    public_base_url: str,
    now: datetime,
    *,
    attempt: bool,
) -> dict[int, str | None]:
    """Ask WeChat to check each image (before anything is written): attachment id → trace id, or None when the
    check could not be started. After the first failure (or with ``attempt`` false, when the text check just
    failed) no further call is made: the same openid and service would fail again, each after a timeout."""
    expires = int(now.timestamp()) + MEDIA_LINK_SECONDS
    traces: dict[int, str | None] = {}
    for attachment in attachments:
        if not attachment.content_type.startswith("image/"):
            continue
        traces[attachment.id] = None
        if not attempt:
            continue
        url = store.signed_url(public_base_url, attachment.storage_key, expires)
        try:
            traces[attachment.id] = wechat.check_media_async(client, account.openid, url)
        except DomainError as error:
            log.warning("media check not started for attachment %s: %s", attachment.id, wechat.unchecked_reason(error))
            attempt = False
    return traces


def _record_media_checks(attachments: list[Attachment], traces: dict[int, str | None]) -> None:
    """An image whose check started waits for WeChat's event; one whose check could not start is flagged."""
    for attachment in attachments:
        if attachment.id not in traces:
            continue
        trace_id = traces[attachment.id]
        attachment.media_trace_id = trace_id
        attachment.media_check = "pending" if trace_id else "unchecked"
        attachment.flagged = trace_id is None
