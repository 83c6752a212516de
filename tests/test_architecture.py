"""The experiments package's layers, read from its imports (every import statement, including
those inside functions).

- *Command modules* (``*_command.py``) hold argparse and ``main``; ``cli.py`` dispatches to them
  by name (``cli.SUBCOMMANDS``), so no module imports a command module.
- *Report modules* (``*_report.py``) write markdown and figures from what an analysis returns.
- *Analyses* and the infrastructure they share (everything else) return data: no argparse, no
  report module, no matplotlib.
- No import cycle among experiments modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "experiments"
EXTERNAL = "external:"
ARGPARSE_ALLOWED = {"cli", "arguments", "command_context"}
"""Beside the command modules: the dispatcher (and main job), the shared options, the context."""
MAIN_JOB = "cli"
"""The dispatcher is also the main job's command: like a command module, it may use reports."""
MATPLOTLIB_ALLOWED = {"figures", "io"}
"""Beside the report modules: the main job's figures, and ``io.save_figure``."""


def modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__init__"}


def imports(path: Path) -> set[str]:
    """The experiments modules ``path`` imports (by module name) and the top-level external
    packages (as ``external:<name>``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.removeprefix("lpsa.").split(".")
                inside = parts[0] == "experiments" and len(parts) > 1
                found.add(parts[1] if inside else EXTERNAL + parts[0])
        elif isinstance(node, ast.ImportFrom):
            parts = (node.module or "").removeprefix("lpsa.").split(".")
            if node.level == 0 and parts[0] != "experiments":
                found.add(EXTERNAL + parts[0])
            elif node.level == 0 and len(parts) > 1 or node.level == 1 and node.module:
                found.add(parts[1] if node.level == 0 else parts[0])
            else:  # from . import a, b / from experiments import a, b
                found |= {alias.name for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    """Each experiments module -> the experiments modules it imports."""
    names = modules()
    return {name: imports(path) & set(names) for name, path in names.items()}


def is_command(name: str) -> bool:
    return name.endswith("_command")


def is_report(name: str) -> bool:
    return name.endswith("_report")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle found by depth-first search, each as the path that closes it."""
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append(path[path.index(node) :] + [node])
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*path, node])
        done.add(node)

    for start in sorted(edges):
        visit(start, [])
    return found


def test_the_layers_are_there():
    names = modules()
    assert {"patterns", "formatting", "command_context", "cli"} <= set(names)
    assert any(is_command(n) for n in names) and any(is_report(n) for n in names)


def test_no_module_imports_a_command_module():
    wrong = {m: sorted(filter(is_command, deps)) for m, deps in graph().items()}
    assert not {m: d for m, d in wrong.items() if d}, "command modules are reached through cli"


def test_every_subcommand_lives_in_a_command_module():
    from lpsa.experiments.cli import SUBCOMMANDS

    ours = {k: v for k, v in SUBCOMMANDS.items() if v.startswith("lpsa.experiments.")}
    assert ours and all(is_command(v.rsplit(".", 1)[1]) for v in ours.values()), ours


def test_analyses_return_data_without_argparse_reports_or_figures():
    wrong = {}
    for name, path in modules().items():
        if is_command(name) or name == MAIN_JOB:
            continue
        deps = imports(path)
        bad = [] if is_report(name) else sorted(filter(is_report, deps))
        if name not in ARGPARSE_ALLOWED and EXTERNAL + "argparse" in deps:
            bad.append("argparse")
        figures_allowed = is_report(name) or name in MATPLOTLIB_ALLOWED
        if not figures_allowed and EXTERNAL + "matplotlib" in deps:
            bad.append("matplotlib")
        if bad:
            wrong[name] = bad
    assert not wrong


def test_no_import_cycle_among_experiments_modules():
    assert not cycles(graph())


def test_the_import_reader_sees_every_form_of_import(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "import argparse\nimport experiments.validate\nfrom experiments import io\n"
        "from experiments.patterns import PATTERNS\nfrom . import runner, design\n"
        "def f():\n    from .compare_report import shown\n    import matplotlib.pyplot\n"
    )
    assert imports(source) == {
        "external:argparse",
        "validate",
        "io",
        "patterns",
        "runner",
        "design",
        "compare_report",
        "external:matplotlib",
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
