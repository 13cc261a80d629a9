"""A demo center for a first start: departments, categories and domains, one login per role (all with the demo
password), and cases at every stage so a newcomer sees a living center.

Idempotent: running it again creates only what is missing (cases only into an empty case table). The CLI
refuses it in production. The complaints are invented; any resemblance to real enterprises is accidental.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from . import after_closure, handling, intake, supervision, triage_decisions
from .accounts import CLI_ACTOR, create_staff_user, find_user
from .calendar_schedule import load_calendar
from .cases import Complaint
from .complainants import PersonInput
from .crypto import PersonalDataCipher
from .database import DbSession
from .departments import Department, department_by_code
from .machine import CaseContext, StaffActor
from .passwords import hash_password
from .permissions import Role
from .taxonomy import Category, Domain

DEMO_PASSWORD = "Demo-2026-pass"  # noqa: S105 (demo logins only; seeding is refused in production)

CATEGORIES = [
    ("arbitrary-fines", "乱罚款、乱收费"),
    ("repeated-inspections", "多头检查、重复检查"),
    ("irregular-procedure", "执法程序不规范"),
    ("inaction", "不作为、慢作为"),
    ("extortion", "吃拿卡要"),
    ("judicial-enforcement", "涉企司法执行问题"),
    ("hard-service", "办事难、办事慢"),
    ("other", "其他"),
]
DOMAINS = [
    ("market", "市场监管"),
    ("environment", "生态环境"),
    ("transport", "交通运输"),
    ("tax", "税务"),
    ("public-security", "公安"),
    ("construction", "住房城乡建设"),
    ("justice", "司法"),
    ("general", "综合"),
]
DEPARTMENTS = [
    ("city-samr", "市市场监督管理局", None, "city", ["arbitrary-fines", "repeated-inspections", "irregular-procedure"]),
    ("city-eco", "市生态环境局", None, "city", ["repeated-inspections", "irregular-procedure", "inaction"]),
    ("city-transport", "市交通运输局", None, "city", ["arbitrary-fines", "irregular-procedure"]),
    ("city-tax", "市税务局", None, "city", ["hard-service", "irregular-procedure"]),
    ("city-police", "市公安局", None, "city", ["extortion", "irregular-procedure", "inaction"]),
    ("city-court", "市中级人民法院", None, "city", ["judicial-enforcement"]),
    ("dist-east", "东城区人民政府", None, "district", ["hard-service", "inaction"]),
    ("dist-east-samr", "东城区市场监督管理局", "dist-east", "district", ["arbitrary-fines", "repeated-inspections"]),
    ("discipline", "市纪委监委", None, "external", []),
]
USERS = [
    ("clerk", "登记员 王敏", Role.INTAKE_CLERK, None),
    ("triage", "分办员 李强", Role.TRIAGE_OFFICER, None),
    ("supervisor", "督办负责人 张华", Role.SUPERVISOR, None),
    ("samr.handler", "市场监管局经办人 赵磊", Role.DEPARTMENT_HANDLER, "city-samr"),
    ("samr.head", "市场监管局负责人 陈静", Role.DEPARTMENT_HEAD, "city-samr"),
    ("eco.handler", "生态环境局经办人 周洋", Role.DEPARTMENT_HANDLER, "city-eco"),
    ("eco.head", "生态环境局负责人 吴芳", Role.DEPARTMENT_HEAD, "city-eco"),
    ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, None),
    ("secadmin", "安全管理员", Role.SECURITY_ADMIN, None),
    ("auditor", "审计管理员", Role.AUDIT_ADMIN, None),
]


def seed_reference_data(session: DbSession, now: datetime) -> None:
    """Categories, domains and departments (with the categories each handles); only what is missing."""
    for model, rows in ((Category, CATEGORIES), (Domain, DOMAINS)):
        existing = set(session.scalars(select(model.code)))
        session.add_all(model(code=code, name=name, created_at=now) for code, name in rows if code not in existing)
    session.flush()
    categories = {c.code: c for c in session.scalars(select(Category))}
    by_code = {d.code: d for d in session.scalars(select(Department))}
    for code, name, parent, level, handled in DEPARTMENTS:
        if code in by_code:
            continue
        department = Department(
            code=code, name=name, level=level, created_at=now, parent_id=by_code[parent].id if parent else None
        )
        department.categories = [categories[c] for c in handled]
        session.add(department)
        session.flush()
        by_code[code] = department


def seed_staff(session: DbSession, now: datetime) -> list[str]:
    created = []
    for username, display_name, role, department_code in USERS:
        if find_user(session, username) is None:
            create_staff_user(
                session,
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                password_hash=_demo_password_hash(),
                role=role.value,
                department_code=department_code,
                actor=CLI_ACTOR,
                now=now,
            )
            created.append(username)
    return created


@functools.cache
def _demo_password_hash() -> str:
    """One Argon2 hash of the published demo password for every demo account (each is verified as usual)."""
    return hash_password(DEMO_PASSWORD)


def seed_demo_center(session: DbSession, cipher: PersonalDataCipher, *, now: datetime) -> list[str]:
    """Create what is missing of the demo center; returns the usernames created."""
    seed_reference_data(session, now)
    created = seed_staff(session, now)
    if not session.scalar(select(func.count()).select_from(Complaint)):
        DemoCases(session, cipher, now).create_all()
    return created


@dataclass
class DemoCases:
    session: DbSession
    cipher: PersonalDataCipher
    now: datetime

    def ctx(self, username: str, days_ago: float) -> CaseContext:
        user = find_user(self.session, username)
        assert user is not None
        label = user.department.name if user.department else "法治监督中心"
        actor = StaffActor(
            id=user.id, name=user.username, role=user.role, department_id=user.department_id, label=label
        )
        return CaseContext(
            self.session, actor, self.now - timedelta(days=days_ago), self.cipher, load_calendar(self.session)
        )

    def file(
        self,
        days_ago: float,
        title: str,
        content: str,
        respondent: str,
        category: str,
        domain: str,
        person: PersonInput | None,
        channel: str = "miniprogram",
    ) -> Complaint:
        record = intake.IntakeRecord(
            channel=channel,
            title=title,
            content=content,
            respondent=respondent,
            category_code=category,
            domain_code=domain,
            persons=[person] if person else [],
            confidentiality="confidential" if person else "anonymous",
        )
        complaint, _ = intake.file_complaint(self.ctx("clerk", days_ago), record)
        self.session.flush()
        return complaint

    def step(self, username: str, days_ago: float, operation: Callable[[CaseContext], object]) -> None:
        operation(self.ctx(username, days_ago))
        self.session.flush()

    def to_in_handling(
        self, complaint: Complaint, start: float, lead: str = "city-samr", assisting: list[str] | None = None
    ) -> None:
        self.step("triage", start - 1, lambda c: triage_decisions.accept(c, complaint))
        self.step(
            "triage",
            start - 1.5,
            lambda c: handling.assign(
                c, complaint, lead_code=lead, assisting_codes=assisting or [], instructions="请依法核查并书面答复"
            ),
        )
        handler = "samr.handler" if lead == "city-samr" else "eco.handler"
        self.step(handler, start - 2, lambda c: handling.sign(c, handling.lead_leg(complaint)))

    def to_replied(self, complaint: Complaint, start: float) -> None:
        self.to_in_handling(complaint, start)
        self.step(
            "samr.handler",
            start - 10,
            lambda c: handling.reply(
                c, handling.lead_leg(complaint), "经核查，执法人员存在程序瑕疵，已责令整改并退还相关款项。"
            ),
        )

    def to_closed(self, complaint: Complaint, start: float) -> None:
        self.to_replied(complaint, start)
        self.step("triage", start - 11, lambda c: handling.begin_review(c, complaint))
        self.step(
            "supervisor",
            start - 12,
            lambda c: handling.close(
                c, complaint, "经调查核实，您反映的问题属实，承办单位已纠正并退还罚款，相关人员已被批评教育。"
            ),
        )

    def create_all(self) -> None:
        enterprise = PersonInput(
            kind="enterprise",
            name="刘建国",
            phone="13912345678",
            enterprise_name="示例食品有限公司",
            credit_code="91350100M000100Y43",
        )
        person = PersonInput(kind="individual", name="陈晓梅", phone="13800138000")
        shop = PersonInput(
            kind="enterprise",
            name="黄伟",
            phone="13700137000",
            enterprise_name="东城示例五金商行",
            credit_code="91110000802100433B",
        )
        fine = (
            "市场监管执法人员对小额标签瑕疵顶格罚款",
            "我公司预包装食品标签字号偏小，执法人员未责令改正即处以顶格罚款五万元，且未告知陈述申辩权利。",
        )
        self.file(
            0.2,
            "同一周内被三个部门重复检查",
            "本月第二周，市场监管、生态环境、消防先后到厂检查同一事项，每次都要求停工配合，严重影响生产。",
            "市生态环境局",
            "repeated-inspections",
            "environment",
            enterprise,
        )
        self.file(
            0.5,
            "企业开办登记材料反复退回",
            "在东城区政务服务中心办理变更登记，三次被以不同理由退回，窗口人员不一次性告知所需材料。",
            "东城区人民政府",
            "hard-service",
            "general",
            shop,
            channel="hotline",
        )
        accepted = self.file(
            3,
            "交警部门对货车超限处罚不出具文书",
            "货车在检测站被罚款两千元，未出具行政处罚决定书。",
            "市交通运输局",
            "arbitrary-fines",
            "transport",
            person,
            channel="walkin",
        )
        self.step("triage", 2, lambda c: triage_decisions.accept(c, accepted))
        rejected = self.file(
            8,
            "对法院民事判决结果不服",
            "请求中心撤销一审判决，重新审理合同纠纷。",
            "市中级人民法院",
            "judicial-enforcement",
            "justice",
            person,
        )
        self.step(
            "triage",
            7,
            lambda c: triage_decisions.reject(
                c,
                rejected,
                reason="该事项属于对生效裁判不服，应通过诉讼程序解决",
                lawful_channel="依法提起上诉或申请再审",
            ),
        )
        original = self.file(40, *fine, "市市场监督管理局", "arbitrary-fines", "market", enterprise)
        self.to_in_handling(original, 39)
        duplicate = self.file(
            6,
            "再次反映标签问题被顶格罚款",
            "之前反映的罚款问题至今未处理。",
            "市市场监督管理局",
            "arbitrary-fines",
            "market",
            enterprise,
        )
        self.step("triage", 5, lambda c: triage_decisions.merge(c, duplicate, original, "同一企业同一事项"))
        transferred = self.file(
            9, "小区物业乱收停车费", "物业公司擅自提高停车费标准。", "某物业公司", "other", "general", person
        )
        self.step(
            "triage",
            8,
            lambda c: triage_decisions.transfer(
                c, transferred, body="区住房和城乡建设局", reason="物业收费属行业主管部门职责"
            ),
        )
        withdrawn = self.file(
            4, "税务稽查通知送达不规范", "稽查通知未按规定送达。", "市税务局", "irregular-procedure", "tax", shop
        )
        self.step(
            "clerk", 3.5, lambda c: triage_decisions.withdraw(c, withdrawn, "诉求人电话告知问题已自行解决，申请撤回")
        )
        assigned = self.file(
            2,
            "环保检查要求停产整改无书面依据",
            "执法人员口头要求停产，未出具任何书面文书。",
            "市生态环境局",
            "irregular-procedure",
            "environment",
            enterprise,
        )
        self.step("triage", 1.5, lambda c: triage_decisions.accept(c, assigned))
        self.step(
            "triage",
            1,
            lambda c: handling.assign(
                c, assigned, lead_code="city-eco", assisting_codes=[], instructions="请核实执法依据"
            ),
        )
        overdue = self.file(
            75,
            "查封设备超过法定期限未解封",
            "设备被查封已两个多月，既未作出处理决定也未解除查封，工厂停产。",
            "市市场监督管理局",
            "irregular-procedure",
            "market",
            enterprise,
        )
        self.to_in_handling(overdue, 74, assisting=["city-eco"])
        self.step("supervisor", 5, lambda c: supervision.raise_supervision(c, overdue, "yellow", "超期未办结"))
        self.step(
            "supervisor",
            4,
            lambda c: supervision.issue_notice(
                c,
                overdue,
                kind="supervision_notice",
                department=department_by_code(self.session, "city-samr"),
                subject="查封设备超期未解封问题督办",
                body="请于10个工作日内书面报告查封依据、办理进展和解封安排。",
            ),
        )
        replied = self.file(
            20,
            "市场监管所执法人员索要好处费",
            "执法人员暗示缴纳“协调费”可免于处罚。",
            "市市场监督管理局",
            "extortion",
            "market",
            None,
        )
        self.to_replied(replied, 19)
        self.step(
            "supervisor",
            8,
            lambda c: supervision.issue_notice(
                c,
                replied,
                kind="clue_transfer",
                department=department_by_code(self.session, "discipline"),
                subject="执法人员涉嫌索要好处费问题线索",
                body="现将有关问题线索移交，请依规依纪处理。",
            ),
        )
        review = self.file(
            25,
            "年检收费项目不明确",
            "车辆年检时被收取未公示的费用。",
            "市交通运输局",
            "arbitrary-fines",
            "transport",
            person,
        )
        self.to_replied(review, 24)
        self.step("triage", 13, lambda c: handling.begin_review(c, review))
        awaiting_follow_up = self.file(35, *fine, "市市场监督管理局", "arbitrary-fines", "market", shop)
        self.to_closed(awaiting_follow_up, 34)
        satisfied = self.file(
            50,
            "多部门重复要求提交同一材料",
            "环评、安评材料被多个部门反复要求提交。",
            "市生态环境局",
            "repeated-inspections",
            "environment",
            enterprise,
        )
        self.to_closed(satisfied, 49)
        self.step(
            "triage",
            30,
            lambda c: after_closure.record_follow_up(
                c, satisfied, outcome="satisfied", comment="问题已解决，感谢中心", source="staff"
            ),
        )
        redo = self.file(
            60,
            "退还多收的检测费用迟迟未到账",
            "承诺退还的检测费两个月未到账。",
            "市市场监督管理局",
            "inaction",
            "market",
            person,
        )
        self.to_closed(redo, 59)
        self.step(
            "triage",
            40,
            lambda c: after_closure.record_follow_up(
                c, redo, outcome="dissatisfied", comment="款项仍未退还", source="staff"
            ),
        )
