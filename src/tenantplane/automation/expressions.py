"""Conditions and templates of automation workflows, in the runbooks' Jinja2 sandbox, over one context.

The context is `inputs`, `trigger`, `steps.<id>.status` / `steps.<id>.outputs`, `execution`, and `secrets`: the
tenant's secret names, each masked as `***` (values never enter a workflow template, since everything a workflow
renders is stored; runbooks get secret values through their own `secrets` list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateError

from tenantplane.automation.engine import ExecutionState
from tenantplane.automation.graph import WorkflowGraph
from tenantplane.runbooks.templates import TemplateFailed, compile_condition, render, syntax_errors

MASK = "***"

__all__ = ["TemplateFailed", "evaluate", "expression_error", "render", "run_context", "syntax_errors"]


def expression_error(expression: str) -> str | None:
    """Why the expression does not parse, or None when it does."""
    try:
        compile_condition(expression)
    except TemplateError as error:
        return f"expression does not parse: {error.message or error}"
    return None


def evaluate(expression: str, context: Mapping[str, Any]) -> bool:
    """The truth of the expression over the context; TemplateFailed when it cannot be evaluated."""
    try:
        value = compile_condition(expression)(**context)
        return bool(value)
    except TemplateError as error:
        raise TemplateFailed(f"expression {expression!r} failed: {error.message or error}") from error
    except Exception as error:  # a runtime error inside the expression, e.g. a division by zero
        raise TemplateFailed(f"expression {expression!r} failed: {type(error).__name__}: {error}") from error


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


def edge_results(
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
            results[k] = evaluate(condition, seen)
        except TemplateFailed:
            results[k] = False
    return results
