"""One sandbox for every template and expression in the product: Jinja2's immutable sandbox, with budgets.

Runbook configs, workflow conditions, edges and templates, notification messages and ITSM fulfillment all
render here. Every operator, filter, method call, loop and output is checked against a `Budget`
(`template_ops`), so no single operation is long and a render stops at its deadline by itself; parsing refuses
nesting deeper than the budget. `render_async` / `evaluate_async` keep the event loop free: a small template
gets a 2 ms slice on the loop (most are done in microseconds), anything else renders in a thread of its own.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from jinja2 import Template, TemplateError, meta, nodes
from jinja2.parser import Parser

from tenantplane.kit.errors import ValidationFailed
from tenantplane.kit.template_budget import (
    DEFAULT,
    SLICE,
    Budget,
    BudgetExceeded,
    Run,
    SliceExhausted,
    TemplateFailed,
    enter,
    leave,
    time_over,
)
from tenantplane.kit.template_sandbox import BudgetSandbox, guard

__all__ = [
    "DEFAULT",
    "Budget",
    "BudgetExceeded",
    "TemplateFailed",
    "check_template",
    "evaluate",
    "evaluate_async",
    "expression_error",
    "has_template",
    "render",
    "render_async",
    "syntax_errors",
    "template_error",
]
T = TypeVar("T")
_INLINE_SOURCE = 4096  # longer sources are compiled and rendered off the loop, never in the loop's slice
_GRACE = 0.25  # how long past its deadline the caller waits for a render thread


_ENV = BudgetSandbox()
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "autoescape", "block"})
# What may run in the event loop's slice: no loop, call, macro or block, and only cheap filters. Operators may:
# the budget bounds each one (at worst ~15 ms to check a 100,000-item list), and the slice ends after it.
_CHEAP_FILTERS = frozenset(
    "default d int float string length count lower upper trim first last capitalize title abs round e escape "
    "_concat _built".split()
)
_HEAVY = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Call, nodes.FilterBlock, nodes.AssignBlock, nodes.With)


@dataclass(frozen=True)
class _Compiled:
    template: Template
    inline: bool  # may run in the event loop's slice


class _TooDeep(Exception):
    pass


def _check_nesting(source: str, state: str | None, budget: Budget) -> None:
    """Refuse, before the recursive parser sees it, a source nested deeper than the budget."""
    depth = deepest = 0
    after_block = False
    for _, token, value in _ENV.lexer.tokeniter(source, None, None, state):
        if token == "whitespace":
            continue
        if token == "operator" and value in "([{":
            depth += 1
        elif token == "operator" and value in ")]}":
            depth -= 1
        elif token == "name" and after_block and value in _BLOCKS:
            depth += 1
        elif token == "name" and after_block and value.startswith("end") and value[3:] in _BLOCKS:
            depth -= 1
        after_block = token == "block_begin"
        deepest = max(deepest, depth)
        if deepest > budget.nesting:
            raise _TooDeep(f"nested deeper than {budget.nesting} levels (brackets and blocks)")


def _finish(tree: nodes.Template) -> _Compiled:
    guarded = guard(tree, _ENV)
    inline = not any(isinstance(n, _HEAVY) for n in guarded.find_all(nodes.Node)) and all(
        f.name in _CHEAP_FILTERS for f in guarded.find_all(nodes.Filter)
    )
    return _Compiled(_ENV.from_string(guarded), inline)


@functools.lru_cache(maxsize=1024)
def _compile_template(source: str) -> _Compiled:
    _check_nesting(source, None, DEFAULT)
    return _finish(_ENV.parse(source))


@functools.lru_cache(maxsize=1024)
def _compile_expression(source: str) -> _Compiled:
    _check_nesting(source, "variable", DEFAULT)
    parser = Parser(_ENV, source, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        raise TemplateError(f"unexpected {parser.stream.current.value!r} after the expression")
    body = [nodes.Assign(nodes.Name("result", "store"), expression, lineno=1)]
    return _finish(nodes.Template(body, lineno=1))


def _compiled(source: str, *, expression: bool) -> _Compiled:
    """The compiled source; TemplateFailed saying why it does not parse (too deep included)."""
    try:
        return (_compile_expression if expression else _compile_template)(source)
    except _TooDeep as error:
        raise TemplateFailed(str(error)) from None
    except RecursionError:
        raise TemplateFailed(f"nested deeper than {DEFAULT.nesting} levels") from None
    except TemplateError as error:
        raise TemplateFailed(f"does not parse: {error.message or error}") from error


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def _short(source: str) -> str:
    return repr(source if len(source) <= 80 else source[:77] + "...")


def _failure(source: str, error: Exception, what: str = "template") -> TemplateFailed:
    if isinstance(error, BudgetExceeded):
        return BudgetExceeded(f"{what} {_short(source)} failed: {error}")
    if isinstance(error, TemplateFailed):
        return TemplateFailed(f"{what} {_short(source)} failed: {error}")
    return TemplateFailed(f"{what} {_short(source)} failed: {type(error).__name__}: {error}")


def _render_text(source: str, context: Mapping[str, Any], run: Run) -> str:
    try:
        compiled = _compiled(source, expression=False)
        parts: list[str] = []
        for chunk in compiled.template.generate(context):
            run.wrote(chunk)
            parts.append(chunk)
        return "".join(parts)
    except SliceExhausted:
        raise
    except Exception as error:  # any runtime error inside the template, e.g. a division by zero
        raise _failure(source, error) from error


def _render_value(value: Any, context: Mapping[str, Any], run: Run) -> Any:
    if isinstance(value, str):
        return _render_text(value, context, run) if _is_template(value) else value
    if isinstance(value, Mapping):
        return {key: _render_value(item, context, run) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_value(item, context, run) for item in value]
    return value


def _evaluate_now(expression: str, context: Mapping[str, Any], run: Run) -> bool:
    try:
        compiled = _compiled(expression, expression=True)
        frame = compiled.template.new_context(dict(context))
        for _ in compiled.template.root_render_func(frame):
            pass
        return bool(frame.vars["result"])
    except SliceExhausted:
        raise
    except Exception as error:
        raise _failure(expression, error, "expression") from error


def _within(run: Run, work: Callable[[Run], T]) -> T:
    token = enter(run)
    try:
        return work(run)
    finally:
        leave(token)


def render(value: Any, context: Mapping[str, Any], *, budget: Budget = DEFAULT) -> Any:
    """Every string inside `value` rendered (dict keys stay as written), in this thread, under one budget.

    Prefer `render_async` in async code: this one runs for up to `budget.seconds` where it is called.
    """
    return _within(Run(budget, yields=_off_main()), lambda run: _render_value(value, context, run))


def evaluate(expression: str, context: Mapping[str, Any], *, budget: Budget = DEFAULT) -> bool:
    """The truth of `expression` over `context`, in this thread; TemplateFailed when it cannot be evaluated."""
    return _within(Run(budget, yields=_off_main()), lambda run: _evaluate_now(expression, context, run))


def _off_main() -> bool:
    return threading.current_thread() is not threading.main_thread()


async def render_async(value: Any, context: Mapping[str, Any], *, budget: Budget = DEFAULT) -> Any:
    """`render` without holding up the event loop: a slice on the loop for small cheap templates, else a thread."""
    sources = list(_sources(value))
    if not sources:
        return value
    if _fits_slice(sources, expression=False):
        try:
            return _within(Run(_slice_of(budget), slice=True), lambda run: _render_value(value, context, run))
        except SliceExhausted:
            pass
    return await _off_loop(lambda: render(value, context, budget=budget), budget)


async def evaluate_async(expression: str, context: Mapping[str, Any], *, budget: Budget = DEFAULT) -> bool:
    """`evaluate` without holding up the event loop (conditions are nearly always done in the loop's slice)."""
    if _fits_slice([expression], expression=True):
        try:
            return _within(Run(_slice_of(budget), slice=True), lambda run: _evaluate_now(expression, context, run))
        except SliceExhausted:
            pass
    return await _off_loop(lambda: evaluate(expression, context, budget=budget), budget)


def _slice_of(budget: Budget) -> Budget:
    return replace(budget, seconds=SLICE.seconds, memory_bytes=min(budget.memory_bytes, SLICE.memory_bytes))


def _sources(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if _is_template(value):
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _sources(item)
    elif isinstance(value, list):
        for item in value:
            yield from _sources(item)


def _fits_slice(sources: list[str], *, expression: bool) -> bool:
    """Small sources whose compiled form has no loop, call or heavy operator; a bad one fails in the thread."""
    if sum(map(len, sources)) > _INLINE_SOURCE:
        return False
    try:
        return all(_compiled(source, expression=expression).inline for source in sources)
    except TemplateFailed:
        return False


async def _off_loop(work: Callable[[], T], budget: Budget) -> T:
    """`work()` in a thread of its own; the caller gets the time budget's error at the deadline plus a grace even
    if the thread has not stopped by then (it does: every loop and operation checks the render's clock).

    No thread is forced to stop: CPython's async-exception call (PyThreadState_SetAsyncExc) was tried, and left
    the interpreter's AST state broken (`ast.parse` failed with SystemError afterwards).
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)

    def target() -> None:
        try:
            result, error = work(), None
        except Exception as failure:  # handed to the awaiting coroutine
            result, error = None, failure
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop closed meanwhile: nobody waits for this render
            pass

    threading.Thread(target=target, name="template-render", daemon=True).start()
    try:
        return await asyncio.wait_for(asyncio.shield(done), budget.seconds + _GRACE)
    except TimeoutError:
        done.cancel()  # a late result is dropped
        raise time_over(budget) from None


# --- definition-time checks ------------------------------------------------------------------------------------


def template_error(source: str) -> str | None:
    """Why `source` does not parse as a template (too deep included), or None when it does."""
    if not _is_template(source):
        return None
    try:
        _compiled(source, expression=False)
    except TemplateFailed as error:
        return f"template {error}"
    return None


def expression_error(expression: str) -> str | None:
    """Why the expression does not parse (too deep included), or None when it does."""
    try:
        _compiled(expression, expression=True)
    except TemplateFailed as error:
        return f"expression {error}"
    return None


def syntax_errors(value: Any, field: str) -> list[tuple[str, str]]:
    """(field, message) for every string inside `value` that does not parse as a template."""
    if isinstance(value, str):
        error = template_error(value)
        return [(field, error)] if error else []
    if isinstance(value, Mapping):
        return [e for key, item in value.items() for e in syntax_errors(item, f"{field}.{key}")]
    if isinstance(value, list):
        return [e for index, item in enumerate(value) for e in syntax_errors(item, f"{field}.{index}")]
    return []


def has_template(value: Any) -> bool:
    return any(True for _ in _sources(value))


def check_template(source: str, *, field: str, names: Collection[str] | None = None) -> None:
    """Refuse (422 naming `field`) a template that does not parse or uses a top-level name outside `names`."""
    error = template_error(source)
    if error:
        raise ValidationFailed.field(field, error)
    if names is not None:
        unknown = sorted(meta.find_undeclared_variables(_ENV.parse(source)) - set(names))
        if unknown:
            known = ", ".join(sorted(names)) or "none"
            raise ValidationFailed.field(field, f"the template uses {', '.join(unknown)}; available: {known}")


_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$")


def resolve_references(value: Any, context: Mapping[str, Any]) -> Any:
    """Every string inside `value` that is one whole reference, `"{{ request.variables.x }}"`, becomes that value of
    `context` as it is (not as text; a missing path gives None); everything else stays as written.

    Not a template: nothing is evaluated, so it needs no budget. The ITSM-event triggers' inputs use it, keeping a
    request variable's number a number.
    """
    if isinstance(value, Mapping):
        return {key: resolve_references(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, context) for item in value]
    if isinstance(value, str) and (match := _REFERENCE.match(value)):
        current: Any = context
        for part in match.group(1).split("."):
            current = current.get(part) if isinstance(current, Mapping) else None
        return current
    return value
