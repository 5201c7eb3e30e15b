"""Request and response shapes of the ITSM API (field names and status words of PRODUCT.md §4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tenantplane.approvals.schemas import FulfillmentRead
from tenantplane.kit.schemas import InputSchema, ReadSchema
from tenantplane.sla.schemas import ClockRead

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Level = Literal["low", "medium", "high"]


class FormVariableIn(InputSchema):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    label: Annotated[str, StringConstraints(max_length=200)] | None = None
    type: Annotated[str, StringConstraints(max_length=16)] = "string"
    required: bool = False
    choices: list[Annotated[str, StringConstraints(max_length=200)]] | None = Field(default=None, max_length=200)
    default: Any = None
    help: Annotated[str, StringConstraints(max_length=500)] | None = None


class CatalogItemIn(InputSchema):
    name: Name
    description: LongText = ""
    category: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "General"
    variables: list[FormVariableIn] = Field(default_factory=list, max_length=100)
    workflow_definition_id: uuid.UUID | None = None
    fulfillment_type: Literal["manual", "runbook", "workflow"] = "manual"
    fulfillment_config: dict[str, Any] = Field(default_factory=dict)
    fulfillment_group: uuid.UUID | None = Field(default=None, description="Group whose members fulfil manually")
    sla_policy_id: uuid.UUID | None = Field(default=None, description="The SLA policy its requests are held to")
    owner_group_id: uuid.UUID | None = Field(default=None, description="Group whose members own it (see its insights)")
    active: bool = True


class CatalogItemRead(ReadSchema):
    id: uuid.UUID
    name: str
    description: str
    category: str
    variables: list[dict[str, Any]]
    workflow_definition_id: uuid.UUID | None
    fulfillment_type: str
    fulfillment_config: dict[str, Any]
    fulfillment_group: uuid.UUID | None = Field(
        validation_alias=AliasChoices("fulfillment_group_id", "fulfillment_group")
    )
    sla_policy_id: uuid.UUID | None
    owner_group_id: uuid.UUID | None = None
    active: bool
    created_at: datetime
    updated_at: datetime


class RequestIn(InputSchema):
    catalog_item_id: uuid.UUID
    variables: dict[str, Any] = Field(default_factory=dict)
    requested_for: uuid.UUID | None = None
    justification: LongText = ""


class RecordEventRead(ReadSchema):
    kind: str
    actor_id: uuid.UUID | None
    message: str
    data: dict[str, Any]
    created_at: datetime


class RequestRead(ReadSchema):
    id: uuid.UUID
    number: str
    catalog_item_id: uuid.UUID
    requester_id: uuid.UUID
    requested_for: uuid.UUID = Field(validation_alias=AliasChoices("requested_for_id", "requested_for"))
    variables: dict[str, Any]
    justification: str
    status: str
    approval_instance_id: uuid.UUID | None
    fulfillment_execution_id: uuid.UUID | None
    fulfillment_note: str | None
    fulfillment: FulfillmentRead | None = Field(
        default=None, description="The fulfillment pinned at submit (null for requests submitted before pinning)"
    )
    sla: list[ClockRead] = Field(default_factory=list, description="Its SLA clocks (none without a policy)")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class RequestDetail(RequestRead):
    timeline: list[RecordEventRead]
    people: dict[uuid.UUID, str] = Field(
        default_factory=dict, description="Display names of everyone on the timeline and in its approval decisions"
    )


class CommentIn(InputSchema):
    comment: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


def _note_is_deprecated(schema: dict[str, Any]) -> None:
    """Show the deprecated alias in the OpenAPI document (pydantic lists only the first of AliasChoices)."""
    schema.setdefault("properties", {})["note"] = {
        "type": "string",
        "maxLength": 20_000,
        "deprecated": True,
        "description": "Deprecated alias of `comment`, accepted for one release; send `comment`.",
    }


class ActionIn(InputSchema):
    """The body of an action on a record. Its free text is `comment`, as for approve/reject; `note` is accepted
    as a deprecated alias until the next release (both given and different → 422 naming `comment`)."""

    model_config = ConfigDict(json_schema_extra=_note_is_deprecated)

    comment: LongText = Field(
        default="",
        validation_alias=AliasChoices("comment", "note"),
        description="Free text of the action, shown on the record's timeline",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_comment(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and "comment" in data and "note" in data):
            return data
        comment, note = data["comment"], data["note"]
        if isinstance(comment, str) and isinstance(note, str):
            comment, note = comment.strip(), note.strip()  # as the field itself strips them
        if comment != note:
            problem = PydanticCustomError(
                "comment_and_note_differ",
                "give the text once, as 'comment' ('note' is its deprecated alias); both were given and differ",
            )
            raise ValidationError.from_exception_data(
                cls.__name__, [InitErrorDetails(type=problem, loc=("comment",), input=data["note"])]
            )
        return {key: value for key, value in data.items() if key != "note"}


class FulfillIn(ActionIn):
    outcome: Literal["fulfilled", "fulfillment_failed"] = "fulfilled"


class ChangeIn(InputSchema):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    description: LongText = ""
    type: Literal["standard", "normal", "emergency"]
    risk: Level = "low"
    impact: Level = "low"
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    workflow_definition_id: uuid.UUID | None = None


class ChangeRead(ReadSchema):
    id: uuid.UUID
    number: str
    title: str
    description: str
    type: str
    risk: str
    impact: str
    planned_start: datetime | None
    planned_end: datetime | None
    workflow_definition_id: uuid.UUID | None
    requester_id: uuid.UUID
    status: str
    approval_instance_id: uuid.UUID | None
    outcome_note: str | None
    sla: list[ClockRead] = Field(default_factory=list, description="Its SLA clocks (none without a policy)")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ChangeDetail(ChangeRead):
    timeline: list[RecordEventRead]
    people: dict[uuid.UUID, str] = Field(
        default_factory=dict, description="Display names of everyone on the timeline and in its approval decisions"
    )


class OutcomeIn(ActionIn):
    """Start, complete, fail or cancel a change, with an optional comment."""
