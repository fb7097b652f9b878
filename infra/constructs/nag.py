"""cdk-nag acknowledgements, written beside the resource they concern.

cdk-nag 3 names a finding on a wildcard resource by the flattened CloudFormation reference
(`AwsSolutions-IAM5[Resource::<TableLogicalId.Arn>/index/*]`) and has no prefix matching, so the
helpers below build those exact strings from the construct rather than copying logical ids by hand.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. "AwsSolutions-SQS3" or "AwsSolutions-IAM5[Resource::*]") on `scope`
    and everything beneath it."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of an L2 construct's resource (or of a CfnElement itself)."""
    element = construct if isinstance(construct, CfnElement) else construct.node.default_child
    if not isinstance(element, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    resolved = Stack.of(element).resolve(element.logical_id)
    if not isinstance(resolved, str):
        raise TypeError(f"logical id of {construct.node.path} did not resolve to a string")
    return resolved


def attribute(construct: IConstruct, name: str = "Arn") -> str:
    """A `Fn::GetAtt` as cdk-nag flattens it: "<LogicalId.Arn>"."""
    return f"<{logical_id(construct)}.{name}>"


def reference(construct: IConstruct) -> str:
    """A `Ref` as cdk-nag flattens it: "<LogicalId>"."""
    return f"<{logical_id(construct)}>"


def wildcard_resource(resource: str) -> str:
    return f"AwsSolutions-IAM5[Resource::{resource}]"
