"""One synthesis per test session, shared by every infra test (synthesis takes seconds)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii starts Node on the first aws_cdk import and prints a banner for Node 20 unless told not to.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App
from aws_cdk.assertions import Template

from infra import naming
from infra.app import cdk_json_context, compose
from infra.constructs.nag import logical_id
from tests.infra.cfn import only, referenced, statements

DEPLOY_CONTEXT = {
    "stage": "prod",
    "allowedOrigins": "https://console.example.com",
    "callbackUrls": "https://console.example.com/callback",
    "logoutUrls": "https://console.example.com/",
    "mfa": "optional",
    "sesEmail": "no-reply@example.com",
    "alarmEmail": "oncall@example.com",
    "operatorEmail": "operator@example.com",
}


@dataclass(frozen=True)
class Synthesis:
    outdir: Path
    template: dict[str, Any]
    # cdk-nag runs as a validation plugin: it fails synth() after the template is written, so the
    # other tests still get a template while test_nag reports the findings.
    validation_error: str | None
    function_ids: dict[str, str]  # wiring function name -> logical id
    http_api_id: str
    socket_api_id: str
    stack_name: str

    @property
    def validation_report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: resource for name, resource in self.template["Resources"].items() if resource["Type"] == resource_type
        }

    def properties(self, resource_type: str) -> Iterable[dict[str, Any]]:
        return (resource.get("Properties", {}) for resource in self.resources(resource_type).values())

    def function(self, name: str) -> dict[str, Any]:
        """The wiring function's AWS::Lambda::Function resource."""
        resource: dict[str, Any] = self.template["Resources"][self.function_ids[name]]
        return resource

    def role_statements(self, name: str) -> list[dict[str, Any]]:
        """Every IAM statement of the policies attached to the wiring function's role."""
        role_id = only(referenced(self.function(name)["Properties"]["Role"]))
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in statements(policy)
        ]


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    # Under xdist (make test) the workers of one run share their basetemp's parent: the first to take
    # the lock synthesizes, the others read its result. (`--dist loadgroup` cannot keep these tests
    # on one worker: it stopped grouping with pytest 9.2, pytest-dev/pytest-xdist#1386.)
    basetemp = tmp_path_factory.getbasetemp()
    shared = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    root = shared / "infra-synthesis"
    summary_file = root / "summary.json"
    with _exclusive(shared / "infra-synthesis.lock"):
        if not summary_file.exists():
            _synthesize(root, summary_file)
    summary = json.loads(summary_file.read_text())
    outdir = root / "cdk.out"
    return Synthesis(
        outdir=outdir,
        template=json.loads((outdir / summary.pop("template_file")).read_text()),
        **summary,
    )


def _synthesize(root: Path, summary_file: Path) -> None:
    outdir = root / "cdk.out"
    # The real layer comes from `make layer` (network); an empty one synthesizes the same template.
    layer = root / "dependencies-layer"
    (layer / "python").mkdir(parents=True)
    context = {
        # The same feature flags `cdk synth` reads from cdk.json, so tests see what deploys.
        **cdk_json_context(),
        naming.CONTEXT_DEPENDENCIES_LAYER_DIR: str(layer),
        # A production-like choice of every deploy setting (infra/settings.py), so each is synthesized.
        **DEPLOY_CONTEXT,
        # What the CDK CLI sets: resources name their asset directory in their metadata.
        "aws:cdk:enable-asset-metadata": True,
    }
    app = App(outdir=str(outdir), context=context)
    stack = compose(app)
    try:
        app.synth()
        validation_error = None
    except RuntimeError as error:  # jsii raises JavaScript errors as RuntimeError
        validation_error = str(error)
    summary = {
        "template_file": stack.template_file,
        "validation_error": validation_error,
        "function_ids": {name: logical_id(function) for name, function in stack.functions.items()},
        "http_api_id": logical_id(stack.http_api.api),
        "socket_api_id": logical_id(stack.socket_api.api),
        "stack_name": stack.stack_name,
    }
    summary_file.write_text(json.dumps(summary))


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> Template:
    return Template.from_json(synthesis.template)
