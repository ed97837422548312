"""The layering is a test, not a wish: imports point inward (api → stations → geo)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAY_IMPORT = {"geo": {"geo"}, "stations": {"stations", "geo"}, "api": {"api", "stations", "geo"}}
ONLY_API = {"fastapi", "uvicorn", "starlette", "folium", "pydantic"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_imports_point_inward(package: str) -> None:
    assert _modules(package), f"{package} has no modules"
    for module in _modules(package):
        ours = _imports(module) & set(MAY_IMPORT)
        outward = ours - MAY_IMPORT[package]
        assert not outward, f"{module.relative_to(ROOT)} imports {sorted(outward)}"


@pytest.mark.parametrize("package", ["geo", "stations"])
def test_inner_layers_do_not_import_web_or_map_libraries(package: str) -> None:
    for module in _modules(package):
        web = _imports(module) & ONLY_API
        assert not web, f"{module.relative_to(ROOT)} imports {sorted(web)}"


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import fastapi\nfrom api.app import create_app\n")
    assert {"fastapi", "api"} <= _imports(bad)
