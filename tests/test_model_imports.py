"""The model's modules import one another without a circle, type-only imports included: each
part reads what it needs (``setting.Setting``, ``built.BuiltModel``), never the whole model."""

from __future__ import annotations

import ast
from pathlib import Path

MODEL = Path(__file__).resolve().parent.parent / "model"


def imports_within_model() -> dict[str, set[str]]:
    """For every module of ``model/``, the modules of ``model/`` it imports (anywhere in it,
    under ``if TYPE_CHECKING:`` too)."""
    modules = {p.stem for p in MODEL.glob("*.py")}
    graph = {}
    for name in modules:
        found = set()
        for node in ast.walk(ast.parse((MODEL / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                found |= {n.split(".")[0] for n in names}
        graph[name] = found & modules
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports, each once (starting from its smallest module name)."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                found.append(path)
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_no_module_of_the_model_is_in_a_circle_of_imports():
    assert circles(imports_within_model()) == []


def test_the_check_finds_a_circle_made_by_a_type_only_import():
    graph = imports_within_model()
    graph["councils"] = graph["councils"] | {"model"}  # if TYPE_CHECKING: from .model import ...
    assert ["councils", "model"] in circles(graph)


def test_only_the_front_door_imports_the_model_class_module():
    importers = sorted(name for name, deps in imports_within_model().items() if "model" in deps)
    assert importers == ["__init__", "single_run"]
