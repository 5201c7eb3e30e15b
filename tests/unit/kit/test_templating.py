"""The one template sandbox: every stalling or expanding payload fails fast with the budget it broke, however
operations are chained; deep nesting is refused at parse; renders off the loop keep the loop free."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

from tenantplane.kit import templating
from tenantplane.kit.templating import (
    Budget,
    BudgetExceeded,
    TemplateFailed,
    evaluate,
    evaluate_async,
    expression_error,
    render,
    render_async,
    syntax_errors,
)

STRING = "string would be longer than 262,144 characters"
INTEGER = "integer would be larger than 4,096 bits"
ITEMS = "list would have more than 100,000 items"
TEXT = "as text would be longer than 1,048,576 characters"

EXPANDING = {
    # the payloads of the report
    "{{ (7 ** 6000000) % 2 }}": INTEGER,
    "{{ 'x'*10000*1000 }}": STRING,
    "{{ '%10000000s'|format('') }}": STRING,
    "{{ 'x'|center(10000000) }}": STRING,
    # chaining: each step is small, the chain is not
    "{{ ('x'*1000)*1000 }}": STRING,
    "{{ (2**64)**64 }}": INTEGER,
    "{{ 2**4096 }}": INTEGER,
    "{{ (2**2048) * (2**2048) }}": INTEGER,
    "{{ range(10**9)|list }}": ITEMS,
    "{{ [1]*100001 }}": ITEMS,
    "{{ ['x'*200000]*100000 }}": TEXT,
    "{{ ''.join(['x'*200000]*10) }}": TEXT,
    "{% set s = 'x'*200000 %}{{ {'a': s, 'b': s, 'c': s, 'd': s, 'e': s, 'f': s} }}": TEXT,
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}": STRING,
    "{% macro twice(s) %}{{ twice(s ~ s) }}{% endmacro %}{{ twice('x') }}": STRING,
    # widths of formatting, padding and wrapping
    "{{ '%s%10000000s'|format('a', 'b') }}": STRING,
    "{{ '%*s' % (10**8, 'x') }}": STRING,
    "{{ '%.10000000f' % 1.0 }}": STRING,
    "{{ '{:>10000000}'.format('x') }}": STRING,
    "{{ '{0:{1}}'.format('x', 10**7) }}": STRING,
    "{{ 'x'.ljust(10000000) }}": STRING,
    "{{ 'x'.rjust(10000000) }}": STRING,
    "{{ 'x'.zfill(10000000) }}": STRING,
    "{{ 'x'.center(10000000) }}": STRING,
    "{{ 'a\tb'.expandtabs(10000000) }}": STRING,
    "{{ 'a'|indent(10000000) }}": STRING,
    "{{ 'a'|wordwrap(10000000) }}": STRING,
    "{{ ('x'*200000)|replace('x', 'yy') }}": STRING,
    "{{ ('x'*200000).replace('', 'yy') }}": STRING,
    "{{ range(100000)|join('x'*100) }}": STRING,
    "{{ range(10)|batch(10**9, 0)|list }}": ITEMS,
    "{{ range(3)|slice(10**9)|list }}": ITEMS,
    "{{ [1, 2]|tojson(indent=10**7) }}": STRING,
    "{{ 5|round(-10**9) }}": INTEGER,
    "{{ 5.5|round(10**9, 'floor') }}": INTEGER,
    # the rendered text as a whole
    "{% for i in range(100000) %}{{ 'x'*100 }}{% endfor %}": "rendered text would be longer than 1,048,576 characters",
}


@pytest.mark.parametrize(("source", "budget"), list(EXPANDING.items()))
def test_an_expanding_template_fails_fast_naming_its_budget(source: str, budget: str) -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=budget):
        render({"value": source}, {})
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("{{ 'x'.translate({}) }}", r"str\.translate\(\) is not available"),
        ("{{ 1 .to_bytes(10**9, 'big') }}", r"int\.to_bytes\(\) is not available"),
        ("{{ (range(100)|batch(1)|list)|sum(start=[]) }}", "sum adds numbers"),
        ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
        ("{{ [].append(1) }}", "unsafe"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_what_could_run_for_long_in_one_call_is_not_available(source: str, refusal: str) -> None:
    with pytest.raises(TemplateFailed, match=refusal):
        render(source, {})


def test_a_template_that_loops_too_long_stops_at_its_deadline() -> None:
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=re.escape("template exceeded the 0.2 s render limit")):
        render(source, {}, budget=Budget(seconds=0.2))
    assert time.monotonic() - started < 0.5


def test_ordinary_templates_and_expressions_still_render() -> None:
    context = {"inputs": {"name": "web", "hosts": ["a", "b"], "n": 3}}
    source = (
        "{{ 'Hello %s'|format(inputs.name) }} {{ '{:>4}'.format(inputs.n) }} {{ inputs.hosts|join(',') }} "
        "{% for h in inputs.hosts %}[{{ loop.index }}:{{ h|upper }}]{% endfor %} {{ inputs.n ** 3 }} "
        "{% set ns = namespace(total=0) %}{% for i in range(4) %}{% set ns.total = ns.total + i %}{% endfor %}"
        "{{ ns.total }} {{ 'a,b'.split(',') }} {{ 'x' ~ inputs.n }} {{ 2 ** 4000 > 1 }}"
    )
    assert render(source, context) == "Hello web    3 a,b [1:A][2:B] 27 6 ['a', 'b'] x3 True"
    assert render({"keep": 1, "nested": ["{{ inputs.n * 2 }}"]}, context) == {"keep": 1, "nested": ["6"]}
    assert evaluate("inputs.n * 2 > 5 and 'we' in inputs.name", context) is True


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
        "{{ " + "[" * 65 + "]" * 65 + " }}",
        "{% if true %}" * 100 + "{% endif %}" * 100,
        "{{ " + "not " * 5000 + "true }}",
    ],
)
def test_a_template_nested_too_deep_is_refused_when_it_is_checked(source: str) -> None:
    [(field, message)] = syntax_errors({"body": source}, "config")
    assert field == "config.body"
    assert "nested deeper than 64 levels" in message
    with pytest.raises(TemplateFailed, match="nested deeper than 64 levels"):
        render(source, {})


def test_an_expression_nested_too_deep_is_refused_when_it_is_checked() -> None:
    assert "nested deeper than 64 levels" in (expression_error("(" * 5000 + "1" + ")" * 5000) or "")
    assert "nested deeper than 64 levels" in (expression_error("- " * 5000 + "1") or "")
    assert expression_error("(" * 60 + "1" + ")" * 60) is None
    assert "does not parse" in (expression_error("steps.x[") or "")


async def test_a_long_render_runs_off_the_event_loop_which_stays_responsive() -> None:
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(BudgetExceeded, match=re.escape("0.5 s render limit")):
        await render_async(source, {}, budget=Budget(seconds=0.5))
    with pytest.raises(BudgetExceeded, match=INTEGER):
        await evaluate_async("(7 ** 6000000) % 2 == 1", {})
    stop.set()
    await ticking
    assert len(gaps) > 20
    assert max(gaps) < 0.05, max(gaps)


async def test_small_templates_and_conditions_render_in_the_loops_slice_without_a_thread() -> None:
    threads = threading.active_count()
    assert await evaluate_async("inputs.n * 2 > 5", {"inputs": {"n": 3}}) is True
    assert await render_async({"a": "{{ inputs.n + 1 }}"}, {"inputs": {"n": 3}}) == {"a": "4"}
    assert threading.active_count() == threads
    assert await render_async("{% for i in range(3) %}{{ i }}{% endfor %}", {}) == "012"


async def test_the_caller_gets_the_time_error_even_from_a_thread_that_ignores_its_budget() -> None:
    ended = threading.Event()

    def overrun() -> str:  # pure Python that no budget check sees
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            pass
        ended.set()
        return "late"

    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=re.escape("0.1 s render limit")):
        await templating._off_loop(overrun, Budget(seconds=0.1))
    assert time.monotonic() - started < 1
    assert not ended.is_set()
    assert await asyncio.to_thread(ended.wait, 5)
