"""One sandbox for every template and expression in the product: Jinja2's immutable sandbox, with budgets.

Runbook configs, workflow conditions, edges and templates, notification messages and ITSM fulfillment all
render here. Every operator, filter, method call, loop and output is checked against a `Budget`
(`template_ops`), so no single operation is long and a render stops at its deadline by itself; parsing refuses
nesting deeper than the budget. `render_async` / `evaluate_async` keep the event loop free: a small template
gets a 2 ms slice on the loop (most are done in microseconds), anything else renders in a thread of its own.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import threading
import types
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import update_wrapper
from typing import Any, TypeVar

from jinja2 import StrictUndefined, Template, TemplateError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from tenantplane.kit import template_ops as ops
from tenantplane.kit.errors import ValidationFailed
from tenantplane.kit.template_budget import (
    DEFAULT,
    SLICE,
    Budget,
    BudgetExceeded,
    Run,
    SliceExhausted,
    TemplateFailed,
    current,
    enter,
    leave,
    time_over,
)

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
_GRACE = 0.25  # past its own deadline, a render thread that has not stopped is interrupted


class BudgetSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with every operator, call, filter, loop and output checked by `template_ops`."""

    intercepted_binops = frozenset(ops.BINOPS)
    intercepted_unops = frozenset(ops.UNOPS)
    concat = staticmethod(ops.concat)  # every block buffer (macros, `{% set %}` blocks, filter blocks)

    def __init__(self) -> None:
        # optimized=False: nothing is evaluated while compiling, everything at render time under the budget.
        super().__init__(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=ops.finalize,
            optimized=False,
        )
        self.filters = ops.budget_filters()
        self.filters.update(_loop_guard=_loop_guard, _concat=_concat, _built=_built)
        self.globals["range"] = ops.budget_range
        del self.globals["lipsum"]  # lipsum(n) loops n times in one call

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return ops.binop(operator, left, right)

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        return ops.unop(operator, arg)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        run = current()
        run.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{__obj!r} is not safely callable")
        if ops.is_value_method(__obj):
            return ops.call_method(run, __obj, args, kwargs)
        return run.account(__context.call(__obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`'{:>9}'.format(x)` through the budget's formatter (Jinja's own, plus width and size checks)."""
        if not isinstance(value, types.BuiltinMethodType) or value.__name__ not in ("format", "format_map"):
            return None
        owner = value.__self__
        if not isinstance(owner, str):
            return None
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            run = current()
            run.tick()
            text: str = run.account(ops.BudgetFormatter(self, run).vformat(owner, args, kwargs))
            return text

        return update_wrapper(wrapper, value)


@pass_context
def _loop_guard(context: Context, iterable: Iterable[Any]) -> Any:
    return ops.loop_guard(iterable)


@pass_context
def _concat(context: Context, parts: list[Any]) -> str:
    return ops.concat(parts)


@pass_context
def _built(context: Context, value: Any) -> Any:
    return ops.built(value)


def _filter(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


class _Guards(NodeTransformer):
    """Routes what the sandbox cannot intercept through checked filters: loops, `~`, list and object literals."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, "_loop_guard")  # type: ignore[arg-type]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _filter(nodes.List(node.nodes, lineno=node.lineno), "_concat")

    def visit_List(self, node: nodes.List) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, "_built")

    visit_Dict = visit_List

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, "_built") if node.ctx == "load" else node


_ENV = BudgetSandbox()
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "autoescape", "block"})
# Steps of an event-loop render: no loop, call, macro or heavy operator, only cheap filters.
_CHEAP_FILTERS = frozenset(
    "default d int float string length count lower upper trim first last capitalize title abs round e escape "
    "_concat _built".split()
)
_HEAVY = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Call, nodes.FilterBlock, nodes.Mul, nodes.Pow)
_HEAVIER = (nodes.Mod, nodes.Div, nodes.FloorDiv, nodes.Slice, nodes.AssignBlock, nodes.With)


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
    guarded = _Guards().visit(tree)
    guarded.set_environment(_ENV)
    inline = not any(isinstance(n, _HEAVY + _HEAVIER) for n in guarded.find_all(nodes.Node)) and all(
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
    return _within(Run(budget), lambda run: _render_value(value, context, run))


def evaluate(expression: str, context: Mapping[str, Any], *, budget: Budget = DEFAULT) -> bool:
    """The truth of `expression` over `context`, in this thread; TemplateFailed when it cannot be evaluated."""
    return _within(Run(budget), lambda run: _evaluate_now(expression, context, run))


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
    return Budget(**{**budget.__dict__, "seconds": SLICE.seconds, "memory_bytes": SLICE.memory_bytes})


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


class RenderInterrupted(BaseException):
    """Raised inside a render thread that outlived its deadline (a backstop: the budget stops renders itself)."""


async def _off_loop(work: Callable[[], T], budget: Budget) -> T:
    """`work()` in a thread of its own; past the deadline (plus a grace) the caller gets the time budget's error
    and the thread is interrupted. One thread per render, so an interruption can never hit another render."""
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
        except BaseException as failure:  # handed to the awaiting coroutine, RenderInterrupted included
            result, error = None, failure
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop closed meanwhile: nobody waits for this render
            pass

    thread = threading.Thread(target=target, name="template-render", daemon=True)
    thread.start()
    try:
        return await asyncio.wait_for(asyncio.shield(done), budget.seconds + _GRACE)
    except TimeoutError:
        _interrupt(thread)
        raise time_over(budget) from None


def _interrupt(thread: threading.Thread) -> None:
    """Raise RenderInterrupted in `thread` at its next bytecode (CPython's documented async-exception call)."""
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(RenderInterrupted))


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
