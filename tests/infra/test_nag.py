"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, and every acknowledgement says why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from infra import naming
from infra.app import add_checks
from tests.infra.conftest import DEPLOY_CONTEXT, Synthesis

ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def _violations(report: dict[str, Any]) -> list[str]:
    return [
        f"{violation['ruleName']} at {construct['constructPath']}: {violation['description']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def test_synthesis_with_the_aws_solutions_checks_raises_nothing(synthesis: Synthesis) -> None:
    report = synthesis.validation_report if (synthesis.outdir / "validation-report.json").exists() else None
    findings = _violations(report) if report else []
    assert synthesis.validation_error is None, "\n".join(findings) or synthesis.validation_error


def test_the_checks_fail_synthesis_on_a_finding(tmp_path: Path) -> None:
    """A clean report means something only if a finding would have failed: the same add_checks
    that compose() uses stops a small app holding a queue that accepts plain HTTP."""
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Canary")
    sqs.Queue(stack, "PlainQueue", encryption=sqs.QueueEncryption.SQS_MANAGED)
    add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    findings = _violations(json.loads((tmp_path / "validation-report.json").read_text()))
    assert any(finding.startswith("AwsSolutions-SQS4 ") for finding in findings), findings


def test_every_acknowledgement_gives_a_reason(synthesis: Synthesis) -> None:
    metadata = json.loads(
        (synthesis.outdir / f"{naming.STACK_NAME}-{DEPLOY_CONTEXT['stage']}.metadata.json").read_text()
    )
    acknowledgements = {
        rule: reason
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == ACKNOWLEDGED
        for rule, reason in entry["data"].items()
    }
    assert acknowledgements, "expected the acknowledgements written beside their resources"
    for rule, reason in acknowledgements.items():
        assert len(reason.split()) >= 8, f"{rule}: the reason should explain, not label ({reason!r})"
