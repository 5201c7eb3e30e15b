"""Who did something, as the audit log and other low layers see it: a kind, an id, a label and a tenant.

`identity.auth.Principal` is one; the protocol lets the audit log record actors without importing identity.
"""

from __future__ import annotations

import uuid
from typing import Protocol


class Actor(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def label(self) -> str: ...

    @property
    def tenant_id(self) -> uuid.UUID | None: ...
