"""A failed insert of a secret-bearing row logs no secret: not its parameters, not the database's row dump.

The database itself refuses the insert (a NOT VALID CHECK on PostgreSQL, whose error DETAIL repeats the
whole row, or a trigger raising a data error), so the exception is the one a driver raises, logged as a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from groupbuy import clock
from groupbuy.accounts.service import codes, sessions
from groupbuy.accounts.wechat import WECHAT_LOGIN, WeChatSession
from groupbuy.db import db
from groupbuy.logging import mask_secrets_in_text
from tests.accounts.conftest import send_code
from tests.conftest import CAPTURED, DEFAULT_PASSWORD, swap
from tests.factories.accounts import make_user
from tests.fakes.senders import RecordingSender

PHONE = "13800138000"
SESSION_KEY = "tEsTsEsSiOnKeY0123456789AB=="
HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


@contextmanager
def refused_inserts(app: Flask, table: str, *, row_in_detail: bool = True) -> Iterator[None]:
    """Every INSERT into ``table`` fails inside the database until the block ends.

    PostgreSQL with ``row_in_detail``: a NOT VALID CHECK, whose error DETAIL repeats the whole row
    (an IntegrityError). Otherwise a trigger raising a data error (a DataError, as a NUL byte gives).
    """
    with app.app_context(), db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres and row_in_detail:
            conn.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT test_refuse_insert CHECK (false) NOT VALID'))
        elif postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22000'; END $$"
                )
            )
            conn.execute(
                text(
                    f'CREATE TRIGGER test_refuse_insert BEFORE INSERT ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION test_refuse_insert()"
                )
            )
        else:  # SQLITE_TOOBIG: a DataError
            conn.execute(
                text(
                    f'CREATE TRIGGER test_refuse_insert BEFORE INSERT ON "{table}" '
                    "BEGIN SELECT zeroblob(2000000000); END"
                )
            )
    try:
        yield
    finally:
        with app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name != "postgresql":
                conn.execute(text("DROP TRIGGER test_refuse_insert"))
            elif row_in_detail:
                conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT test_refuse_insert'))
            else:
                conn.execute(text(f'DROP TRIGGER test_refuse_insert ON "{table}"'))
                conn.execute(text("DROP FUNCTION test_refuse_insert()"))


def _recording(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[tuple[Any, Any]]:
    """Wrap ``module.name``: every (kwargs or args, result) it produced, i.e. the secrets the insert carried."""
    seen: list[tuple[Any, Any]] = []
    real = getattr(module, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        seen.append((args or kwargs, result))
        return result

    monkeypatch.setattr(module, name, recording)
    return seen


def _assert_failure_logged_without(*secrets: str) -> None:
    log = "\n".join(CAPTURED.logs)
    assert "unhandled_error" in log and "Traceback" in log  # the failure was logged, with its traceback
    for secret in secrets:
        assert secret not in log
    assert "$argon2" not in log
    assert PHONE not in log
    assert not HEX64.search(log)


def test_failed_user_insert_logs_no_password_hash_or_phone(
    client: FlaskClient, app: Flask, outbox: RecordingSender
) -> None:
    assert send_code(client, PHONE).status_code == 202
    with refused_inserts(app, "users", row_in_detail=False):  # an IntegrityError here is a 409
        response = client.post(
            "/api/v1/auth/register",
            json={"phone": PHONE, "password": DEFAULT_PASSWORD, "code": outbox.last_code(PHONE), "nickname": "阿明"},
        )
    assert response.status_code == 500
    _assert_failure_logged_without(DEFAULT_PASSWORD)


def test_failed_token_insert_logs_no_token_or_digest(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        make_user(phone=PHONE)
    digests = _recording(monkeypatch, sessions, "token_digest")
    with refused_inserts(app, "auth_tokens"):
        response = client.post("/api/v1/auth/login", json={"login": PHONE, "password": DEFAULT_PASSWORD})
    assert response.status_code == 500
    assert digests
    _assert_failure_logged_without(*[token for (token,), _ in digests], *[digest for _, digest in digests])


class _KnownSessionKey:
    def code2session(self, code: str) -> WeChatSession:
        return WeChatSession(openid=code, session_key=SESSION_KEY)


def test_failed_wechat_identity_insert_logs_no_session_key(client: FlaskClient, app: Flask) -> None:
    swap(app, WECHAT_LOGIN, _KnownSessionKey())
    with refused_inserts(app, "wechat_identities"):
        response = client.post("/api/v1/auth/wechat-login", json={"code": "dev-bob"})
    assert response.status_code == 500
    _assert_failure_logged_without(SESSION_KEY)


def test_failed_code_insert_logs_no_code_digest_or_target(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = _recording(monkeypatch, codes, "_code_hash")
    with clock.frozen(clock.now()), refused_inserts(app, "verification_codes"):
        response = send_code(client, PHONE)
    assert response.status_code == 500
    assert hashes
    _assert_failure_logged_without(*[digest for _, digest in hashes])
    assert not any(re.search(rf"(?<!\d){kwargs['code']}(?!\d)", line) for kwargs, _ in hashes for line in CAPTURED.logs)


def test_plain_logging_records_are_masked_after_their_exception_is_formatted(app: Flask) -> None:
    """Libraries log through ``logging`` (exc_info on the record): our formatter masks the traceback too."""
    import logging

    try:
        raise ValueError(f"row ($argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA, {PHONE}, {'ab' * 32})")
    except ValueError:
        logging.getLogger("some.library").exception("it failed")
    line = CAPTURED.logs[-1]
    assert "ValueError" in line and "it failed" in line
    assert "$argon2" not in line and PHONE not in line and "ab" * 32 not in line


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ('DETAIL:  Failing row contains (7, 13800138000, null, $argon2id$v=19$m=19456$abc$def, "x").', "DETAIL:"),
        ("DETAIL:  Key (token_hash)=(" + "f" * 64 + ") already exists.", "Key (token_hash)="),
        ("[SQL: INSERT INTO users ...]\n[parameters: ('13800138000', '$argon2id$v=19$x')]", "[SQL: INSERT INTO users"),
    ],
)
def test_database_error_text_is_masked(raw: str, kept: str) -> None:
    masked = mask_secrets_in_text(raw)
    assert kept in masked
    assert PHONE not in masked and "$argon2" not in masked and "f" * 64 not in masked
