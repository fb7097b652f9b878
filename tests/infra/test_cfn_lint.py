"""cfn-lint finds no errors in the synthesized template; warnings are listed, not failed."""

from __future__ import annotations

from cfnlint.api import ManualArgs, lint_file

from tests.infra.conftest import Synthesis

# W3005 "dependency already enforced by GetAtt": CDK adds an explicit DependsOn from each function to
# its role and policy so the policy exists before the first invocation; the redundancy is intended.
EXPECTED_WARNINGS = {"W3005"}


def test_template_has_no_cfn_lint_errors(synthesis: Synthesis) -> None:
    templates = sorted(synthesis.outdir.glob("*.template.json"))
    assert templates
    matches = [
        match for template in templates for match in lint_file(template, config=ManualArgs(regions=["us-east-1"]))
    ]
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    unexpected = [str(m) for m in matches if not m.rule.id.startswith("E") and m.rule.id not in EXPECTED_WARNINGS]
    assert errors == []
    assert unexpected == [], "new cfn-lint warnings: review them, then fix or list them here with why"
