"""The channel adapters' own tables, imported in one place so that Alembic sees them."""

from .hotline import HotlineNonce

__all__ = ["HotlineNonce"]
