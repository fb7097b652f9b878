"""Transition policies are data: the built-in ones load, and a policy breaking a rule is refused with an
error naming the rule (SPEC "Transitions": a policy that leaves a status with no way back to AWAY is
refused; ACTIVE and WRAP_UP are set only by the system; clock-in is AWAY -> AVAILABLE)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from contactcenter.organization import OrganizationSettings
from contactcenter.statuses import Status
from contactcenter.transitions import BUILT_IN_POLICIES, DEFAULT_POLICY, STRICT_POLICY, TransitionPolicy

S = Status
MANUAL_TARGETS = (S.AVAILABLE, S.UNAVAILABLE, S.OFFLINE_WORK, S.AWAY)


def _policy(manual: dict[str, list[str]]) -> TransitionPolicy:
    """Load a policy the way an organization's stored settings hold it: plain strings."""
    return TransitionPolicy.model_validate({"name": "custom", "manual": manual})


def _refusal(manual: dict[str, list[str]]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        _policy(manual)
    return [dict(error) for error in caught.value.errors()]


# A valid policy to break one rule at a time.
VALID: dict[str, list[str]] = {
    "AWAY": ["AVAILABLE"],
    "AVAILABLE": ["UNAVAILABLE", "OFFLINE_WORK", "AWAY"],
    "UNAVAILABLE": ["AVAILABLE", "AWAY"],
    "OFFLINE_WORK": ["AVAILABLE", "AWAY"],
    "ACTIVE": ["AWAY"],
    "WRAP_UP": ["AWAY"],
}


# --- the built-in policies -----------------------------------------------------------------------


def test_default_policy_is_the_spec_default() -> None:
    assert DEFAULT_POLICY.manual == {
        S.AWAY: {S.AVAILABLE},
        S.AVAILABLE: {S.UNAVAILABLE, S.OFFLINE_WORK, S.AWAY},
        S.UNAVAILABLE: {S.AVAILABLE, S.OFFLINE_WORK, S.UNAVAILABLE, S.AWAY},
        S.OFFLINE_WORK: {S.AVAILABLE, S.UNAVAILABLE, S.AWAY},
        S.ACTIVE: {S.AWAY},
        S.WRAP_UP: {S.AWAY},
    }


def test_strict_policy_is_the_sagicc_rule() -> None:
    """UNAVAILABLE only to OFFLINE_WORK or AWAY; OFFLINE_WORK only to AVAILABLE or AWAY."""
    assert STRICT_POLICY.targets(S.UNAVAILABLE) == {S.OFFLINE_WORK, S.AWAY}
    assert STRICT_POLICY.targets(S.OFFLINE_WORK) == {S.AVAILABLE, S.AWAY}
    assert STRICT_POLICY.targets(S.AVAILABLE) == DEFAULT_POLICY.targets(S.AVAILABLE)
    assert STRICT_POLICY.targets(S.AWAY) == {S.AVAILABLE}


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY], ids=lambda p: p.name)
def test_built_in_policies_load_from_their_stored_form(policy: TransitionPolicy) -> None:
    stored = policy.model_dump(mode="json")
    assert TransitionPolicy.model_validate(stored) == policy
    settings = OrganizationSettings.model_validate({"organization_id": "acme", "policy": stored})
    assert settings.policy == policy


def test_built_in_policies_are_listed_by_name() -> None:
    assert BUILT_IN_POLICIES == {"default": DEFAULT_POLICY, "strict": STRICT_POLICY}


def test_an_organization_starts_with_the_default_policy() -> None:
    assert OrganizationSettings(organization_id="acme").policy == DEFAULT_POLICY


@pytest.mark.parametrize("policy", [DEFAULT_POLICY, STRICT_POLICY], ids=lambda p: p.name)
@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_allows_and_targets_agree(policy: TransitionPolicy, source: Status, target: Status) -> None:
    assert policy.allows(source, target) is (target in policy.targets(source))


def test_a_valid_custom_policy_loads() -> None:
    policy = _policy(VALID)
    assert policy.allows(S.UNAVAILABLE, S.AVAILABLE)
    assert not policy.allows(S.UNAVAILABLE, S.OFFLINE_WORK)


def test_a_status_missing_from_a_policy_has_no_manual_moves() -> None:
    # ACTIVE and WRAP_UP still end by themselves, so leaving them out is allowed.
    manual = {key: value for key, value in VALID.items() if key not in ("ACTIVE", "WRAP_UP")}
    policy = _policy(manual)
    assert policy.targets(S.ACTIVE) == frozenset()
    assert not policy.allows(S.WRAP_UP, S.AWAY)


# --- rule: no way back to AWAY -------------------------------------------------------------------


def _assert_rule(errors: list[dict[str, Any]], rule: str, *named: str) -> None:
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["type"] == "value_error"
    assert error["loc"] == ("manual",) or error["loc"] == ()
    message = str(error["msg"])
    assert f"{rule}:" in message, message
    for name in named:
        assert name in message, message


def test_a_policy_stranding_a_pause_is_refused() -> None:
    errors = _refusal(VALID | {"UNAVAILABLE": ["UNAVAILABLE"]})
    _assert_rule(errors, "no_way_back_to_away", "UNAVAILABLE")


def test_a_cycle_without_an_exit_is_refused_and_names_every_stranded_status() -> None:
    errors = _refusal(VALID | {"UNAVAILABLE": ["OFFLINE_WORK"], "OFFLINE_WORK": ["UNAVAILABLE"]})
    _assert_rule(errors, "no_way_back_to_away", "UNAVAILABLE", "OFFLINE_WORK")
    assert "AVAILABLE" not in str(errors[0]["msg"]).replace("UNAVAILABLE", "")


def test_a_status_with_no_moves_at_all_is_refused() -> None:
    manual = {key: value for key, value in VALID.items() if key != "OFFLINE_WORK"}
    _assert_rule(_refusal(manual), "no_way_back_to_away", "OFFLINE_WORK")


def test_available_without_a_way_out_strands_work_too() -> None:
    """ACTIVE and WRAP_UP end in AVAILABLE: if AVAILABLE is stuck, so are they."""
    manual = VALID | {"AVAILABLE": [], "ACTIVE": [], "WRAP_UP": []}
    errors = _refusal(manual)
    _assert_rule(errors, "no_way_back_to_away", "ACTIVE", "WRAP_UP")


def test_a_way_back_through_other_statuses_is_enough() -> None:
    # UNAVAILABLE -> OFFLINE_WORK -> AVAILABLE -> AWAY: no direct clock-out needed.
    policy = _policy(VALID | {"UNAVAILABLE": ["OFFLINE_WORK"], "OFFLINE_WORK": ["AVAILABLE"]})
    assert not policy.allows(S.UNAVAILABLE, S.AWAY)


# --- rule: no manual change into ACTIVE or WRAP_UP -----------------------------------------------


@pytest.mark.parametrize("automatic", ["ACTIVE", "WRAP_UP"])
@pytest.mark.parametrize("source", ["AVAILABLE", "UNAVAILABLE", "OFFLINE_WORK", "ACTIVE", "WRAP_UP"])
def test_a_manual_change_into_an_automatic_status_is_refused(source: str, automatic: str) -> None:
    manual = VALID | {source: [*VALID[source], automatic]}
    _assert_rule(_refusal(manual), "manual_into_automatic", source, automatic)


# --- rule: clock-in ------------------------------------------------------------------------------


@pytest.mark.parametrize("away", [[], ["UNAVAILABLE"], ["OFFLINE_WORK"]])
def test_a_policy_without_clock_in_is_refused(away: list[str]) -> None:
    _assert_rule(_refusal(VALID | {"AWAY": away}), "clock_in_required", "AWAY", "AVAILABLE")


def test_a_policy_with_no_away_entry_is_refused_for_clock_in() -> None:
    manual = {key: value for key, value in VALID.items() if key != "AWAY"}
    _assert_rule(_refusal(manual), "clock_in_required")


# --- unknown statuses: pydantic ------------------------------------------------------------------


def test_an_unknown_source_status_is_refused() -> None:
    errors = _refusal(VALID | {"SLEEPING": ["AWAY"]})
    assert [(e["type"], e["loc"], e["input"]) for e in errors] == [
        ("enum", ("manual", "SLEEPING", "[key]"), "SLEEPING")
    ]


def test_an_unknown_target_status_is_refused() -> None:
    errors = _refusal(VALID | {"AVAILABLE": ["AWAY", "LUNCH"]})
    assert [(e["type"], e["input"]) for e in errors] == [("enum", "LUNCH")]
    assert errors[0]["loc"][:2] == ("manual", "AVAILABLE")


def test_statuses_are_case_sensitive() -> None:
    errors = _refusal(VALID | {"available": ["AWAY"]})
    assert [e["type"] for e in errors] == ["enum"]


def test_a_policy_needs_a_name_and_moves() -> None:
    with pytest.raises(ValidationError) as caught:
        TransitionPolicy.model_validate({"manual": VALID})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("missing", ("name",))]
    with pytest.raises(ValidationError) as caught:
        TransitionPolicy.model_validate({"name": "x", "manual": ["AWAY"]})
    assert [e["loc"] for e in caught.value.errors()] == [("manual",)]


def test_an_organization_with_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        OrganizationSettings.model_validate({"organization_id": "acme", "policy": {"name": "x", "manual": {}}})
    (error,) = caught.value.errors()
    assert error["loc"][0] == "policy"
    assert "clock_in_required:" in error["msg"]


def test_a_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_POLICY.name = "mine"  # type: ignore[misc]
