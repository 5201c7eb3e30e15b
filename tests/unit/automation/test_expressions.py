"""The shell's expressions: conditions and expression edges evaluated in the sandbox over the run's context."""

from __future__ import annotations

import pytest

from tenantplane.automation.definitions.validation import parse_time
from tenantplane.automation.engine import ExecutionState, StepRun
from tenantplane.automation.engine.expressions import (
    TemplateFailed,
    edge_results,
    evaluate,
    expression_error,
    run_context,
)
from tenantplane.automation.engine.graph import Edge, StepSpec, build_graph


def _state() -> ExecutionState:
    steps = {"diagnose": StepRun("succeeded", 1, {"load": "95"}), "fix": StepRun()}
    return ExecutionState("running", steps, (None, None))


def test_a_condition_sees_inputs_and_step_outputs() -> None:
    context = run_context(state=_state(), inputs={"limit": 80}, execution={"id": "e"})
    assert evaluate("steps.diagnose.outputs.load | int > inputs.limit", context) is True
    assert evaluate("steps.fix.status == 'pending'", context) is True


def test_an_expression_that_cannot_run_raises_and_one_that_cannot_parse_is_named() -> None:
    with pytest.raises(TemplateFailed):
        evaluate("1 / 0", {})
    with pytest.raises(TemplateFailed):
        evaluate("inputs.__class__.__mro__", {"inputs": {}})
    assert expression_error("steps.x[") is not None
    assert expression_error("steps.x.outputs.ok") is None


async def test_expression_edges_see_the_finishing_steps_fresh_outputs() -> None:
    graph = build_graph(
        [StepSpec("diagnose", "runbook"), StepSpec("fix", "runbook")],
        [Edge("diagnose", "fix", "steps.diagnose.outputs.broken == 'yes'")],
    )
    context = run_context(state=_state(), inputs={}, execution={})
    assert await edge_results(graph, "diagnose", context, {"broken": "yes"}) == {0: True}
    assert await edge_results(graph, "diagnose", context, {"broken": "no"}) == {0: False}
    assert await edge_results(graph, "diagnose", context, {}) == {0: False}


def test_delay_until_needs_a_time_zone() -> None:
    assert parse_time("2030-01-01T00:00:00Z") is not None
    assert parse_time("2030-01-01T00:00:00") is None
    assert parse_time("tomorrow") is None
