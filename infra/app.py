"""CDK entry point: `python -m infra.app` (cdk.json runs it; `make synth` builds the layer first)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra import naming
from infra.settings import DeploySettings
from infra.stack import ContactCenterStack


class MissingDependenciesLayer(RuntimeError):
    pass


def dependencies_layer_dir(app: App) -> Path:
    """The directory holding python/ with the runtime dependencies; a deployment without them would
    fail at the first import, so synthesis stops here instead."""
    configured = app.node.try_get_context(naming.CONTEXT_DEPENDENCIES_LAYER_DIR)
    directory = Path(configured) if configured else naming.DEFAULT_DEPENDENCIES_LAYER_DIR
    if not directory.is_dir():
        raise MissingDependenciesLayer(
            f"dependencies layer directory {directory} does not exist: run `make layer`, or pass "
            f"-c {naming.CONTEXT_DEPENDENCIES_LAYER_DIR}=<dir>"
        )
    return directory


def compose(app: App) -> ContactCenterStack:
    """Everything `cdk synth` builds, on a given App (tests give theirs an outdir and context)."""
    settings = DeploySettings.from_context(app.node)
    stack = ContactCenterStack(
        app,
        settings.stack_name,
        description=f"Contact-center agent state, attendance and supervision ({settings.stage})",
        dependencies_layer_dir=dependencies_layer_dir(app),
        settings=settings,
        # Unset outside the CDK CLI: the template stays environment-agnostic.
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    add_checks(app)
    return stack


def add_checks(app: App) -> None:
    """cdk-nag 3 runs as a validation plugin: an unacknowledged finding fails synthesis."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def cdk_json_context() -> dict[str, Any]:
    """The context (feature flags) cdk.json gives the CDK CLI."""
    context: dict[str, Any] = json.loads(naming.CDK_JSON.read_text())["context"]
    return context


def main() -> None:
    if "CDK_OUTDIR" in os.environ:
        app = App()  # run by the CDK CLI, which passes cdk.json's context and the output directory
    else:
        # Run directly (`make synth`, no Node CLI needed): the same context, and ./cdk.out.
        app = App(context=cdk_json_context(), outdir=str(naming.REPO_ROOT / "cdk.out"))
    compose(app)
    app.synth()


if __name__ == "__main__":
    main()
