"""Conditions and templates of automation workflows, in the product's one sandbox (`kit.templating`).

The context is `inputs`, `trigger`, `steps.<id>.status` / `steps.<id>.outputs`, `execution`, and `secrets`: the
tenant's secret names, each masked as `***` (values never enter a workflow template, since everything a workflow
renders is stored; runbooks get secret values through their own `secrets` list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantplane.automation.engine import ExecutionState
from tenantplane.automation.engine.graph import WorkflowGraph
from tenantplane.kit.templating import (
    TemplateFailed,
    evaluate,
    evaluate_async,
    expression_error,
    render,
    render_async,
    syntax_errors,
)

MASK = "***"

__all__ = [
    "TemplateFailed",
    "edge_results",
    "evaluate",
    "evaluate_async",
    "expression_error",
    "render",
    "render_async",
    "run_context",
    "syntax_errors",
]


def run_context(
    *,
    state: ExecutionState,
    inputs: Mapping[str, Any],
    execution: Mapping[str, Any],
    trigger: Mapping[str, Any] | None = None,
    secret_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    steps = {step_id: {"status": run.status, "outputs": dict(run.outputs)} for step_id, run in state.steps.items()}
    return {
        "inputs": dict(inputs),
        "trigger": dict(trigger or {}),
        "steps": steps,
        "execution": dict(execution),
        "secrets": dict.fromkeys(secret_names, MASK),
    }


async def edge_results(
    graph: WorkflowGraph, step_id: str, context: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[int, bool]:
    """The truth of each expression edge leaving the step, seen with the step's fresh outputs.

    An expression that cannot be evaluated counts as false (the edge is not taken).
    """
    steps = dict(context["steps"])
    steps[step_id] = {"status": "succeeded", "outputs": dict(outputs)}
    seen = {**context, "steps": steps}
    results: dict[int, bool] = {}
    for k in graph.expression_edges(step_id):
        condition = graph.edges[k].condition or ""
        try:
            results[k] = await evaluate_async(condition, seen)
        except TemplateFailed:
            results[k] = False
    return results
