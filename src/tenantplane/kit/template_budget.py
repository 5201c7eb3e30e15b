"""The budgets of one template render: caps checked before an operation builds a value, and the render's clock.

`templating` installs these checks in the sandbox; each check refuses before computing, so no single operation
can take long or build a huge value, however operations are chained.
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from jinja2.utils import Namespace


@dataclass(frozen=True)
class Budget:
    """What one render (a template, an expression, or every string of one config) may use."""

    seconds: float = 1.0
    string_chars: int = 256 * 1024  # any single string a template builds
    text_chars: int = 1024 * 1024  # the rendered text, and the text of any list or object a template builds
    items: int = 100_000  # any list, range or object (Jinja's own MAX_RANGE)
    int_bits: int = 4096
    memory_bytes: int = 64 * 1024 * 1024  # all the values one render builds, added up
    nesting: int = 64  # brackets and blocks, checked when a template or expression is parsed


DEFAULT = Budget()
# What a small template or expression may use on the event loop before it moves to a thread: a slice so short
# that the loop never notices it (see `templating.render_async`).
SLICE = replace(DEFAULT, seconds=0.002, memory_bytes=1024 * 1024)


_YIELD_EVERY = 0.001


class TemplateFailed(Exception):
    """A template or expression could not be rendered: unknown name, sandbox rule, runtime error or budget."""


class BudgetExceeded(TemplateFailed):
    """A render went over one of its budgets; the message names which."""


class SliceExhausted(Exception):
    """Internal: the event-loop slice ran out; the render starts again in a thread with the full budget."""


def string_over(budget: Budget) -> BudgetExceeded:
    return BudgetExceeded(f"string would be longer than {budget.string_chars:,} characters")


def text_over(budget: Budget, what: str = "rendered text") -> BudgetExceeded:
    return BudgetExceeded(f"{what} would be longer than {budget.text_chars:,} characters")


def items_over(budget: Budget) -> BudgetExceeded:
    return BudgetExceeded(f"list would have more than {budget.items:,} items")


def int_over(budget: Budget) -> BudgetExceeded:
    return BudgetExceeded(f"integer would be larger than {budget.int_bits:,} bits")


def time_over(budget: Budget) -> BudgetExceeded:
    return BudgetExceeded(f"template exceeded the {budget.seconds:g} s render limit")


class Run:
    """The state of one render: its deadline, the memory its values took, the text it has output."""

    __slots__ = ("budget", "deadline", "memory", "next_yield", "output", "slice", "yields")

    def __init__(self, budget: Budget = DEFAULT, *, slice: bool = False, yields: bool = False) -> None:
        self.budget = budget
        self.slice = slice
        self.yields = yields
        self.deadline = time.monotonic() + budget.seconds
        self.next_yield = 0.0
        self.memory = 0
        self.output = 0

    def tick(self) -> None:
        now = time.monotonic()
        if now > self.deadline:
            if self.slice:
                raise SliceExhausted
            raise time_over(self.budget)
        if self.yields and now >= self.next_yield:
            # A render thread hands the GIL over every millisecond, so the event loop waits for it ~1 ms at
            # most instead of the interpreter's 5 ms switch interval per wake-up.
            self.next_yield = now + _YIELD_EVERY
            time.sleep(0)

    def wrote(self, chunk: str) -> None:
        self.output += len(chunk)
        if self.output > self.budget.text_chars:
            raise text_over(self.budget)
        self.tick()

    def string(self, length: int) -> None:
        """Refuses, before it is built, a string of `length` characters."""
        if length > self.budget.string_chars:
            raise string_over(self.budget)

    def count(self, items: int) -> None:
        if items > self.budget.items:
            raise items_over(self.budget)

    def account(self, value: Any) -> Any:
        """Checks the caps of a value an operation built, counts the memory it took, and passes it on."""
        if isinstance(value, str):
            self.string(len(value))
            self._spend(sys.getsizeof(value))
        elif isinstance(value, int):
            if value.bit_length() > self.budget.int_bits:
                raise int_over(self.budget)
        elif isinstance(value, list | tuple | dict | set | frozenset):
            self.count(len(value))
            self._spend(sys.getsizeof(value) + self.text_of(value))
        self.tick()
        return value

    def text_of(self, value: Any, what: str = "list") -> int:
        """How long `value` is as text, refused past the text budget (a list can hold one big string many times)."""
        size = text_size(value, self.budget.text_chars)
        if size > self.budget.text_chars:
            raise text_over(self.budget, f"{what} as text")
        return size

    def _spend(self, size: int) -> None:
        self.memory += size
        if self.memory > self.budget.memory_bytes:
            if self.slice:
                raise SliceExhausted
            raise BudgetExceeded(f"template built more than {self.budget.memory_bytes // 2**20} MiB of values")


_RUN: contextvars.ContextVar[Run | None] = contextvars.ContextVar("template_run", default=None)


def current() -> Run:
    """The render under way; outside one (Jinja folding a constant at compile time) a fresh default budget."""
    return _RUN.get() or Run()


def enter(run: Run) -> contextvars.Token[Run | None]:
    return _RUN.set(run)


def leave(token: contextvars.Token[Run | None]) -> None:
    _RUN.reset(token)


def text_size(value: Any, limit: int) -> int:
    """About how many characters `str(value)` has, counted without building it; stops once past `limit`."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return value.bit_length() * 30103 // 100000 + 2
    if isinstance(value, float):
        return 32
    if isinstance(value, Namespace):
        value = object.__getattribute__(value, "_Namespace__attrs")
    if isinstance(value, Mapping):
        parts: Any = (p for pair in value.items() for p in pair)
    elif isinstance(value, list | tuple | set | frozenset):
        parts = value
    else:
        return 64  # macros, loops, undefined names: a short repr
    total = 2
    for part in parts:
        total += text_size(part, limit - total) + 2
        if total > limit:
            return total
    return total
