"""What a refused form says, in Chinese (api/field_messages.py rewords marshmallow's messages with each field's
label), and what the re-rendered form page needs to show it beside the fields."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

from api.field_messages import label_of, reword


def field_errors(schema: Schema, messages: Any) -> dict[str, str]:
    """marshmallow's ``ValidationError.messages`` as one Chinese sentence per submitted field."""
    if not isinstance(messages, dict):
        return {"_schema": "；".join(reword("表单", str(m)) for m in _flat(messages))}
    errors: dict[str, str] = {}
    for key, problems in messages.items():
        label = "表单" if key == "_schema" else label_of(schema, str(key))
        errors[str(key)] = "；".join(dict.fromkeys(reword(label, str(p)) for p in _flat(problems)))
    return errors


def _flat(problems: Any) -> Iterable[Any]:
    if isinstance(problems, dict):
        for nested in problems.values():
            yield from _flat(nested)
    elif isinstance(problems, list | tuple):
        for problem in problems:
            yield from _flat(problem)
    else:
        yield problems


NOT_KEPT = frozenset({"csrf_token", "password", "code"})


@dataclass(frozen=True)
class FormState:
    """A refused form as its page shows it again: the error beside each field, the summary above the form, and
    what was typed (never a password or a one-time code)."""

    action: str = ""
    message: str = ""
    code: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    submitted: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.message)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    def value(self, name: str, default: Any = "") -> Any:
        """What was typed into ``name``, or ``default`` on a fresh form (or a field that is not kept)."""
        if not self or name in NOT_KEPT:
            return default
        values = self.submitted.get(name)
        return values[0] if values else ""

    def chosen(self, name: str, option: str, default: bool = False) -> bool:
        """Whether ``option`` of the select or checkbox ``name`` was chosen (``default`` on a fresh form)."""
        if not self:
            return default
        return option in self.submitted.get(name, [])


NO_FORM = FormState()
