"""``lpsa dashboard [--host 127.0.0.1] [--port 8765] [--open]``: start the trainers'
dashboard.

Runs the Solara server on ``viz/app.py`` (production mode, assets served locally from the
``solara-assets`` package, so it works without internet access) until Ctrl-C, SIGTERM or SIGHUP,
which stop the whole server (its process group); if this command is killed outright, Linux kills
the server too. A port already in use is refused in one line before any address is announced.
"""

from __future__ import annotations

import os
import signal
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
    # a tab that has gone (closed, reloaded, lost its network) is forgotten within 2 minutes and
    # its runs' memory given back: Solara keeps one for 24 hours, in case it comes back
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    return env


CULL_TIMEOUT = "2m"
"""How long the server keeps a session whose tab has gone (Solara's default is 24 hours)."""


def open_to_the_network(host: str) -> bool:
    """Whether ``host`` lets other machines open the page (anything but this machine's own)."""
    return host not in ("127.0.0.1", "localhost", "::1")


def network_warning(host: str, code: str | None) -> str:
    """What ``lpsa dashboard`` says before it listens on an address others can reach."""
    guard = (
        "the page asks for the access code you gave (--code)"
        if code
        else "anyone who can reach this machine can open it; --code CODE asks them for a code"
    )
    return f"warning: --host {host} opens the dashboard to the network: {guard}"


def port_in_use(host: str, port: int) -> bool:
    """Whether another program already listens on ``host``:``port``."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_this_process() -> None:
    """In the server's process, before it starts: Linux kills it if this command dies (SIGKILL
    included), so that no server is left holding the port."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass


def main(argv: list[str]) -> int:
    from lpsa.experiments.arguments import Parser

    ap = Parser(prog="lpsa dashboard", description="Start the browser dashboard for trainers.")
    ap.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 to show a room)",
    )
    ap.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    ap.add_argument("--open", action="store_true", help="open a browser on this machine")
    ap.add_argument(
        "--code", default=None, help="an access code the page asks for before it shows anything"
    )
    args = ap.parse_args(argv)
    if not 0 < args.port < 65536:
        ap.error(f"argument --port: got {args.port}; allowed: 1 to 65535")
    if port_in_use(args.host, args.port):
        print(
            f"error: port {args.port} on {args.host} is in use (another dashboard or program); "
            "allowed: a free port, e.g. --port 8766",
            file=sys.stderr,
        )
        return 2
    if open_to_the_network(args.host):
        print(network_warning(args.host, args.code), file=sys.stderr, flush=True)
    env = server_env()
    if args.code:
        env["LPSA_ACCESS_CODE"] = args.code  # viz/app.py's ACCESS_CODE_ENV
    posix = os.name == "posix"
    server = subprocess.Popen(
        server_command(args.host, args.port, args.open),
        cwd=ROOT,
        env=env,
        start_new_session=posix,  # the server and whatever it starts: one group to stop
        preexec_fn=_die_with_this_process if posix else None,  # noqa: PLW1509 - no threads yet
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        print(f"LPSA dashboard on http://{args.host}:{args.port}/  (Ctrl-C to stop)", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        stop_server(server)


def stop_server(server: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop the server's whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if server.poll() is not None:
        return
    if os.name != "posix":
        server.terminate()
        server.wait()
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass
