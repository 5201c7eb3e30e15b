"""Structural validation of automation workflow graphs (spec §6, "Saving validates everything").

Each problem carries a path into the workflow body so the builder can point at the field.
"""

from __future__ import annotations

import pytest

from tenantplane.automation.engine.graph import (
    Edge,
    InvalidWorkflowGraph,
    Problem,
    StepSpec,
    build_graph,
    steps_behind,
    validate_graph,
)


def paths(problems: list[Problem]) -> list[str]:
    return [problem.path for problem in problems]


def test_without_edges_steps_run_in_list_order() -> None:
    graph = build_graph([StepSpec("a", "runbook"), StepSpec("b", "delay"), StepSpec("c", "notification")])

    assert graph.edges == (Edge("a", "b"), Edge("b", "c"))
    assert graph.order == ("a", "b", "c")


def test_a_single_step_workflow_is_valid() -> None:
    assert validate_graph([StepSpec("only", "runbook")]) == []


def test_order_puts_every_edge_forward_and_keeps_list_order_for_ties() -> None:
    steps = [StepSpec("join", "runbook"), StepSpec("left", "runbook"), StepSpec("right", "runbook")]
    graph = build_graph(steps, [Edge("left", "join"), Edge("right", "join")])

    assert graph.order == ("left", "right", "join")


def test_an_empty_workflow_is_a_problem() -> None:
    assert validate_graph([]) == [Problem("steps", "a workflow needs at least one step")]


def test_duplicate_step_ids_are_reported_at_the_duplicate() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook"), StepSpec("a", "runbook")]

    assert paths(validate_graph(steps, [Edge("a", "b")])) == ["steps[2].id"]


def test_edges_to_and_from_unknown_steps_name_the_field() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook")]

    problems = validate_graph(steps, [Edge("a", "b"), Edge("ghost", "b"), Edge("a", "nowhere")])

    assert paths(problems) == ["edges[1].from", "edges[2].to"]
    assert "ghost" in problems[0].message
    assert "nowhere" in problems[1].message


def test_a_cycle_is_reported_at_the_edge_that_closes_it() -> None:
    steps = [StepSpec("start", "runbook"), StepSpec("a", "runbook"), StepSpec("b", "runbook")]
    edges = [Edge("start", "a"), Edge("a", "b"), Edge("b", "a")]

    problems = validate_graph(steps, edges)

    assert paths(problems) == ["edges[2]"]
    assert "a → b → a" in problems[0].message


def test_a_self_loop_is_a_cycle() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook")]

    assert paths(validate_graph(steps, [Edge("a", "b"), Edge("b", "b", "failure")])) == ["edges[1]"]


def test_a_graph_without_an_entry_step_is_a_cycle_problem() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook")]

    problems = validate_graph(steps, [Edge("a", "b"), Edge("b", "a")])

    assert paths(problems) == ["edges[1]", "edges"]
    assert all("cycle" in problem.message for problem in problems)


def test_a_step_not_reachable_from_an_entry_step_is_reported() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook"), StepSpec("c", "runbook"), StepSpec("d", "runbook")]
    # c and d only feed each other, so nothing ever starts them.
    edges = [Edge("a", "b"), Edge("c", "d"), Edge("d", "c")]

    problems = validate_graph(steps, edges)

    assert paths(problems) == ["edges[2]", "steps[2]", "steps[3]"]


def test_a_condition_step_needs_a_true_and_a_false_edge() -> None:
    steps = [StepSpec("check", "condition"), StepSpec("yes", "runbook"), StepSpec("no", "runbook")]

    problems = validate_graph(steps, [Edge("check", "yes", "true"), Edge("check", "no")])

    assert paths(problems) == ["steps[0]"]
    assert "missing: false" in problems[0].message


def test_a_condition_step_in_a_list_without_edges_is_reported() -> None:
    problems = validate_graph([StepSpec("check", "condition"), StepSpec("next", "runbook")])

    assert paths(problems) == ["steps[0]"]
    assert "list order" in problems[0].message


@pytest.mark.parametrize(
    ("source_type", "condition"),
    [
        ("runbook", "approved"),
        ("runbook", "true"),
        ("notification", "timeout"),
        ("delay", "rejected"),
        ("approval", "failure"),
        ("approval", "false"),
        ("condition", "success"),
    ],
)
def test_an_outcome_word_that_does_not_fit_the_step_type_is_reported(source_type: str, condition: str) -> None:
    steps = [StepSpec("first", source_type), StepSpec("next", "runbook")]  # type: ignore[arg-type]
    edges = [Edge("first", "next", condition)]
    if source_type == "condition":
        edges += [Edge("first", "next", "true"), Edge("first", "next", "false")]

    problems = validate_graph(steps, edges)

    assert paths(problems) == ["edges[0].condition"]
    assert f"'{condition}'" in problems[0].message


@pytest.mark.parametrize(
    ("source_type", "condition"),
    [
        ("runbook", "success"),
        ("runbook", "failure"),
        ("notification", "always"),
        ("delay", "success"),
        ("approval", "approved"),
        ("approval", "rejected"),
        ("approval", "timeout"),
        ("approval", "success"),
        ("runbook", "steps.first.outputs.code == 0"),
    ],
)
def test_outcome_words_that_fit_and_expressions_are_accepted(source_type: str, condition: str) -> None:
    steps = [StepSpec("first", source_type), StepSpec("next", "runbook")]  # type: ignore[arg-type]

    assert validate_graph(steps, [Edge("first", "next", condition)]) == []


def test_step_type_and_on_timeout_are_checked() -> None:
    steps = [
        StepSpec("a", "script"),  # type: ignore[arg-type]
        StepSpec("b", "runbook", on_timeout="approve"),
        StepSpec("c", "approval", on_timeout="escalate"),  # type: ignore[arg-type]
    ]

    assert paths(validate_graph(steps)) == ["steps[0].type", "steps[1].on_timeout", "steps[2].on_timeout"]


def test_every_problem_is_reported_at_once() -> None:
    steps = [
        StepSpec("start", "runbook"),
        StepSpec("check", "condition"),
        StepSpec("start", "notification"),
        StepSpec("loop", "runbook"),
        StepSpec("island", "delay"),
    ]
    edges = [
        Edge("start", "check", "approved"),
        Edge("check", "loop", "true"),
        Edge("loop", "check"),
        Edge("check", "missing"),
        Edge("island", "island"),
    ]

    problems = validate_graph(steps, edges)

    assert paths(problems) == [
        "steps[2].id",
        "edges[3].to",
        "edges[0].condition",
        "steps[1]",
        "edges[2]",
        "edges[4]",
        "steps[4]",
    ]


def test_building_an_invalid_graph_raises_with_every_problem() -> None:
    with pytest.raises(InvalidWorkflowGraph) as raised:
        build_graph([StepSpec("a", "runbook"), StepSpec("a", "runbook")], [Edge("a", "b")])

    assert paths(list(raised.value.problems)) == ["steps[1].id", "edges[0].to"]


def test_expression_edges_and_downstream_steps() -> None:
    steps = [StepSpec("a", "runbook"), StepSpec("b", "runbook"), StepSpec("c", "runbook"), StepSpec("d", "runbook")]
    graph = build_graph(steps, [Edge("a", "b", "steps.a.outputs.ok"), Edge("a", "c", "failure"), Edge("b", "d")])

    assert graph.expression_edges("a") == (0,)
    assert graph.downstream(["b"]) == frozenset({"b", "d"})


def test_steps_behind_an_approval_are_those_it_precedes_on_any_path() -> None:
    steps = [
        StepSpec("first", "delay"),
        StepSpec("gate", "approval"),
        StepSpec("wait", "delay"),
        StepSpec("run", "runbook"),
        StepSpec("free", "runbook"),
    ]
    edges = [Edge("first", "gate"), Edge("gate", "wait"), Edge("wait", "run"), Edge("first", "run", "always")]
    edges.append(Edge("first", "free"))
    assert steps_behind(steps, edges, "approval") == {"wait", "run"}
    assert steps_behind(steps, [], "approval") == {"wait", "run", "free"}  # no edges: list order
    # An unchecked body (a cycle, an edge to an unknown step) still answers.
    assert steps_behind(steps, [Edge("gate", "run"), Edge("run", "gate"), Edge("run", "nowhere")], "approval") == {
        "run",
        "gate",
        "nowhere",
    }
