"""The bounded tenant label of /metrics: the top N names by a figure keep their name, the rest add up under _other
(tenant slugs cannot contain `_`, so `_other` is never a tenant)."""

from __future__ import annotations

from tenantplane.metrics.families import top_n

ROWS = [("a", "itsm", 1.0), ("b", "itsm", 5.0), ("b", "automation", 1.0), ("c", "itsm", 3.0), ("d", "automation", 2.0)]


def test_the_top_names_by_their_total_keep_their_name_and_the_rest_add_up_per_kind() -> None:
    assert top_n(ROWS, n=2, combine=sum) == [
        ("_other", "automation", 2.0),
        ("_other", "itsm", 1.0),
        ("b", "automation", 1.0),
        ("b", "itsm", 5.0),
        ("c", "itsm", 3.0),
    ]


def test_ages_rank_and_combine_by_the_oldest() -> None:
    assert top_n(ROWS, n=1, combine=max) == [
        ("_other", "automation", 2.0),
        ("_other", "itsm", 3.0),
        ("b", "automation", 1.0),
        ("b", "itsm", 5.0),
    ]


def test_ties_go_to_the_name_first_in_order_and_no_names_fits_under_zero() -> None:
    tied = [("y", "itsm", 1.0), ("x", "itsm", 1.0)]
    assert top_n(tied, n=1, combine=sum) == [("_other", "itsm", 1.0), ("x", "itsm", 1.0)]
    assert top_n(tied, n=0, combine=sum) == [("_other", "itsm", 2.0)]
    assert top_n([], n=5, combine=sum) == []
