// The triggers of a workflow as a table: kind, what starts the workflow, next and last fire, owner, an enabled
// switch, and Edit and Delete.
import { usePermission } from "../../../app/session";
import { DateTime } from "../../../components/Page";
import { Person } from "../../../components/RecordParts";
import type { Trigger } from "./api";
import { KIND_LABELS, type TriggerKind, triggerSummary } from "./format";

interface RowActions {
  /** The trigger whose switch is being flipped (its switch is disabled meanwhile). */
  toggling: string | undefined;
  onToggle: (trigger: Trigger) => void;
  onEdit: (trigger: Trigger) => void;
  onDelete: (trigger: Trigger) => void;
}

function TriggerRow({ trigger, summary, canReadUsers, actions }: { trigger: Trigger; summary: string; canReadUsers: boolean; actions: RowActions }) {
  const inputs = trigger.config.inputs as Record<string, unknown> | undefined;
  return (
    <tr aria-label={`${KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}: ${summary}`}>
      <td data-label="Kind">{KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}</td>
      <td data-label="Starts the workflow">
        <span className="cell-title">{summary}</span>
        {inputs && Object.keys(inputs).length ? <code className="muted cell-sub">inputs {JSON.stringify(inputs)}</code> : null}
      </td>
      <td data-label="Next fire">
        {trigger.kind === "schedule" ? (
          trigger.enabled ? (
            <DateTime value={trigger.next_fire_at} />
          ) : (
            <span className="muted">disabled</span>
          )
        ) : (
          <span className="muted">on {trigger.kind === "webhook" ? "request" : "event"}</span>
        )}
      </td>
      <td data-label="Last fired">{trigger.last_fired_at ? <DateTime value={trigger.last_fired_at} /> : <span className="muted">never</span>}</td>
      <td data-label="Owner">
        <Person id={trigger.owner_id ?? null} canReadUsers={canReadUsers} />
      </td>
      <td data-label="Enabled">
        <input
          type="checkbox"
          role="switch"
          className="trigger-switch"
          aria-label={`Enabled: ${summary}`}
          checked={trigger.enabled}
          disabled={actions.toggling === trigger.id}
          onChange={() => actions.onToggle(trigger)}
        />
      </td>
      <td data-label="Actions" className="cell-actions">
        <button type="button" className="button button--small button--ghost" onClick={() => actions.onEdit(trigger)}>
          Edit
        </button>
        <button type="button" className="button button--small button--ghost" onClick={() => actions.onDelete(trigger)}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function TriggersTable({ items, busy, catalogNames, actions }: { items: readonly Trigger[]; busy: boolean; catalogNames: Record<string, string>; actions: RowActions }) {
  const canReadUsers = usePermission("users.read");
  return (
    <table className="table triggers-table" aria-busy={busy}>
      <caption className="visually-hidden">Triggers</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Starts the workflow</th>
          <th scope="col">Next fire</th>
          <th scope="col">Last fired</th>
          <th scope="col" title="Who created or last changed it: four-eyes keeps them off the gates of a schedule's runs">
            Owner
          </th>
          <th scope="col">Enabled</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((trigger) => (
          <TriggerRow key={trigger.id} trigger={trigger} summary={triggerSummary(trigger, catalogNames)} canReadUsers={canReadUsers} actions={actions} />
        ))}
      </tbody>
    </table>
  );
}
