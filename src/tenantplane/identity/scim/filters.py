"""SCIM filters (RFC 7644 §3.4.2.2) as SQL: scim2-models parses, this module translates its tree to a WHERE clause.

Supported: `and`, `or`, `not (...)`, grouping, `pr`, and `eq ne co sw ew` on the attributes below. String
comparisons are case-insensitive where SCIM says the attribute is (userName, emails, displayName); ids and
externalId compare exactly. Anything else is an invalidFilter error naming what is not supported.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from sqlalchemy import Boolean, ColumnElement, and_, false, func, not_, or_, true

from tenantplane.identity.models import Group as GroupRow
from tenantplane.identity.models import User as UserRow
from tenantplane.identity.scim.resources import GroupModel, UserModel

# SCIM attribute (lower case) → our column.
USER_ATTRIBUTES: Mapping[str, Any] = {
    "username": func.coalesce(UserRow.user_name, UserRow.email),
    "externalid": UserRow.external_id,
    "displayname": UserRow.display_name,
    "id": UserRow.id,
    "emails.value": UserRow.email,
    "emails": UserRow.email,
    "active": UserRow.is_active,
}
GROUP_ATTRIBUTES: Mapping[str, Any] = {
    "displayname": GroupRow.name,
    "externalid": GroupRow.external_id,
    "id": GroupRow.id,
}
_CASE_EXACT = frozenset({"externalid", "id"})
_IDS = frozenset({"id"})
_BOOLEANS = frozenset({"active"})
_OPERATORS = "eq, ne, co, sw, ew, pr, and, or, not"


def filter_clause(expression: str | None, *, groups: bool) -> ColumnElement[bool] | None:
    """The WHERE clause of a SCIM filter over users (or groups); None for no filter; invalidFilter when unsupported."""
    if not expression:
        return None
    model = GroupModel if groups else UserModel
    try:
        node = ScimFilter[model](expression).ast  # type: ignore[valid-type]
    except InvalidFilterException:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidFilterException(detail=str(exc)) from None
    return _clause(node, GROUP_ATTRIBUTES if groups else USER_ATTRIBUTES)


def _clause(node: FilterNode, columns: Mapping[str, Any]) -> ColumnElement[bool]:
    if isinstance(node, LogicalExpr):
        terms = [_clause(term, columns) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)
    if isinstance(node, Not):
        return not_(_clause(node.expr, columns))
    if isinstance(node, Present):
        key, column = _column(node, columns)
        if key in _BOOLEANS or key in _IDS:
            return true()
        return and_(column.is_not(None), column != "")
    if isinstance(node, Comparison):
        return _comparison(node, columns)
    raise InvalidFilterException(detail=f"unsupported filter expression; supported: {_OPERATORS}")


def _column(node: Comparison | Present, columns: Mapping[str, Any]) -> tuple[str, Any]:
    path = node.attr_path
    key = (path.attr + (f".{path.sub_attr}" if path.sub_attr else "")).lower()
    column = columns.get(key)
    if column is None:
        raise InvalidFilterException(detail=f"cannot filter on '{key}'; supported: {', '.join(columns)}")
    return key, column


def _comparison(node: Comparison, columns: Mapping[str, Any]) -> ColumnElement[bool]:
    key, column = _column(node, columns)
    op = node.op
    if op not in (CompareOperator.eq, CompareOperator.ne, CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        raise InvalidFilterException(detail=f"operator '{op}' is not supported; supported: {_OPERATORS}")
    if key in _BOOLEANS:
        if not isinstance(node.value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=f"'{key}' compares with eq or ne against true or false")
        matched: ColumnElement[bool] = column.is_(node.value) if op == CompareOperator.eq else column.is_not(node.value)
        return matched
    value = "" if node.value is None else str(node.value)
    if key in _IDS:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="'id' compares with eq or ne")
        try:
            wanted = uuid.UUID(value)
        except ValueError:
            return false() if op == CompareOperator.eq else true()
        same: ColumnElement[bool] = column == wanted if op == CompareOperator.eq else column != wanted
        return same
    if key not in _CASE_EXACT:
        column, value = func.lower(column), value.lower()
    return _string_match(column, op, value)


def _string_match(column: Any, op: CompareOperator, value: str) -> ColumnElement[bool]:
    if op == CompareOperator.eq:
        return column == value  # type: ignore[no-any-return]
    if op == CompareOperator.ne:
        return column.is_distinct_from(value)  # type: ignore[no-any-return]
    pattern = _escape_like(value)
    if op == CompareOperator.co:
        pattern = f"%{pattern}%"
    elif op == CompareOperator.sw:
        pattern = f"{pattern}%"
    else:
        pattern = f"%{pattern}"
    matched: ColumnElement[Boolean] = column.like(pattern, escape="\\")
    return matched  # type: ignore[return-value]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
