"""Reading references out of a synthesized CloudFormation template."""

from __future__ import annotations

from typing import Any


def referenced(value: Any) -> set[str]:
    """Logical ids a property refers to through Ref or Fn::GetAtt, however deeply nested
    (pseudo parameters such as AWS::Region left out)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return set() if value["Ref"].startswith("AWS::") else {value["Ref"]}
        if set(value) == {"Fn::GetAtt"}:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(referenced(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(referenced(v) for v in value)) if value else set()
    return set()


def only(ids: set[str]) -> str:
    assert len(ids) == 1, f"expected exactly one reference, got {sorted(ids)}"
    return next(iter(ids))


def statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Policy statements of any IAM identity policy or resource policy in the template."""
    properties = resource.get("Properties", {})
    documents = [properties.get("PolicyDocument")]
    documents += [policy.get("PolicyDocument") for policy in properties.get("Policies", [])]
    return [statement for document in documents if document for statement in document["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
