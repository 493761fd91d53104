"""Staff passwords, stored as salted scrypt hashes (memory-hard: 16 MiB per check)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# n=2**14, r=8 needs 128 * r * n bytes = 16 MiB per hash: slow to brute-force on GPUs, quick enough to log in.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MIN_PASSWORD_LENGTH = 12


class WeakPassword(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * r * n, dklen=KEY_BYTES)


def check_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"use at least {MIN_PASSWORD_LENGTH} characters")
    if email and password.lower() == email.lower():
        raise WeakPassword("the password must not be the e-mail address")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(key))


# A hash to check against when the account does not exist, so both cases take as long.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
