"""Password policy from seed 000, plus the common-password list."""

import pytest

from groupbuy.accounts.passwords import hash_password, password_problems, verify_password


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("CooigHello290", True),  # the seed's own example
        ("abc12", False),  # 5 characters
        ("Abcdefghij1234567890x", False),  # 21 characters
        ("Abcde1", True),  # 6 characters, two classes
        ("Abcdefghij123456789x", True),  # 20 characters
        ("abcdefgh", False),  # lower case only
        ("ABCDEFGH", False),  # upper case only
        ("12345678", False),  # digits only
        ("!@#$%^&*", False),  # punctuation only
        ("abc!@#de", True),  # lower + punctuation
        ("Cooig Hello290", False),  # a space
        ("Cooig\tHello290", False),  # any whitespace
        ("password1", False),  # common, though two classes
        ("Woaini1314", False),  # common (case-insensitive)
    ],
)
def test_password_policy(password: str, ok: bool) -> None:
    assert (password_problems(password) == []) is ok


def test_hash_round_trip_and_wrong_password() -> None:
    hashed = hash_password("CooigHello290", profile="cheapest")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "CooigHello290", profile="cheapest")
    assert not verify_password(hashed, "CooigHello291", profile="cheapest")
    assert not verify_password(None, "CooigHello290", profile="cheapest")
