"""The examples in docs/ run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(doc: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)


@pytest.mark.slow
def test_the_salib_problemspec_example_runs_as_written(tmp_path):
    (block,) = python_blocks(ROOT / "docs" / "salib.md")
    script = tmp_path / "salib_example.py"
    script.write_text(block)
    r = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ST" in r.stdout and "funding.ppg_share" in r.stdout


def test_the_ema_workbench_example_uses_only_the_public_front_door():
    (block,) = python_blocks(ROOT / "docs" / "ema_workbench.md")
    assert "from lpsa.model import" in block and "run_model" in block
    assert not re.search(r"from lpsa\.(experiments|viz)\b", block)
