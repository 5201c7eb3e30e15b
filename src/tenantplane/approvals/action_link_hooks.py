"""Registers ITSM approval steps with `actionlinks`: how their signed links are shown and decided.

Found by name (`tenantplane.<domain>.action_link_hooks`) before the first link is opened.
"""

from __future__ import annotations

from tenantplane.actionlinks.hooks import subject_kind
from tenantplane.approvals.action_links import SUBJECT, decide_by_step_link, describe_step

subject_kind(SUBJECT, describe=describe_step, decide=decide_by_step_link)
