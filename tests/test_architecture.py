"""House rules checked by machine (ARCHITECTURE.md): the floors (import contracts), commit site, thin routes, file
sizes, spec coverage."""

from __future__ import annotations

import ast
import configparser
import re
import subprocess
import sys
from pathlib import Path

from flask import Flask

import groupbuy
from groupbuy.i18n import CATALOG

PACKAGE = Path(groupbuy.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


REPO = PACKAGE.parent
SETUP_CFG = REPO / "setup.cfg"


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _contract(name: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(SETUP_CFG)
    return config[f"importlinter:contract:{name}"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_import_contracts_hold() -> None:
    """lint-imports over setup.cfg: the ranked packages, the floors inside each domain, doors as leaves."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(  # noqa: S603 - our own lint-imports, fixed arguments
        [str(lint_imports), "--config", str(SETUP_CFG), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_package_is_ranked() -> None:
    """A new module or package under groupbuy/ cannot escape the ranking: it must be given a floor."""
    ranked = {
        name.strip() for layer in _lines(_contract("ranks")["layers"]) for name in re.split(r"[|:]", layer.strip("()"))
    }
    present = {
        f"groupbuy.{path.stem if path.is_file() else path.name}"
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py") or (path / "__init__.py").is_file()
    }
    assert present - ranked == set(), "give these a floor in setup.cfg [importlinter:contract:ranks]"
    assert ranked - present == set(), "ranked in setup.cfg but gone from groupbuy/"


def test_every_domain_keeps_its_floors() -> None:
    """Every package with doors, jobs or services is a container of the routes -> service -> models contract."""
    containers = set(_lines(_contract("floors")["containers"]))
    rooms = {"routes.py", "jobs.py", "service.py", "service"}
    domains = {
        f"groupbuy.{path.name}"
        for path in PACKAGE.iterdir()
        if (path / "__init__.py").is_file() and {child.name for child in path.iterdir()} & rooms
    }
    assert domains - {"groupbuy.flows"} == containers


def test_commit_happens_only_in_db_py() -> None:
    offenders = [_rel(p) for p in SOURCES if p.name != "db.py" and re.search(r"\.commit\(", p.read_text())]
    assert offenders == []


def test_routes_hold_no_queries_or_sessions() -> None:
    offenders = [
        _rel(p) for p in PACKAGE.rglob("routes.py") if re.search(r"db\.session|select\(|\.execute\(", p.read_text())
    ]
    assert offenders == []


def test_route_methods_are_short() -> None:
    long_methods = []
    for path in PACKAGE.rglob("routes.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in {"get", "post", "put", "patch", "delete"}:
                body = node.body[1:] if ast.get_docstring(node) else node.body
                length = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
                if length > 15:
                    long_methods.append(f"{_rel(path)}:{node.name}:{length}")
    assert long_methods == []


def test_files_stay_small() -> None:
    big = [f"{_rel(p)} ({n})" for p in SOURCES if (n := len(p.read_text().splitlines())) > 400]
    assert big == []


def test_no_backref_and_no_naive_now() -> None:
    for path in SOURCES:
        text = path.read_text()
        assert "backref=" not in text, _rel(path)
        assert "datetime.utcnow" not in text, _rel(path)


def test_every_api_route_is_in_the_spec(app: Flask) -> None:
    spec_paths = set(app.test_client().get("/api/openapi.json").json["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            openapi_path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
            assert openapi_path in spec_paths, rule.rule


def test_every_raised_error_code_has_a_translation() -> None:
    codes = set()
    for path in SOURCES:
        codes.update(re.findall(r"raise (?!AssertionError)\w+\(\s*\"([a-z_]+)\"", path.read_text()))
    missing = sorted(code for code in codes if code not in CATALOG)
    assert missing == []
