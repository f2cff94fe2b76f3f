"""Fuzz the served API with schemathesis, once per role, on a fresh PostgreSQL database.

    .venv/bin/python tests/fuzz/run_schemathesis.py [--max-time 50] [--max-examples 30] [--roles admin,cs]

It lives beside the tests (not in bench/) because it is a test: CI runs it after the PostgreSQL suite
and it fails the build. Steps: create a database, `flask db upgrade`, `flask groupbuy demo-data`,
serve `wsgi:app` with gunicorn on a loopback port (the real app, real WSGI server), log in as each
role's demo user, then run `schemathesis run` per role (anonymous: no token) against
`/api/openapi.json` with the gate checks below, each bounded by --max-time. Exit status is non-zero
if any role fails a check, or if any role ran no case at all (a fuzzer that tested nothing passes
nothing). The database is dropped at the end.

Settings of the served app: Flask-Limiter is switched off (GROUPBUY_RATELIMIT_ENABLED=false; the
fuzzer would otherwise spend its budget on 429s from the per-IP auth limit) and passwords use the
test hash profile (speed). Everything else is the development configuration.

Checks (the gate): not_a_server_error, response_schema_conformance, status_code_conformance,
content_type_conformance, response_headers_conformance. Left out, on purpose:
- positive_data_acceptance: valid-looking input is still refused by rules the schema cannot say
  (unknown ids are 404, another user's object is 404, state machines answer 409).
- negative_data_rejection / missing_required_header / unsupported_method / use_after_free /
  ensure_resource_availability / ignored_auth: useful to run by hand; not part of this gate.
ST108 (flask-smorest's X-Pagination header documented as an object) does not arise: the page
envelope is in the body and no route uses @blp.paginate.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("GROUPBUY_FUZZ_PG", "postgresql://postgres@127.0.0.1:5432")
DEMO_PASSWORD = "Demo12345"  # the published demo login (groupbuy/demo.py)
ROLE_LOGINS = {  # the demo users (groupbuy/demo.py); the leader is the first demo leader
    "admin": "13800000001",
    "cs": "13800000002",
    "shopper": "13800000003",
    "leader": "13800001000",
}
ROLES = ("anonymous", "shopper", "leader", "cs", "admin")
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
)
# --limit-request-line 0: gunicorn answers an over-long request line itself with an HTML 414 that no
# route documents; the fuzzer's URLs reach the app instead (a proxy's limit is not the API's contract).
SERVER_OPTIONS = ("--worker-class", "gthread", "--no-control-socket", "--limit-request-line", "0")
SERVER_OPTIONS += ("--log-level", "warning", "wsgi:app")
# Logging out revokes the role's own token, and staff suspending user 1..4 suspends the fuzzing users
# themselves: every later case would be a 401, with nothing to learn. Both are covered by the suite.
EXCLUDED_PATHS = ("/api/v1/auth/logout", "/api/v1/admin/users/{user_id}/suspend")
# Closing one's account (DELETE /me) ends the fuzzing user too; GET /me stays in. Covered by tests/privacy.
EXCLUDED_NAMES = ("DELETE /api/v1/me",)


def main() -> int:
    args = _arguments()
    db_name = f"gb_fuzz_{int(time.time())}_{os.getpid()}"
    _admin(f'CREATE DATABASE "{db_name}"')
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "GROUPBUY_DATABASE_URL": f"{PG_BASE.replace('postgresql://', 'postgresql+psycopg://')}/{db_name}",
        "GROUPBUY_RATELIMIT_ENABLED": "false",
        "GROUPBUY_PASSWORD_HASH_PROFILE": "cheapest",
        "GROUPBUY_LOG_LEVEL": "WARNING",
    }
    server: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([BIN / "flask", "groupbuy", "demo-data"], cwd=ROOT, env=env, check=True, capture_output=True)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", *SERVER_OPTIONS],
            cwd=ROOT,
            env=env,
        )
        _wait_until_up(base)
        return _fuzz_roles(base, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _fuzz_roles(base: str, args: argparse.Namespace) -> int:
    totals: dict[str, dict[str, int]] = {}
    failed = False
    report_dir = Path(args.report_dir or tempfile.mkdtemp(prefix="schemathesis-"))
    for role in args.roles:
        report = report_dir / f"{role}.json"
        command = [str(BIN / "schemathesis"), "run", f"{base}/api/openapi.json"]
        command += ["--checks", args.checks, "--max-examples", str(args.max_examples)]
        command += ["--max-time", str(args.max_time), "--workers", "1", "--seed", str(args.seed)]
        command += ["--report", "json", "--report-json-path", str(report), "--no-color"]
        command += ["--suppress-health-check", "all"]
        for path in EXCLUDED_PATHS:
            command += ["--exclude-path", path]
        for name in EXCLUDED_NAMES:
            command += ["--exclude-name", name]
        token = _login(base, ROLE_LOGINS[role]) if role in ROLE_LOGINS else None
        if token:
            command += ["--header", f"Authorization: Bearer {token}"]
        print(f"\n==> schemathesis as {role}", flush=True)
        result = subprocess.run(command, cwd=ROOT, check=False)
        counts = _case_counts(report)
        totals[role] = counts
        if result.returncode != 0 or counts["cases"] == 0 or counts["failures"] or counts["errors"]:
            failed = True
        if token and requests.get(f"{base}/api/v1/me", headers=_bearer(token), timeout=30).status_code != 200:
            print(f"schemathesis: the {role} token stopped working during the run (the cases proved little)")
            failed = True
    print("\nschemathesis per role:")
    for role, counts in totals.items():
        line = f"{counts['cases']:6} cases  {counts['failures']} failing  {counts['errors']} operations errored"
        print(f"  {role:10} {line}")
    if failed:
        print("schemathesis: FAILED (a failed check, a crash, or a role that ran no case)")
        return 1
    print("schemathesis: passed")
    return 0


def _case_counts(report: Path) -> dict[str, int]:
    """Cases run, failing cases, errored operations, from the JSON run report (zeros without a report)."""
    if not report.exists():
        return {"cases": 0, "failures": 0, "errors": 0}
    data: dict[str, Any] = json.loads(report.read_text())
    cases = data.get("test_cases") or {}
    return {
        "cases": int(cases.get("generated") or 0),
        "failures": int(cases.get("with_failures") or 0),
        "errors": int((data.get("operations") or {}).get("errored") or 0),
    }


def _login(base: str, phone: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/login", json={"login": phone, "password": DEMO_PASSWORD}, timeout=30)
    response.raise_for_status()
    return str(response.json()["token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _admin(sql: str) -> None:
    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=10).ok:
                return
        except requests.RequestException:  # not listening yet, or still loading the app
            pass
        time.sleep(0.2)
    raise SystemExit("the app did not come up within 120 s")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-time", type=int, default=50, help="seconds per role (default 50)")
    parser.add_argument("--max-examples", type=int, default=30, help="cases per operation and phase (default 30)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--checks", default=",".join(CHECKS), help="exploring by hand: other schemathesis checks")
    parser.add_argument("--report-dir", help="where the JSON reports go (default: a temporary folder)")
    parser.add_argument(
        "--roles", type=lambda text: text.split(","), default=list(ROLES), help="comma-separated subset of roles"
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
