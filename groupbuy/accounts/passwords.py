"""Password policy (seed 000) and hashing (argon2id)."""

from __future__ import annotations

import string
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH, MAX_LENGTH = 6, 20


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("groupbuy").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problems(password: str) -> list[str]:
    """Reasons the password breaks the policy; empty when it is acceptable."""
    problems = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"Must be {MIN_LENGTH}-{MAX_LENGTH} characters.")
    if any(ch.isspace() for ch in password):
        problems.append("Must not contain spaces.")
    classes = sum(
        [
            any(ch.isupper() for ch in password),
            any(ch.islower() for ch in password),
            any(ch.isdigit() for ch in password),
            any(ch in string.punctuation for ch in password),
        ]
    )
    if classes < 2:
        problems.append("Must mix at least two of: upper case, lower case, digits, punctuation.")
    if password.lower() in _common_passwords():
        problems.append("Too common; choose another.")
    return problems


# OWASP minimum for argon2id (≈32 ms on 2 cores); CHEAPEST only for tests.
_HASHERS = {
    "owasp": PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
# Verified against when the login is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _HASHERS["owasp"].hash("not-a-real-password-1A")


def hash_password(password: str, *, profile: str) -> str:
    return _HASHERS[profile].hash(password)


def verify_password(password_hash: str | None, password: str, *, profile: str) -> bool:
    """True when ``password`` matches; a missing hash still costs a verification."""
    hasher = _HASHERS[profile]
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
