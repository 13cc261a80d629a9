from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from complaints.crypto import KeysDoNotMatch, PersonalDataCipher


def test_encrypts_rotates_and_hashes() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old = PersonalDataCipher([old_key], b"k" * 32)
    token = old.encrypt("13800138000")
    assert "13800138000" not in token
    rotated = PersonalDataCipher([new_key, old_key], b"k" * 32)
    assert rotated.decrypt(token) == "13800138000"
    new_token = rotated.rotate(token)
    assert PersonalDataCipher([new_key], b"k" * 32).decrypt(new_token) == "13800138000"
    with pytest.raises(KeysDoNotMatch):
        PersonalDataCipher([new_key], b"k" * 32).decrypt(token)
    assert old.lookup_hash("13800138000") == rotated.lookup_hash("13800138000")
    assert old.lookup_hash("13800138000") != PersonalDataCipher([old_key], b"j" * 32).lookup_hash("13800138000")
