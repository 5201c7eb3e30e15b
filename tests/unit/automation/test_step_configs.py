"""Per-type config checks that need no database: conditions, delays and numbers, each with its field path."""

from __future__ import annotations

from tenantplane.automation.definitions.validation import _condition_problems, _delay_problems, _positive, step_specs


def test_a_delay_needs_exactly_one_of_seconds_and_until() -> None:
    assert _delay_problems("c", {}) == [("c", "a delay step needs either seconds or until")]
    assert _delay_problems("c", {"seconds": 1, "until": "2030-01-01T00:00:00Z"})[0][0] == "c"
    assert _delay_problems("c", {"seconds": 0}) == []
    assert _delay_problems("c", {"seconds": -1})[0][0] == "c.seconds"
    assert _delay_problems("c", {"until": "2030-01-01T00:00:00+02:00"}) == []
    assert _delay_problems("c", {"until": "next tuesday"})[0][0] == "c.until"
    assert _delay_problems("c", {"until": "{{ inputs.at }}"}) == []
    assert _delay_problems("c", {"until": "{{ inputs.at "})[0][0] == "c.until"


def test_a_condition_needs_an_expression_that_parses() -> None:
    assert _condition_problems("c", {})[0][0] == "c.expression"
    assert _condition_problems("c", {"expression": "inputs.a >"})[0][0] == "c.expression"
    assert _condition_problems("c", {"expression": "inputs.a > 1 and steps.b.status == 'succeeded'"}) == []


def test_numbers_must_be_positive_and_never_booleans() -> None:
    assert _positive({"timeout_seconds": True}, "timeout_seconds", "c") != []
    assert _positive({"timeout_seconds": 0}, "timeout_seconds", "c") != []
    assert _positive({"timeout_seconds": 0}, "timeout_seconds", "c", zero=True) == []
    assert _positive({}, "timeout_seconds", "c") == []


def test_only_approval_steps_carry_on_timeout_into_the_graph() -> None:
    specs = step_specs(
        [
            {"id": "a", "type": "approval", "config": {"on_timeout": "approve"}},
            {"id": "b", "type": "delay", "config": {"seconds": 1}},
        ]
    )
    assert [(s.id, s.on_timeout) for s in specs] == [("a", "approve"), ("b", None)]
