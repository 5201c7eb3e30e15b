"""Registers approval gates with `actionlinks`: how their signed links are shown and decided.

Found by name (`tenantplane.<domain>.action_link_hooks`) before the first link is opened.
"""

from __future__ import annotations

from tenantplane.actionlinks.hooks import subject_kind
from tenantplane.automation.runs.gate_links import decide_by_gate_link, describe_gate
from tenantplane.automation.runs.gate_opening import GATE_LINKS

subject_kind(GATE_LINKS, describe=describe_gate, decide=decide_by_gate_link)
