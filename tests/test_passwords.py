"""Passwords: argon2id hashes, the rules for a new password, one-time passwords and tokens."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dashboard import passwords as pw

CHINESE_FAVOURITES = (
    "123456", "a123456", "123456a", "5201314", "woaini1314", "qq123456", "1qaz2wsx", "abc123456",
    "123qwe", "111111", "000000", "11111111", "88888888", "147258369", "123123", "666666",
    "888888", "password", "qwerty123",
)  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def test_a_hash_is_argon2id_salted_and_verifies_only_its_password():
    first = pw.hash_password("river-stone-42")
    second = pw.hash_password("river-stone-42")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # a new salt each time
    assert "river-stone-42" not in first
    assert pw.verify_password(first, "river-stone-42")
    assert pw.verify_password(second, "river-stone-42")
    assert not pw.verify_password(first, "river-stone-43")
    assert not pw.verify_password(first, "River-stone-42")
    assert not pw.verify_password(first, "")


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "$argon2id$v=19$m=65536,t=3,p=4$密码$c2FsdA",  # not ASCII
        pw.DUMMY_HASH[:-4],  # cut short
        pw.DUMMY_HASH + "\x00",
    ],
)
def test_a_malformed_hash_verifies_nothing_and_raises_nothing(bad_hash):
    assert pw.verify_password(bad_hash, "river-stone-42") is False


def test_the_dummy_hash_costs_what_a_real_one_does():
    """Verifying against it takes as long as against an account's hash: same type, same cost."""
    assert pw.DUMMY_HASH.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(pw.DUMMY_HASH)
    assert pw.verify_password(pw.DUMMY_HASH, "river-stone-42") is False


@pytest.mark.parametrize(
    ("password", "login", "words"),
    [
        ("", "alice", "shorter than 10"),
        ("abcdefghi", "alice", "shorter than 10"),
        ("x" * 1025, "alice", "longer than 1024"),
        ("woaini1314", "alice", "commonest"),
        ("WoAiNi1314", "alice", "commonest"),  # case does not help
        ("QWERTYUIOP", "alice", "commonest"),
        ("1234567890", "alice", "commonest"),
        ("alice.zhang", "alice.zhang", "login itself"),
        ("Alice.Zhang", "alice.zhang", "login itself"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(password, login, words):
    problem = pw.password_problem(password, login)
    assert problem is not None and words in problem
    assert password not in problem or not password  # the reason never repeats the password


@pytest.mark.parametrize(
    "password", ["abcdefghij", "x" * 1024, "长城-黄河-泰山-2026", "alice.zhang2"]
)
def test_an_acceptable_password_has_no_problem(password):
    assert pw.password_problem(password, "alice.zhang") is None


def _data_lines() -> list[str]:
    text = pw.COMMON_PASSWORDS.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_the_common_password_list_is_1000_unique_entries_with_its_source():
    text = pw.COMMON_PASSWORDS.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("# source: ")
    lines = _data_lines()
    assert len(lines) == 1000
    assert all(line and line == line.strip() for line in lines)
    assert len({line.casefold() for line in lines}) == 1000
    assert pw.common_passwords() == frozenset(line.casefold() for line in lines)


def test_the_chinese_favourites_are_in_the_list():
    assert set(CHINESE_FAVOURITES) <= pw.common_passwords()


def test_the_list_ships_with_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["dashboard"]
    relative = pw.COMMON_PASSWORDS.relative_to(ROOT / "dashboard")
    assert any(relative.match(pattern) for pattern in shipped)


def test_one_time_passwords_are_long_unambiguous_random_and_acceptable():
    drawn = [pw.one_time_password() for _ in range(300)]
    assert len(set(drawn)) == len(drawn)
    for password in drawn:
        assert len(password) >= 16
        assert set(password) <= set(pw.ALPHABET)
        assert pw.password_problem(password, "alice") is None
    assert not set("0O1lI") & set(pw.ALPHABET)


def test_tokens_are_long_url_safe_and_kept_as_their_sha256():
    tokens = {pw.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43,}", token) for token in tokens)
    assert pw.token_digest("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    token = tokens.pop()
    assert pw.token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
