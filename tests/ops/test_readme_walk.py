# ruff: noqa: S603, S607, S310 - this test runs what a newcomer types (git, make) and calls its local server
"""A newcomer's first hour, walked: a fresh clone, the README's first command, and something to buy.

Slow (it builds the runtime environment of a fresh clone; pip's cache makes that a minute or two), but part of
`make test`: it is the one test of what a new user actually types.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_LIMIT_MB = 150
STARTUP_SECONDS = 600  # building the environment from pip's cache, migrating, loading the demo city


@dataclass
class Served:
    clone: Path
    base: str
    output: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(clone: Path) -> dict[str, str]:
    """The caller's environment without any GROUPBUY_* or virtualenv setting: a fresh shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GROUPBUY_", "VIRTUAL_ENV", "PYTHONPATH"))}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["GROUPBUY_DATABASE_URL"] = f"sqlite:///{clone / 'walk.db'}"
    return env


def _call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """git clone of this repository's HEAD; the demo loaded 3 days ago (injected clock); then `make run`."""
    clone = tmp_path_factory.mktemp("walk") / "groupbuy"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "checkout", "-q", head.stdout.strip()], cwd=clone, check=True)
    env = _clean_env(clone)
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="seconds")
    demo = subprocess.run(
        ["make", "demo", f"NOW={three_days_ago}"], cwd=clone, env=env, capture_output=True, text=True, check=False
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Demo city:" in demo.stdout
    port = _free_port()
    output = clone / "make-run.log"
    with output.open("w") as log:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"], cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, output.read_text()[-3000:]
            try:
                if _call(f"{base}/healthz")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(0.5)  # polling a server coming up, not waiting for time to pass
        yield Served(clone=clone, base=base, output=output)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


pytestmark = [pytest.mark.slow, pytest.mark.timeout(STARTUP_SECONDS + 300)]


def test_healthz_and_the_printed_login_finds_a_live_deal(served: Served) -> None:
    assert _call(f"{served.base}/healthz") == (200, {"status": "ok"})
    printed = served.output.read_text()
    assert "Demo city topped up" in printed, printed[-3000:]  # loaded 3 days ago: nothing was live any more
    password = re.search(r"Demo logins \(password for all: (\S+)\):", printed)
    shopper = re.search(r"^\s+shopper\s+(1\d{10})\s", printed, re.M)
    assert password and shopper, printed[-3000:]
    status, login = _call(f"{served.base}/api/v1/auth/login", {"login": shopper[1], "password": password[1]})
    assert status == 200, login
    status, deals = _call(f"{served.base}/api/v1/deals?page_size=100", token=login["token"])
    assert status == 200 and deals["total"] > 0, deals
    now = datetime.now(UTC)
    assert all(datetime.fromisoformat(d["cutoff_at"]) > now for d in deals["items"])


def test_make_run_builds_only_the_runtime_environment(served: Served) -> None:
    venv = served.clone / ".venv"
    assert not (venv / "bin" / "pytest").exists() and not (venv / "bin" / "mypy").exists()
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"make run environment: {size / 2**20:.0f} MiB")  # noqa: T201 - the figure the README quotes
    assert size < ENV_LIMIT_MB * 2**20


def test_the_readme_starts_with_the_two_commands_and_links_only_files_in_the_repo(served: Served) -> None:
    readme = (served.clone / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
    assert "../shared" not in readme
    for target in re.findall(r"\]\((?!https?://|#)([^)#]+)", readme):
        assert (served.clone / target).exists(), target
    assert not re.search(r"(?<![\w/.])flask groupbuy", readme), "show .venv/bin/flask (or a make target)"


def test_the_printed_workbench_url_serves_its_login_page(served: Served) -> None:
    printed = served.output.read_text()
    workbench = re.search(r"Workbench\s+(http://\S+/workbench/)\s+\(demo leader (1\d{10}), password (\S+)\)", printed)
    assert workbench, printed[-3000:]
    with urllib.request.urlopen(served.base + "/workbench/login", timeout=10) as response:
        assert response.status == 200 and "团长工作台" in response.read().decode()
