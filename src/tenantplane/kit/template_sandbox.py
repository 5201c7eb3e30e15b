"""The product's Jinja2 environment: the immutable sandbox with every operator, call, filter, loop and output
routed through the budget checks of `template_ops`; `guard` rewrites what the sandbox cannot intercept.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from functools import update_wrapper
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from tenantplane.kit import template_ops as ops
from tenantplane.kit.template_budget import current


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


def guard(tree: nodes.Template, environment: BudgetSandbox) -> nodes.Template:
    """`tree` with loops, `~` and literals routed through the budget's filters, ready to compile."""
    guarded: nodes.Template = _Guards().visit(tree)
    guarded.set_environment(environment)
    return guarded
