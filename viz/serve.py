"""``python run.py dashboard [--host 127.0.0.1] [--port 8765] [--open]``: start the trainers'
dashboard.

Runs the Solara server on ``viz/app.py`` (production mode, assets served locally from the
``solara-assets`` package, so it works without internet access) until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    """The command that serves the dashboard."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(Path(__file__).resolve().parent / "app.py"),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--open" if open_browser else "--no-open",
    ]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")  # the corner banner covers the charts
    return env


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="run.py dashboard", description="Start the browser dashboard for trainers."
    )
    ap.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 to show a room)",
    )
    ap.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    ap.add_argument("--open", action="store_true", help="open a browser on this machine")
    args = ap.parse_args(argv)
    if not 0 < args.port < 65536:
        ap.error(f"argument --port: got {args.port}; allowed: 1 to 65535")
    print(f"LPSA dashboard on http://{args.host}:{args.port}/  (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call(
            server_command(args.host, args.port, args.open), cwd=ROOT, env=server_env()
        )
    except KeyboardInterrupt:
        return 0
