"""The dependencies layer is what the lock says: `make layer` (run by `make test` before the tests)
installs exactly the runtime packages of uv.lock at their locked versions, boto3 and botocore included,
tzdata included, and nothing else; a second run with the lock unchanged does nothing (so `make synth`
works offline once the layer is built)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from infra import naming

LAYER = naming.DEFAULT_DEPENDENCIES_LAYER_DIR / "python"
LOCK = naming.REPO_ROOT / "uv.lock"
PROJECT = "contactcenter-presence"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_runtime_packages() -> dict[str, str]:
    """name -> version of every package the project's runtime dependencies reach in uv.lock."""
    packages = {_normalized(p["name"]): p for p in tomllib.loads(LOCK.read_text())["package"]}
    wanted = [_normalized(d["name"]) for d in packages[PROJECT]["dependencies"]]
    found: dict[str, str] = {}
    while wanted:
        name = wanted.pop()
        if name in found:
            continue
        package = packages[name]
        found[name] = package["version"]
        wanted.extend(_normalized(d["name"]) for d in package.get("dependencies", []))
    return found


def layer_packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for dist_info in LAYER.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8")
        name = re.search(r"^Name: (.+)$", metadata, re.M)
        version = re.search(r"^Version: (.+)$", metadata, re.M)
        assert name and version, dist_info
        found[_normalized(name.group(1).strip())] = version.group(1).strip()
    return found


@pytest.fixture(scope="module")
def built_layer() -> Path:
    if not (LAYER / ".uv.lock").exists():
        pytest.skip("the layer is not built: `make layer` (make test builds it first)")
    return LAYER


def test_the_layer_holds_exactly_the_locked_runtime_packages(built_layer: Path) -> None:
    locked = locked_runtime_packages()
    assert {"boto3", "botocore", "tzdata", "aws-lambda-powertools", "aws-xray-sdk"} <= set(locked)
    assert layer_packages() == locked


def test_the_layer_was_built_from_this_lock_and_a_second_build_does_nothing(built_layer: Path) -> None:
    assert (built_layer / ".uv.lock").read_text() == LOCK.read_text()
    # `make -q` answers whether the target is up to date without running anything (no network either).
    status = subprocess.run(["make", "-q", "layer"], cwd=naming.REPO_ROOT, check=False, capture_output=True)
    assert status.returncode == 0, status.stdout + status.stderr


def test_time_zones_come_from_the_layer_s_tzdata(built_layer: Path) -> None:
    # infra points PYTHONTZPATH at this directory: zoneinfo reads the locked zone files, not the runtime's.
    assert (built_layer / naming.LAYER_ZONEINFO_SUBDIR / "Europe" / "Rome").is_file()
