"""Block Kit of Slack approval notices: buttons while open, the outcome once decided, the reject modal."""

from __future__ import annotations

from tenantplane.notifications.slack.blocks import APPROVE, REJECT, notice_blocks, outcome_text, reject_modal


def _actions(blocks: list[dict[str, object]]) -> list[tuple[object, object]]:
    found = []
    for block in blocks:
        for element in block.get("elements", []):  # type: ignore[attr-defined]
            if "action_id" in element:
                found.append((element["action_id"], element["value"]))
    return found


def test_an_open_notice_has_approve_and_reject_naming_the_message_only() -> None:
    blocks = notice_blocks("m-1", "Approval needed: REQ1", "Record: Laptop", "https://plane.example/a/1", None)
    assert _actions(blocks) == [(APPROVE, "m-1"), (REJECT, "m-1")]
    assert "<https://plane.example/a/1|Open in Tenant Plane>" in str(blocks)


def test_a_decided_notice_shows_the_outcome_instead_of_the_buttons() -> None:
    outcome = {"status": "rejected", "by": "ann@example.com", "comment": "too dear"}
    blocks = notice_blocks("m-1", "Approval needed", "x" * 5000, None, outcome)
    assert _actions(blocks) == []
    assert "Rejected by ann@example.com: too dear" in str(blocks)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert outcome_text({"status": "timed_out"}) == "Timed out"


def test_the_reject_modal_asks_for_a_comment_and_carries_the_message() -> None:
    modal = reject_modal("m-9", "Approval needed: REQ9")
    assert (modal["callback_id"], modal["private_metadata"]) == ("tenantplane_reject_comment", "m-9")
    assert modal["blocks"][1]["element"]["type"] == "plain_text_input"
