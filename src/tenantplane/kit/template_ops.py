"""The sandbox's operators, filters and methods, each refusing before it computes a value over its budget.

Sizes are estimated from the operands (`'x' * n` is len * n characters, `a ** b` about bits(a) * b bits), so
`(7 ** 6000000) % 2` or `'%10000000s' | format('')` fail in microseconds instead of running for seconds.
"""

from __future__ import annotations

import functools
import operator
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import Environment, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS, make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.sandbox import SandboxedFormatter

from tenantplane.kit.template_budget import Run, current, int_over, string_over, text_size

BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "**": operator.pow,
    "%": operator.mod,
}
UNOPS: dict[str, Callable[[Any], Any]] = {"+": operator.pos, "-": operator.neg}
_SEQUENCE = (str, list, tuple)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def binop(op: str, left: Any, right: Any) -> Any:
    run = current()
    run.tick()
    if op == "*":
        _check_multiply(run, left, right)
    elif op == "**":
        _check_power(run, left, right)
    elif op == "+":
        _check_add(run, left, right)
    elif op == "%" and isinstance(left, str):
        return run.account(percent_format(run, left, right))
    return run.account(BINOPS[op](left, right))


def unop(op: str, value: Any) -> Any:
    run = current()
    run.tick()
    return run.account(UNOPS[op](value))


def _check_multiply(run: Run, left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() - 1 > run.budget.int_bits:
            raise int_over(run.budget)
        return
    sequence, times = (left, right) if isinstance(left, _SEQUENCE) else (right, left)
    if isinstance(sequence, _SEQUENCE) and _is_int(times) and times > 1:
        _check_repeat(run, sequence, times)


def _check_repeat(run: Run, sequence: str | list[Any] | tuple[Any, ...], times: int) -> None:
    if isinstance(sequence, str):
        run.string(len(sequence) * times)
        return
    run.count(len(sequence) * times)
    if text_size(sequence, run.budget.text_chars) * times > run.budget.text_chars:
        run.text_of([sequence] * min(times, run.budget.items))  # raises the text budget's error


def _check_power(run: Run, base: Any, exponent: Any) -> None:
    if not (_is_int(base) and _is_int(exponent)) or exponent <= 1 or abs(base) <= 1:
        return  # floats overflow with an error at once; a negative exponent gives a float
    # A lower bound of the result's bits: over the cap means surely over; under it, the power is cheap.
    if (abs(base).bit_length() - 1) * exponent + 1 > run.budget.int_bits:
        raise int_over(run.budget)


def _check_add(run: Run, left: Any, right: Any) -> None:
    if isinstance(left, str) and isinstance(right, str):
        run.string(len(left) + len(right))
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
        run.count(len(left) + len(right))
        run.text_of([left, right])


# --- printf-style and str.format formatting ------------------------------------------------------------------

_CONVERSION = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?(?P<type>[a-zA-Z%])"
)


def percent_format(run: Run, template: str, args: Any) -> str:
    """`template % args`, refused first when its widths, precisions and values would make it too long."""
    values = list(args) if isinstance(args, tuple) else [args]
    mapping = args if isinstance(args, Mapping) else None
    total, position = len(template), 0
    for match in _CONVERSION.finditer(template):
        if match["type"] == "%":
            continue
        for part in ("width", "precision"):
            spec = match[part]
            if spec == "*":
                star = values[position] if position < len(values) else 0
                position += 1
                total += _width(run, str(abs(star)) if _is_int(star) else "0")
            elif spec:
                total += _width(run, spec)
        if mapping is not None and match["key"] is not None:
            value = mapping.get(match["key"])
        elif position < len(values):
            value, position = values[position], position + 1
        else:
            value = None
        total += text_size(value, run.budget.string_chars)
        run.string(total)
    text: str = template % args
    return text


def _width(run: Run, digits: str) -> int:
    if len(digits) > 9 or int(digits) > run.budget.string_chars:
        raise string_over(run.budget)
    return int(digits)


class BudgetFormatter(SandboxedFormatter):
    """`str.format` with each field's width and size counted against the string budget."""

    def __init__(self, env: Environment, run: Run) -> None:
        super().__init__(env)
        self.run, self.total = run, 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        widths = [_width(self.run, digits) for digits in re.findall(r"\d+", format_spec)]
        self.total += max(widths, default=0) + text_size(value, self.run.budget.string_chars)
        self.run.string(self.total)
        return super().format_field(value, format_spec)


# --- methods of built-in values --------------------------------------------------------------------------------

_STR_METHODS = frozenset(
    "capitalize casefold count endswith find index isalnum isalpha isascii isdecimal isdigit isidentifier islower "
    "isnumeric isprintable isspace istitle isupper lower lstrip partition removeprefix removesuffix rfind rindex "
    "rpartition rsplit rstrip split splitlines startswith strip swapcase title upper "
    "center ljust rjust zfill expandtabs replace join".split()
)
_METHODS: Mapping[type, frozenset[str]] = {
    str: _STR_METHODS,
    dict: frozenset({"get", "items", "keys", "values", "copy"}),
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    int: frozenset({"bit_length", "bit_count", "conjugate", "as_integer_ratio"}),
    float: frozenset({"is_integer", "as_integer_ratio", "conjugate", "hex"}),
    bool: frozenset(),
    set: frozenset({"isdisjoint", "issubset", "issuperset"}),
    frozenset: frozenset({"isdisjoint", "issubset", "issuperset"}),
}


def is_value_method(obj: Any) -> bool:
    """A method of a built-in value (`'a'.upper`), or any other built-in function: called through `call_method`."""
    return isinstance(obj, types.BuiltinMethodType)


def call_method(run: Run, method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A built-in value's method: refused unless listed above (fail closed), sized first where it can grow."""
    owner = getattr(method, "__self__", None)
    name = getattr(method, "__name__", "?")
    if type(owner) not in _METHODS or name not in _METHODS[type(owner)]:
        raise SecurityError(f"{type(owner).__name__}.{name}() is not available in templates")
    if isinstance(owner, str):
        if name == "join":
            return _join(run, owner, args[0] if args else kwargs.get("iterable", ()), convert=False)
        _check_str_method(run, owner, name, args, kwargs)
    return run.account(method(*args, **kwargs))


def _check_str_method(run: Run, text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if _is_int(width):
            run.string(width)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if _is_int(size):
            run.string(len(text) + text.count("\t") * max(size, 0))
    elif name == "replace":
        _check_replace(run, text, *args, **kwargs)


def _check_replace(run: Run, text: str, old: Any = "", new: Any = "", count: Any = -1) -> None:
    if not (isinstance(old, str) and isinstance(new, str)):
        return
    found = text.count(old) if old else len(text) + 1
    if _is_int(count) and count >= 0:
        found = min(found, count)
    run.string(len(text) + found * max(len(new) - len(old), 0))


def _join(run: Run, separator: str, iterable: Iterable[Any], *, convert: bool) -> str:
    parts = list(_guarded(iterable))
    run.count(len(parts))
    sizes = sum(len(p) if isinstance(p, str) else text_size(p, run.budget.string_chars) for p in parts)
    run.string(sizes + len(separator) * max(len(parts) - 1, 0))
    if convert:
        parts = [p if isinstance(p, str) else str(p) for p in parts]
    return run.account(separator.join(parts))  # type: ignore[no-any-return]


# --- filters ---------------------------------------------------------------------------------------------------


def _checked_filter(func: Callable[..., Any], check: Callable[..., None] | None) -> Callable[..., Any]:
    passes_first = getattr(func, "jinja_pass_arg", None) is not None

    @functools.wraps(func)
    def filter_(*args: Any, **kwargs: Any) -> Any:
        run = current()
        run.tick()
        if check is not None:
            check(run, *(args[1:] if passes_first else args), **kwargs)
        return run.account(func(*args, **kwargs))

    return filter_


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, key: str, default: Any) -> Any:
    return args[position] if len(args) > position else kwargs.get(key, default)


def _check_center(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    width = _arg(args, kwargs, 0, "width", 80)
    if _is_int(width):
        run.string(width)


def _check_indent(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    width = _arg(args, kwargs, 0, "width", 4)
    size = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    run.string(size)
    run.string(len(str(value)) + (str(value).count("\n") + 1) * size)


def _count_check(key: str) -> Callable[..., None]:
    def check(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
        count = _arg(args, kwargs, 0, key, 1)
        if _is_int(count):
            run.count(count)

    return check


def _check_round(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    precision = _arg(args, kwargs, 0, "precision", 0)
    if _is_int(precision) and abs(precision) * 3322 // 1000 > run.budget.int_bits:  # 10 ** precision
        raise int_over(run.budget)


def _check_sum(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    start = _arg(args, kwargs, 1, "start", 0)
    if not isinstance(start, int | float):  # sum(start=[]) would join lists in one quadratic C call
        raise SecurityError("sum adds numbers; start must be a number")


def _check_text(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    run.text_of(value, "value")


def _check_json(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    size = run.text_of(value, "value")
    indent = _arg(args, kwargs, 0, "indent", None)
    if _is_int(indent):  # every nested line is indented again
        run.string(size * (1 + max(indent, 0)))


def _check_replace_filter(run: Run, value: Any, old: Any = "", new: Any = "", count: Any = None) -> None:
    _check_replace(run, str(value), old, new, -1 if count is None else count)


def _check_wordwrap(run: Run, value: Any, *args: Any, **kwargs: Any) -> None:
    width = _arg(args, kwargs, 0, "width", 79)
    wrapstring = _arg(args, kwargs, 2, "wrapstring", None)
    if _is_int(width):
        run.string(width)
        breaks = len(str(value)) // max(width, 1) + 1
        run.string(len(str(value)) + breaks * len(wrapstring if isinstance(wrapstring, str) else "\n"))


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    """The `format` filter (`'%s' | format(x)`) through the same width checks as the `%` operator."""
    if args and kwargs:
        raise SecurityError("format takes positional or keyword arguments, not both")
    return percent_format(current(), str(value), kwargs or args)


@pass_eval_context
def _join_filter(eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items: Iterable[Any] = value
    if attribute is not None:
        items = map(make_attrgetter(eval_ctx.environment, attribute), value)
    return _join(current(), str(d), items, convert=True)


def _guarded(items: Iterable[Any]) -> Iterator[Any]:
    run = current()
    for item in items:
        run.tick()
        yield item


_CHECKS: Mapping[str, Callable[..., None]] = {
    "center": _check_center,
    "indent": _check_indent,
    "batch": _count_check("linecount"),
    "slice": _count_check("slices"),
    "round": _check_round,
    "sum": _check_sum,
    "wordwrap": _check_wordwrap,
    "replace": _check_replace_filter,
    "string": _check_text,
    "tojson": _check_json,
    "pprint": _check_text,
    "xmlattr": _check_text,
    "urlencode": _check_text,
}
# `urlize` is HTML-only and regex-heavy, so it is left out; the rest are Jinja's, wrapped with the checks above.
_LEFT_OUT = frozenset({"urlize"})


def budget_filters() -> dict[str, Callable[..., Any]]:
    filters = {name: func for name, func in FILTERS.items() if name not in _LEFT_OUT}
    filters["format"] = _format
    filters["join"] = _join_filter
    return {name: _checked_filter(func, _CHECKS.get(name)) for name, func in filters.items()}


def budget_range(*args: int) -> range:
    """`range` with at most the item budget (a loop over it is ticked like any other)."""
    run = current()
    numbers = range(*args)
    try:
        run.count(len(numbers))
    except OverflowError:
        run.count(run.budget.items + 1)
    return numbers


def loop_guard(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every `{% for %}` iterates: the items, with the render's clock checked at each one."""
    return _guarded(iterable)


def concat(parts: Iterable[Any]) -> str:
    """The `~` operator and every block buffer: the joined text, refused first when too long."""
    run = current()
    items = parts if isinstance(parts, list | tuple) else list(parts)
    sizes = 0
    for part in items:
        sizes += len(part) if isinstance(part, str) else run.text_of(part, "value")
    run.string(sizes)
    return run.account("".join(p if isinstance(p, str) else str(p) for p in items))  # type: ignore[no-any-return]


def built(value: Any) -> Any:
    """A list or object literal: the same caps as a list an operator builds (`[big, big, ...]` included)."""
    return current().account(value)


def finalize(value: Any) -> Any:
    """Every `{{ }}` output: a list or object printed is refused first when its text would be too long."""
    if not isinstance(value, str | int | float):
        current().text_of(value, "value")
    return value
