"""marshmallow's standard messages (required, length, one-of, range, wrong type, unknown field) in Chinese, with the
field's Chinese label: the label a schema declares (``fields.String(metadata={"label": "正文"})``), else the one
:data:`FIELD_LABELS` gives the field's name in that schema or in any. A message that is already Chinese (a schema's
own validator) is kept as it is. The console says them beside a form's fields (console/form_errors.py); the API
says them in an error's ``details``, keeping their structure (``{"json": {"length": ["时长须为整数"]}}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marshmallow import Schema

FIELD_LABELS = {
    # the same name means different things in different forms: "Form.field" first
    "TransferForm.body": "转送机关",
    "NoticeForm.body": "正文",
    "NoticeForm.kind": "通知单类型",
    "RegisterForm.kind": "诉求人类型",
    "RegisterForm.channel": "来源",
    "RegisterForm.name": "诉求人姓名",
    "MessageTextForm.channel": "发送渠道",
    "MessageTextForm.text": "消息文字",
    "EscalateForm.level": "督办级别",
    "DepartmentForm.level": "层级",
    "ReplyForm.text": "答复内容",
    "HandlerForm.username": "承办人",
    "RoutingRuleForm.note": "说明",
    # then by name alone
    "reason": "理由",
    "lawful_channel": "依法处理途径",
    "target_reference": "并入案件编号",
    "note": "备注",
    "category_code": "问题类型",
    "domain_code": "领域",
    "urgency": "紧急程度",
    "days": "延期天数",
    "department_code": "单位",
    "format": "格式",
    "void_old_code": "原查询码作废确认",
    "title": "标题",
    "content": "诉求内容",
    "respondent": "被投诉单位",
    "place": "发生地",
    "confidentiality": "保密方式",
    "name": "名称",
    "phone": "联系电话",
    "enterprise_name": "企业名称",
    "credit_code": "统一社会信用代码",
    "year": "年份",
    "start": "开始时间",
    "schedule": "节假日安排",
    "place_contains": "地区含",
    "respondent_contains": "被投诉单位含",
    "threshold_percent": "阈值",
    "outcome": "回访结果",
    "comment": "意见",
    "subject": "事由",
    "rectify_by": "整改期限",
    "reply": "回复",
    "username": "用户名",
    "display_name": "姓名",
    "password": "密码",
    "role": "角色",
    "event": "事件",
    "code": "代码",
    "parent_code": "上级",
    "clock": "期限",
    "length": "时长",
    "unit": "单位",
    "basis": "依据",
    "template_id": "模板ID",
    "fields": "字段",
    "page": "跳转页面",
    "text": "内容",
    "body": "正文",
    "kind": "类型",
    "level": "级别",
    "channel": "渠道",
}

Rewording = Callable[[str, re.Match[str]], str]


def _length(label: str, m: re.Match[str]) -> str:
    low, high = int(m["min"]), int(m["max"])
    return f"{label}不能超过{high}个字" if low <= 1 else f"{label}须为{low}至{high}个字"


_MESSAGES: list[tuple[re.Pattern[str], Rewording]] = [
    (re.compile(r"^Missing data for required field\.$"), lambda label, m: f"请填写{label}"),
    (re.compile(r"^Field may not be null\.$"), lambda label, m: f"请填写{label}"),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"), _length),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"), lambda label, m: f"{label}至少须有{m['min']}个字"),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"), lambda label, m: f"{label}不能超过{m['max']}个字"),
    (re.compile(r"^Length must be (?P<n>\d+)\.$"), lambda label, m: f"{label}须为{m['n']}个字"),
    (re.compile(r"^Must be one of: .*\.$", re.S), lambda label, m: f"{label}的取值无效，请从列表中选择"),
    (re.compile(r"^Not a valid email address\.$"), lambda label, m: f"{label}不是有效的电子邮箱地址"),
    (
        re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to (?P<max>\S+)\.$"),
        lambda label, m: f"{label}须在{m['min']}至{m['max']}之间",
    ),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"), lambda label, m: f"{label}不能小于{m['min']}"),
    (re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"), lambda label, m: f"{label}不能大于{m['max']}"),
    (re.compile(r"^Must be greater than (?P<min>\S+)\.$"), lambda label, m: f"{label}须大于{m['min']}"),
    (re.compile(r"^Must be less than (?P<max>\S+)\.$"), lambda label, m: f"{label}须小于{m['max']}"),
    (
        re.compile(r"^Must be greater than (?P<min>\S+) and less than (?P<max>\S+)\.$"),
        lambda label, m: f"{label}须大于{m['min']}且小于{m['max']}",
    ),
    (re.compile(r"^Must be equal to .*\.$"), lambda label, m: f"请确认{label}"),
    (re.compile(r"^Not a valid integer\.$"), lambda label, m: f"{label}须为整数"),
    (re.compile(r"^Not a valid number\.$"), lambda label, m: f"{label}须为数字"),
    (re.compile(r"^Number too large\.$"), lambda label, m: f"{label}数值过大"),
    (re.compile(r"^Not a valid date\.$"), lambda label, m: f"{label}须为有效日期（如 2027-01-31）"),
    (re.compile(r"^Not a valid (datetime|time)\.$"), lambda label, m: f"{label}须为有效时间"),
    (re.compile(r"^Not a valid boolean\.$"), lambda label, m: f"{label}须为“是”或“否”"),
    (re.compile(r"^Not a valid (string|utf-8 string)\.$"), lambda label, m: f"{label}须为文字"),
    (re.compile(r"^Not a valid URL\.$"), lambda label, m: f"{label}不是有效的网址"),
    (re.compile(r"^Unknown field\.$"), lambda label, m: f"“{label}”不是可提交的项目"),
    (re.compile(r"^String does not match expected pattern\.$"), lambda label, m: f"{label}的格式不正确"),
]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def label_of(schema: Schema, key: str) -> str:
    """The Chinese label of the field submitted as ``key`` (its data_key, else its name) in ``schema``."""
    for name, declared in schema.fields.items():
        if (declared.data_key or name) == key:
            label = declared.metadata.get("label")
            if isinstance(label, str):
                return label
            break
    for form in type(schema).__mro__:
        qualified = FIELD_LABELS.get(f"{form.__name__}.{key}")
        if qualified:
            return qualified
    return FIELD_LABELS.get(key, key)


def reword(label: str, message: str) -> str:
    """One marshmallow message about the field labelled ``label``, in Chinese."""
    for pattern, rewording in _MESSAGES:
        found = pattern.match(message)
        if found:
            return rewording(label, found)
    if _CHINESE.search(message):
        return message
    return f"{label}的格式不正确"


LOCATIONS = frozenset({"json", "query", "form", "files", "headers", "cookies", "view_args", "path"})


def chinese_details(messages: Any, label: str = "请求") -> Any:
    """An API validation error's ``details`` with every message reworded, keyed as before; a list's entries (keyed
    by their index) keep their field's label."""
    if isinstance(messages, dict):
        reworded = {}
        for key, value in messages.items():
            name = str(key)
            inner = (
                label
                if name in LOCATIONS or name.isdigit()
                else "请求"
                if name == "_schema"
                else FIELD_LABELS.get(name, name)
            )
            reworded[key] = chinese_details(value, inner)
        return reworded
    if isinstance(messages, list | tuple):
        return [chinese_details(message, label) for message in messages]
    return reword(label, str(messages))
