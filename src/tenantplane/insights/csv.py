"""The `?format=csv` answer of an insights route: a header line with the row's field names, then one line per row.

Lists (a bottleneck's waiting requests) become their ids joined with `;`; nothing (null) is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Response
from pydantic import BaseModel

MEDIA_TYPE = "text/csv"
OPENAPI: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "JSON, or CSV (format=csv)"}
}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(getattr(v, "instance_id", v)) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def csv_response(rows: Sequence[BaseModel], model: type[BaseModel], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(model.model_fields)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in columns])
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Response(out.getvalue(), media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)
