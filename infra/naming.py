"""Names the CDK app uses in more than one place: construct ids, paths, context keys, runtime settings.

Construct ids are derived from the wiring table's names, so a row added there gets its resources
without a name being typed twice.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CDK_JSON = REPO_ROOT / "cdk.json"
FUNCTIONS_DIR = REPO_ROOT / "functions"
COMMON_LAYER_DIR = REPO_ROOT / "layers" / "common"
# `make layer` installs the pinned runtime dependencies (arm64, cp313) here.
DEFAULT_DEPENDENCIES_LAYER_DIR = REPO_ROOT / "build" / "layer"

STACK_NAME = "ContactCenterPresence"  # the stack is <STACK_NAME>-<stage> (infra/settings.py)
SERVICE_NAME = "contactcenter"
METRICS_NAMESPACE = "ContactCenter"
WEBSOCKET_STAGE = "live"
EVENT_BUS_NAME = "default"
LOG_LEVEL = "INFO"

# Context keys (cdk.json or `cdk synth -c key=value`).
CONTEXT_DEPENDENCIES_LAYER_DIR = "dependenciesLayerDir"

# Cognito groups; the backend reads them from `cognito:groups` as roles. The names equal
# contactcenter.access.Role (tests/infra/test_stack.py checks), but infra does not import the layer.
ROLE_GROUPS = ("ADMIN", "SUPERVISOR", "UNIT_MANAGER", "AGENT", "FINANCE", "INTEGRATION", "OPERATOR")
OPERATOR_GROUP = "OPERATOR"  # platform operators: create, list and disable organizations
PLATFORM_ORGANIZATION = "platform"  # the `custom:organization` of platform operators (no such organization exists)
ORGANIZATION_ATTRIBUTE = "organization"  # a custom attribute: the token carries `custom:organization`
RESOURCE_SERVER_ID = "contactcenter"
INTEGRATION_SCOPE = "integration"


def construct_id(*parts: str) -> str:
    """PascalCase id from wiring names: ("socket_authorizer", "Function") -> "SocketAuthorizerFunction",
    ("POST /me/clock-in",) -> "PostMeClockIn", ("$connect",) -> "Connect"."""
    words = [word for part in parts for word in re.split(r"[^0-9A-Za-z]+", part) if word]
    return "".join(word[:1].upper() + word[1:] for word in words)
