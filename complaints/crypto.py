"""Personal data at rest: Fernet encryption with key rotation, and a keyed hash for lookups.

Encrypted values cannot be searched, so a field that staff look things up by (a phone number) is stored twice:
encrypted, and as an HMAC-SHA256 of its normalized form under a separate key. The first Fernet key encrypts;
every key decrypts, so a new key is put first and old rows are re-encrypted with :meth:`rotate` at leisure
(``flask --app api keys rotate``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ServiceUnavailable


class KeysDoNotMatch(ServiceUnavailable):
    """The configured keys are not the ones the stored personal data was written with (a lost or replaced
    ``secrets`` folder, another DATA_DIR): nothing can be read, and nothing new must be written with them."""

    code = "keys_mismatch"
    message = "个人信息无法解密：配置的数据加密密钥与数据库中的数据不符，请联系系统管理员检查 DATA_ENCRYPTION_KEYS 与 LOOKUP_HASH_KEY"


class PersonalDataCipher:
    def __init__(self, keys: Sequence[str], lookup_key: bytes) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._lookup_key = lookup_key

    def encrypt(self, value: str) -> str:
        return self.encrypt_bytes(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """The value re-encrypted with the first key."""
        return self.rotate_bytes(token.encode()).decode()

    def encrypt_bytes(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes:
        with _opened_by_these_keys():
            return self._fernet.decrypt(token)

    def rotate_bytes(self, token: bytes) -> bytes:
        with _opened_by_these_keys():
            return self._fernet.rotate(token)

    def lookup_hash(self, normalized_value: str) -> str:
        return hmac.new(self._lookup_key, normalized_value.encode(), hashlib.sha256).hexdigest()


@contextmanager
def _opened_by_these_keys() -> Iterator[None]:
    try:
        yield
    except InvalidToken:
        raise KeysDoNotMatch() from None
