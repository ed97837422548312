"""The layering is a test, not a wish: imports point inward (api → stations → geo)."""

from __future__ import annotations

import ast
import sys
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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere in it (functions and TYPE_CHECKING blocks
    included): ``from a.b import c`` counts as a.b.c when that is a module, else as a.b."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & known


def import_cycles(packages: list[str]) -> list[list[str]]:
    """Every elementary cycle's smallest rotation found by depth-first search, as module names."""
    paths = {_module_name(p): p for package in packages for p in _modules(package)}
    known = set(paths)
    graph = {name: sorted(_imported_modules(path, known) - {name}) for name, path in paths.items()}
    cycles: set[tuple[str, ...]] = set()

    def visit(node: str, stack: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in stack:
                cycle = stack[stack.index(nxt) :]
                turn = cycle.index(min(cycle))
                cycles.add(tuple(cycle[turn:] + cycle[:turn]))
            elif nxt > stack[0]:  # each cycle is searched from its smallest module only
                visit(nxt, [*stack, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return [list(c) for c in sorted(cycles)]


def test_no_import_cycle_inside_a_package() -> None:
    assert import_cycles(sorted(MAY_IMPORT)) == []


def test_the_cycle_finder_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def f() -> None:\n    from pkg import a\n")
    (package / "c.py").write_text("import pkg.a\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_cycles(["pkg"]) == [["pkg.a", "pkg.b"]]
