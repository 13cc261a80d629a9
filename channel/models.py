"""The channel adapters' own tables, imported in one place so that Alembic sees them."""

from .accounts import MiniProgramAccount, MiniProgramSession, SubscriptionGrant
from .hotline import HotlineNonce
from .token_store import StoredToken

__all__ = ["HotlineNonce", "MiniProgramAccount", "MiniProgramSession", "StoredToken", "SubscriptionGrant"]
