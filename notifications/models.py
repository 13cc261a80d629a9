"""The notification side's own tables, imported in one place so that Alembic sees them."""

from .lease import JobLease
from .subscribe import TemplateMapping
from .texts import MessageText
from .wecom import WeComSend

__all__ = ["JobLease", "MessageText", "TemplateMapping", "WeComSend"]
