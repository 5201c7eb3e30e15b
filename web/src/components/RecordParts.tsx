// Pieces every ITSM record page shares: the status badge, the submitted variables and the timeline.
import { useCurrentUser } from "../app/session";
import { UserName } from "./UserPicker";
import { Badge, DateTime } from "./Page";
import type { RecordEvent } from "../api/itsm";
import { statusLabel, statusTone } from "./status";
import { displayValue, type FormVariable } from "./forms";

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTone(status)}>{statusLabel(status)}</Badge>;
}

/** The request's values, labelled from the item's form when known. */
export function VariableList({ values, form = [] }: { values: Record<string, unknown>; form?: readonly FormVariable[] }) {
  const names = Object.keys(values);
  if (!names.length) return <p className="muted">No form values.</p>;
  const labels = new Map(form.map((v) => [v.name, v.label]));
  return (
    <dl className="facts">
      {names.map((name) => (
        <div key={name} style={{ display: "contents" }}>
          <dt>{labels.get(name) ?? name}</dt>
          <dd>{displayValue(values[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Names a user from an id when the viewer may read users; otherwise a short id. */
/** A person by name: "you", the name the record's API answer carries (`people`), or looked up when allowed. */
export function Person({ id, canReadUsers, name }: { id: string | null | undefined; canReadUsers: boolean; name?: string | undefined }) {
  const me = useCurrentUser();
  if (!id) return <span className="muted">system</span>;
  if (id === me.id) return <>you</>;
  if (name) return <>{name}</>;
  return canReadUsers ? <UserName id={id} /> : <span className="mono">{id.slice(0, 8)}</span>;
}

const KIND_LABELS: Record<string, string> = {
  submitted: "Submitted",
  comment: "Comment",
  approved: "Approved",
  rejected: "Rejected",
  cancelled: "Cancelled",
  fulfilled: "Fulfilled",
  fulfillment_failed: "Fulfillment failed",
  approval_started: "Approval started",
  no_approval: "No approval needed",
  in_fulfillment: "In fulfillment",
  awaiting_fulfiller: "Awaiting a fulfiller",
  awaiting_requester: "Awaiting the requester",
  fulfillment_started: "Fulfillment run started",
  step_approved: "Step approved",
  step_rejected: "Step rejected",
};

/** An approval decision shown on a record's timeline (from the approval instance's step results). */
export interface DecisionEntry {
  step: string;
  outcome: string;
  user_id: string;
  comment: string | null | undefined;
  at: string;
}

/** Record events and approval decisions in one list, oldest first. */
export function mergeTimeline(events: readonly RecordEvent[], decisions: readonly DecisionEntry[]): RecordEvent[] {
  const asEvents: RecordEvent[] = decisions.map((d) => ({
    kind: `step_${d.outcome}`,
    actor_id: d.user_id,
    message: `${d.step}: ${d.outcome}${d.comment ? ` — “${d.comment}”` : ""}`,
    data: {},
    created_at: d.at,
  }));
  return [...events, ...asEvents].sort((a, b) => a.created_at.localeCompare(b.created_at));
}

export function Timeline({
  events,
  canReadUsers,
  selfId,
  people = {},
}: {
  events: readonly RecordEvent[];
  canReadUsers: boolean;
  selfId: string;
  people?: Readonly<Record<string, string>>;
}) {
  if (!events.length) return <p className="muted">Nothing has happened yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {events.map((event, index) => (
        <li key={`${event.created_at}-${index}`} className="timeline-entry" data-kind={event.kind}>
          <p>
            <strong>{KIND_LABELS[event.kind] ?? statusLabel(event.kind)}</strong>
            {" · "}
            {event.actor_id === selfId ? "you" : <Person id={event.actor_id} canReadUsers={canReadUsers} name={event.actor_id ? people[event.actor_id] : undefined} />}
            {" · "}
            <DateTime value={event.created_at} />
          </p>
          {event.message ? <p className="timeline-message">{event.message}</p> : null}
        </li>
      ))}
    </ol>
  );
}
