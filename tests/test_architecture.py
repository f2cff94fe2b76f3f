"""House rules checked by machine (ARCHITECTURE.md): commit site, thin routes, file sizes, spec coverage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask

import groupbuy
from groupbuy.i18n import CATALOG

PACKAGE = Path(groupbuy.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


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
