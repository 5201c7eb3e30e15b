"""Block Kit of approval notices: the summary with Approve / Reject, the outcome once decided, the reject modal.

A button's `value` is the message's id: it names what is decided, never who decides (Slack's signed user does).
"""

from __future__ import annotations

from typing import Any

APPROVE, REJECT = "tenantplane_approve", "tenantplane_reject"
REJECT_VIEW = "tenantplane_reject_comment"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "comment_input"
MAX_TEXT = 2900  # a section's text holds 3000 characters


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_TEXT] or " "}}


def _summary(title: str, body: str, link: str | None) -> list[dict[str, Any]]:
    blocks = [_section(f"*{title}*"), _section(body)]
    if link:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Tenant Plane>"}]})
    return blocks


def outcome_text(outcome: dict[str, Any]) -> str:
    """`Approved by Ann: fine` — what the message shows once its subject is decided."""
    words = {"approved": "Approved", "rejected": "Rejected", "timed_out": "Timed out", "cancelled": "Cancelled"}
    text = words.get(str(outcome.get("status")), str(outcome.get("status", "Decided")).capitalize())
    if outcome.get("by"):
        text += f" by {outcome['by']}"
    if outcome.get("comment"):
        text += f": {outcome['comment']}"
    return text


def notice_blocks(
    message_id: str, title: str, body: str, link: str | None, outcome: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The DM: summary, then the buttons while it is open, or the outcome once decided."""
    blocks = _summary(title, body, link)
    if outcome is not None:
        blocks.append(_section(f":white_check_mark: {outcome_text(outcome)}"))
        return blocks
    blocks.append(
        {
            "type": "actions",
            "block_id": "decision",
            "elements": [
                _button("Approve", APPROVE, message_id, "primary"),
                _button("Reject", REJECT, message_id, "danger"),
            ],
        }
    )
    return blocks


def _button(label: str, action_id: str, value: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
        "style": style,
    }


def reject_modal(message_id: str, title: str) -> dict[str, Any]:
    """The modal Reject opens: a required comment; its submission (view_submission) decides."""
    return {
        "type": "modal",
        "callback_id": REJECT_VIEW,
        "private_metadata": message_id,
        "title": {"type": "plain_text", "text": "Reject"},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(title),
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "label": {"type": "plain_text", "text": "Why do you reject it?"},
                "element": {"type": "plain_text_input", "action_id": COMMENT_INPUT, "multiline": True},
            },
        ],
    }
