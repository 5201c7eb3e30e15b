"""Microsoft Teams: a notice as an Adaptive Card for a Teams workflow webhook, with its signed links as buttons.

The workflow ("When a Teams webhook request is received" → "Post card in a chat or channel") posts the card as sent.
"""

from __future__ import annotations

from typing import Any

from tenantplane.notifications.actions import Action

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def _open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def adaptive_card(
    *, subject: str, body: str, link: str | None, actions: tuple[Action, ...], recipient: str
) -> dict[str, Any]:
    """The message a Teams workflow webhook expects: one attachment holding the Adaptive Card.

    Each button opens a confirmation page (a signed link decides nothing until its page's button is pressed)."""
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": body, "wrap": True},
    ]
    if actions:
        blocks.append({"type": "TextBlock", "text": f"For {recipient}", "isSubtle": True, "wrap": True})
    buttons = [_open_url(action.label, action.url) for action in actions]
    if link:
        buttons.append(_open_url("Open in Tenant Plane", link))
    card = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION, "body": blocks, "actions": buttons}
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
