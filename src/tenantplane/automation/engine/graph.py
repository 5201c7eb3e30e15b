"""Automation workflow graphs: steps, edges, and the structural checks every saved workflow passes.

Pure data and functions; the execution engine relies on a `WorkflowGraph` always being valid.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal, get_args

StepType = Literal["runbook", "approval", "condition", "notification", "delay"]
OnTimeout = Literal["reject", "approve", "skip"]
OutcomeWord = Literal["success", "failure", "always", "true", "false", "approved", "rejected", "timeout"]

STEP_TYPES: frozenset[str] = frozenset(get_args(StepType))
OUTCOME_WORDS: frozenset[str] = frozenset(get_args(OutcomeWord))

_FINISHING_WORDS = frozenset({"success", "failure", "always"})
# Which outcome words an edge may carry, by the type of the step it leaves. A condition step
# fails only when its expression cannot be evaluated; an approval step is rejected, never failed.
OUTCOME_WORDS_BY_STEP_TYPE: Mapping[str, frozenset[str]] = {
    "runbook": _FINISHING_WORDS,
    "notification": _FINISHING_WORDS,
    "delay": _FINISHING_WORDS,
    "condition": frozenset({"true", "false", "failure", "always"}),
    "approval": frozenset({"success", "approved", "rejected", "timeout", "always"}),
}


@dataclass(frozen=True)
class StepSpec:
    """What the engine needs to know about one step; its config lives with the shell."""

    id: str
    type: StepType
    on_timeout: OnTimeout | None = None


@dataclass(frozen=True)
class Edge:
    """`source` and `target` are the API's `from` and `to`; `condition` None means "source succeeded"."""

    source: str
    target: str
    condition: str | None = None

    @property
    def is_expression(self) -> bool:
        return self.condition is not None and self.condition not in OUTCOME_WORDS


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


class InvalidWorkflowGraph(ValueError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{problem.path}: {problem.message}" for problem in self.problems))


@dataclass(frozen=True)
class WorkflowGraph:
    """A valid graph: constructing one with structural problems raises `InvalidWorkflowGraph`."""

    steps: tuple[StepSpec, ...]
    edges: tuple[Edge, ...]
    _by_id: dict[str, StepSpec] = field(init=False, repr=False, compare=False)
    _outgoing: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _incoming: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _structural_problems(self.steps, self.edges)
        if problems:
            raise InvalidWorkflowGraph(problems)
        ids = [step.id for step in self.steps]
        outgoing: dict[str, list[int]] = {step_id: [] for step_id in ids}
        incoming: dict[str, list[int]] = {step_id: [] for step_id in ids}
        for k, edge in enumerate(self.edges):
            outgoing[edge.source].append(k)
            incoming[edge.target].append(k)
        object.__setattr__(self, "_by_id", {step.id: step for step in self.steps})
        object.__setattr__(self, "_outgoing", {key: tuple(value) for key, value in outgoing.items()})
        object.__setattr__(self, "_incoming", {key: tuple(value) for key, value in incoming.items()})
        object.__setattr__(self, "_order", _topological_order(ids, self.edges))

    @property
    def order(self) -> tuple[str, ...]:
        """Step ids in an order where every edge points forward; ties keep the list order."""
        return self._order

    def step(self, step_id: str) -> StepSpec:
        return self._by_id[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self._by_id

    def outgoing(self, step_id: str) -> tuple[int, ...]:
        """Indexes into `edges` of the edges leaving the step."""
        return self._outgoing[step_id]

    def incoming(self, step_id: str) -> tuple[int, ...]:
        return self._incoming[step_id]

    def expression_edges(self, step_id: str) -> tuple[int, ...]:
        """The edges leaving the step whose truth the shell evaluates and reports when it succeeds."""
        return tuple(k for k in self._outgoing[step_id] if self.edges[k].is_expression)

    def downstream(self, step_ids: Iterable[str]) -> frozenset[str]:
        """The given steps and every step reachable from them."""
        seen = set(step_ids)
        frontier = list(seen)
        while frontier:
            for k in self._outgoing[frontier.pop()]:
                target = self.edges[k].target
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        return frozenset(seen)


def implicit_edges(steps: Sequence[StepSpec]) -> tuple[Edge, ...]:
    """Without edges, steps run in list order."""
    return tuple(Edge(before.id, after.id) for before, after in pairwise(steps))


def build_graph(steps: Sequence[StepSpec], edges: Sequence[Edge] = ()) -> WorkflowGraph:
    """Build the graph a workflow runs; raises `InvalidWorkflowGraph` listing every problem."""
    return WorkflowGraph(tuple(steps), tuple(edges) if edges else implicit_edges(steps))


def steps_behind(steps: Sequence[StepSpec], edges: Sequence[Edge], step_type: StepType) -> frozenset[str]:
    """The steps that some step of `step_type` precedes on a path (no edges: list order).

    Works on an unchecked body too (edges to unknown steps, cycles), so validation can use it beside the graph checks.
    """
    followers: dict[str, list[str]] = {}
    for edge in edges or implicit_edges(steps):
        followers.setdefault(edge.source, []).append(edge.target)
    behind: set[str] = set()
    frontier = [step.id for step in steps if step.type == step_type]
    while frontier:
        for target in followers.get(frontier.pop(), ()):
            if target not in behind:
                behind.add(target)
                frontier.append(target)
    return frozenset(behind)


def validate_graph(steps: Sequence[StepSpec], edges: Sequence[Edge] = ()) -> list[Problem]:
    """Every structural problem at once, with paths into the workflow body (`steps[2].id`, `edges[0].to`)."""
    if edges:
        return _structural_problems(steps, tuple(edges))
    return _structural_problems(steps, implicit_edges(steps), implicit=True)


def _structural_problems(steps: Sequence[StepSpec], edges: Sequence[Edge], *, implicit: bool = False) -> list[Problem]:
    problems = _step_problems(steps)
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        index.setdefault(step.id, i)
    known: list[tuple[int, Edge]] = []
    for k, edge in enumerate(edges):
        if edge.source not in index:
            problems.append(Problem(f"edges[{k}].from", f"unknown step '{edge.source}'"))
        if edge.target not in index:
            problems.append(Problem(f"edges[{k}].to", f"unknown step '{edge.target}'"))
        if edge.source in index and edge.target in index:
            known.append((k, edge))
    first_steps = [(i, step) for i, step in enumerate(steps) if index[step.id] == i]
    problems += _outcome_problems(steps, index, known)
    problems += _condition_step_problems(first_steps, known, implicit=implicit)
    problems += _cycle_problems(first_steps, known)
    problems += _reachability_problems(first_steps, known)
    return problems


def _step_problems(steps: Sequence[StepSpec]) -> list[Problem]:
    if not steps:
        return [Problem("steps", "a workflow needs at least one step")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.id in seen:
            problems.append(Problem(f"steps[{i}].id", f"duplicate step id '{step.id}'"))
        seen.add(step.id)
        if step.type not in STEP_TYPES:
            problems.append(Problem(f"steps[{i}].type", f"unknown step type '{step.type}'"))
        if step.on_timeout is not None and step.type != "approval":
            problems.append(Problem(f"steps[{i}].on_timeout", "only approval steps have on_timeout"))
        elif step.on_timeout not in (None, "reject", "approve", "skip"):
            problems.append(Problem(f"steps[{i}].on_timeout", "on_timeout is 'reject', 'approve' or 'skip'"))
    return problems


def _outcome_problems(
    steps: Sequence[StepSpec], index: Mapping[str, int], known: Sequence[tuple[int, Edge]]
) -> list[Problem]:
    problems: list[Problem] = []
    for k, edge in known:
        source = steps[index[edge.source]]
        allowed = OUTCOME_WORDS_BY_STEP_TYPE.get(source.type)
        if edge.condition in OUTCOME_WORDS and allowed is not None and edge.condition not in allowed:
            problems.append(
                Problem(
                    f"edges[{k}].condition",
                    f"'{edge.condition}' does not fit {source.type} step '{source.id}'; "
                    f"use one of {', '.join(sorted(allowed))} or an expression",
                )
            )
    return problems


def _condition_step_problems(
    first_steps: Sequence[tuple[int, StepSpec]], known: Sequence[tuple[int, Edge]], *, implicit: bool
) -> list[Problem]:
    problems: list[Problem] = []
    words_by_source: dict[str, set[str | None]] = {}
    for _, edge in known:
        words_by_source.setdefault(edge.source, set()).add(edge.condition)
    for i, step in first_steps:
        if step.type != "condition":
            continue
        words = words_by_source.get(step.id, set())
        missing = [word for word in ("true", "false") if word not in words]
        if missing:
            hint = " (without edges, steps run in list order)" if implicit else ""
            problems.append(
                Problem(
                    f"steps[{i}]",
                    f"condition step '{step.id}' needs an outgoing 'true' and 'false' edge; "
                    f"missing: {', '.join(missing)}{hint}",
                )
            )
    return problems


def _cycle_problems(first_steps: Sequence[tuple[int, StepSpec]], known: Sequence[tuple[int, Edge]]) -> list[Problem]:
    """One problem per edge that closes a cycle (a back edge of a depth-first walk in list order)."""
    adjacency: dict[str, list[tuple[int, str]]] = {step.id: [] for _, step in first_steps}
    for k, edge in known:
        adjacency[edge.source].append((k, edge.target))
    problems: list[Problem] = []
    done: set[str] = set()
    for _, root in first_steps:
        if root.id in done:
            continue
        path = [root.id]
        on_path = {root.id}
        pending = [iter(adjacency[root.id])]
        while pending:
            step_id = path[-1]
            nxt = next(pending[-1], None)
            if nxt is None:
                done.add(step_id)
                on_path.discard(path.pop())
                pending.pop()
                continue
            k, target = nxt
            if target in on_path:
                cycle = " → ".join([*path[path.index(target) :], target])
                message = f"edge from '{step_id}' to '{target}' closes a cycle: {cycle}"
                problems.append(Problem(f"edges[{k}]", message))
            elif target not in done:
                path.append(target)
                on_path.add(target)
                pending.append(iter(adjacency[target]))
    return problems


def _reachability_problems(
    first_steps: Sequence[tuple[int, StepSpec]], known: Sequence[tuple[int, Edge]]
) -> list[Problem]:
    targets = {edge.target for _, edge in known}
    entries = [step.id for _, step in first_steps if step.id not in targets]
    if first_steps and not entries:
        message = "every step has an incoming edge, so no step can start: the edges form a cycle"
        return [Problem("edges", message)]
    targets_of: dict[str, list[str]] = {}
    for _, edge in known:
        targets_of.setdefault(edge.source, []).append(edge.target)
    reached = set(entries)
    frontier = list(entries)
    while frontier:
        for target in targets_of.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    return [
        Problem(f"steps[{i}]", f"step '{step.id}' cannot be reached from a step without incoming edges")
        for i, step in first_steps
        if step.id not in reached
    ]


def _topological_order(ids: Sequence[str], edges: Sequence[Edge]) -> tuple[str, ...]:
    """Kahn's algorithm; of the steps ready at once, the earliest in the list goes first."""
    position = {step_id: i for i, step_id in enumerate(ids)}
    waiting_on = dict.fromkeys(ids, 0)
    targets_of: dict[str, list[str]] = {step_id: [] for step_id in ids}
    for edge in edges:
        waiting_on[edge.target] += 1
        targets_of[edge.source].append(edge.target)
    ready = [position[step_id] for step_id in ids if waiting_on[step_id] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        step_id = ids[heapq.heappop(ready)]
        order.append(step_id)
        for target in targets_of[step_id]:
            waiting_on[target] -= 1
            if waiting_on[target] == 0:
                heapq.heappush(ready, position[target])
    return tuple(order)
