"""`python -m local`: start the local stack, print how to use it, run until Ctrl-C.

The endpoints file (default .local-stack/endpoints.json) is written once everything is ready, with the
URLs and a token per demo user; an `env` file beside it holds the same as shell exports. Both are
removed at a clean shutdown.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
for _path in (_ROOT / "layers" / "common" / "python", _ROOT):
    # The functions import the shared package as Lambda's layer provides it: from /opt/python.
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import argparse  # noqa: E402
import errno  # noqa: E402
import importlib  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from types import FrameType, ModuleType  # noqa: E402
from typing import Any  # noqa: E402

logger = logging.getLogger("local")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="gateway port (0: any free port)")
    parser.add_argument("--moto-port", type=int, default=0, help="moto's port (0: any free port)")
    parser.add_argument("--no-demo", action="store_true", help="start without the demo organization")
    parser.add_argument("--endpoints-file", default=".local-stack/endpoints.json", type=Path)
    parser.add_argument("--token-ttl", type=int, default=12 * 3600, help="lifetime of printed tokens (s)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--allowed-origins",
        default=None,
        help="comma-separated browser origins the API answers CORS for (default: the console's dev servers)",
    )
    parser.add_argument(
        "--management-round-trip-ms",
        type=float,
        default=20.0,
        help="how long each @connections call takes, as from a function inside the region (0: at once)",
    )
    arguments = parser.parse_args(argv)
    if arguments.host == "localhost":
        arguments.host = "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(arguments.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        parser.error("the local stack listens on loopback addresses only (it checks no AWS signatures)")
    return arguments


def _demo(enabled: bool) -> ModuleType | None:
    if not enabled:
        return None
    try:
        return importlib.import_module("local.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "local.demo":
            raise
        logger.warning("local/demo.py is missing: starting without demo data")
        return None


def _unit_for_walkthrough(demo: ModuleType | None, agent: Any) -> str | None:
    for source, name in ((demo, "DEMO_UNIT_ID"), (agent, "unit_id")):
        value = getattr(source, name, None)
        if isinstance(value, str):
            return value
    units = getattr(agent, "unit_ids", None) or getattr(agent, "units", None)
    return str(units[0]) if units else None


def _origins(flag: str | None) -> dict[str, Any]:
    if flag is None:
        return {}
    return {"allowed_origins": tuple(origin.strip() for origin in flag.split(",") if origin.strip())}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # whoever waits for the file never reads half of it


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=arguments.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "boto3", "urllib3"):  # credential and endpoint notices on every client
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    from local.issuer import local_user_from
    from local.stack import LocalStack, StackSettings
    from local.walkthrough import banner, environment_lines, first_with_role

    demo = _demo(not arguments.no_demo)
    demo_users = list(getattr(demo, "DEMO_USERS", ()))
    users = [local_user_from(user) for user in demo_users]
    seed: Callable[[str], None] | None = getattr(demo, "seed", None)
    stack = LocalStack(
        StackSettings(
            host=arguments.host,
            port=arguments.port,
            moto_port=arguments.moto_port,
            token_ttl_seconds=arguments.token_ttl,
            management_round_trip_seconds=arguments.management_round_trip_ms / 1000,
            **_origins(arguments.allowed_origins),
        ),
        users=users,
        seed=seed,
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    endpoints_file: Path = arguments.endpoints_file
    env_file = endpoints_file.with_name("env")
    try:
        stack.start()
        assert stack.issuer is not None
        tokens = {user.username: stack.issuer.mint(user) for user in users}
        endpoints = {
            **stack.endpoints(),
            "tokens": tokens,
            "users": [user.username for user in users],
            "endpointsFile": str(endpoints_file),
        }
        _write(env_file, "\n".join(environment_lines(endpoints, tokens, users)) + "\n")
        _write(endpoints_file, json.dumps(endpoints, indent=2) + "\n")
        agent = first_with_role(users, "AGENT")
        agent_source = next((u for u in demo_users if agent and str(u.username) == agent.username), None)
        print(
            banner(endpoints, tokens, users, unit_id=_unit_for_walkthrough(demo, agent_source), env_file=str(env_file)),
            flush=True,
        )
        while not stopping.wait(0.5):  # until Ctrl-C or SIGTERM
            pass
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            logger.exception("the local stack failed")
            return 1
        print(
            f"Port {arguments.port} on {arguments.host} is taken: stop what uses it, or choose another "
            f"(make dev PORT={arguments.port + 1}, or --port 0 for any free port).",
            file=sys.stderr,
        )
        return 1
    except Exception:
        logger.exception("the local stack failed")
        return 1
    finally:
        logger.debug("stopping the local stack")
        stack.stop()
        for path in (endpoints_file, env_file):
            path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
