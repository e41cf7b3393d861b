"""Passwords and tokens: argon2id hashes, the rules a new password must pass, random secrets."""

from __future__ import annotations

import functools
import hashlib
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
MIN_LENGTH, MAX_LENGTH = 10, 1024
# One-time passwords are read off paper or a screen: no 0/O/o, 1/l/I.
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 16

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's recommended cost
# Verified against when a login is unknown, so that the answer takes as long as for a known
# one. Made by _HASHER from a random password nobody kept; the tests check that its cost
# is still _HASHER's (else its timing would tell).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$XBTmvTHD5caYeYXDOLNzEA"
    "$9tOKvHx/kfFP8Ae4Nex8M2iVwepeoFyZsvx4M1dtpPc"
)


def hash_password(password: str) -> str:
    """The argon2id hash string of `password` (random salt)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from; False for a malformed
    hash too (never raises for either)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):
        # VerificationError covers a mismatch; ValueError a hash that is not ASCII text
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 1,000 commonest passwords (data/common-passwords.txt), case-folded."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, login: str) -> str | None:
    """Why `password` may not be the password of `login`, in plain English, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password is shorter than {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password is longer than {MAX_LENGTH} characters"
    folded = password.casefold()
    if folded == login.casefold():
        return "the password is the login itself"
    if folded in common_passwords():
        return "the password is one of the 1,000 commonest passwords"
    return None


def one_time_password() -> str:
    """A random password of ONE_TIME_LENGTH characters from ALPHABET (about 93 bits) that
    passes password_problem (being some login's own name: one chance in 56**16)."""
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(ONE_TIME_LENGTH))
        if password_problem(password, "") is None:
            return password


def new_token() -> str:
    """A new secret for a cookie or a wall display's URL (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What a store keeps of a token: its sha256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
