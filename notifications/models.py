"""The notification side's own tables, imported in one place so that Alembic sees them."""

from .lease import JobLease

__all__ = ["JobLease"]
