// Admin → Audit log: every change in the tenant, newest first; filter by action and object type; "Load more".
import { type FormEvent, useState } from "react";
import { useSearchParams } from "react-router";

import { TextField } from "../../components/Field";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { type AuditEvent, useAuditEvents } from "./api";

const KNOWN_ACTIONS = [
  "user.created",
  "user.updated",
  "group.created",
  "group.updated",
  "group.deleted",
  "group.member_added",
  "group.member_removed",
  "tenant.settings_updated",
  "api_token.created",
  "api_token.revoked",
  "job.retried",
];
const KNOWN_OBJECT_TYPES = ["user", "group", "tenant", "api_token", "job"];

function Summary({ event }: { event: AuditEvent }) {
  const entries = Object.entries(event.summary ?? {});
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <dl className="summary">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const action = params.get("action") ?? "";
  const objectType = params.get("object_type") ?? "";
  const [draftAction, setDraftAction] = useState(action);
  const [draftType, setDraftType] = useState(objectType);
  const events = useAuditEvents({ action, object_type: objectType });
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];
  const actions = [...new Set([...KNOWN_ACTIONS, ...items.map((e) => e.action)])].sort();
  const objectTypes = [...new Set([...KNOWN_OBJECT_TYPES, ...items.map((e) => e.object_type)])].sort();
  const filtered = Boolean(action || objectType);

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (draftAction.trim()) next.set("action", draftAction.trim());
    if (draftType.trim()) next.set("object_type", draftType.trim());
    setParams(next);
  }

  function clear() {
    setDraftAction("");
    setDraftType("");
    setParams(new URLSearchParams());
  }

  return (
    <>
      <PageHeader title="Audit log" description="Every change made in this tenant: who, what and when. Newest first." />
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        <TextField label="Action" name="action" list="audit-actions" value={draftAction} onChange={(e) => setDraftAction(e.target.value)} placeholder="e.g. user.created" autoComplete="off" />
        <datalist id="audit-actions">
          {actions.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <TextField label="Object type" name="object_type" list="audit-object-types" value={draftType} onChange={(e) => setDraftType(e.target.value)} placeholder="e.g. user" autoComplete="off" />
        <datalist id="audit-object-types">
          {objectTypes.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <div className="filters-actions">
          <button type="submit" className="button button--primary">
            Apply filters
          </button>
          {filtered ? (
            <button type="button" className="button" onClick={clear}>
              Clear
            </button>
          ) : null}
        </div>
      </form>
      {events.isPending ? <Loading label="Loading audit events…" /> : null}
      {events.isError ? <ErrorState error={events.error} onRetry={() => void events.refetch()} /> : null}
      {events.data && !items.length ? (
        <EmptyState title={filtered ? "No event matches these filters" : "No events yet"}>
          <p>{filtered ? "Actions are exact names such as user.created." : "Changes made in this tenant will be listed here."}</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table">
          <caption className="visually-hidden">Audit events</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Object</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {items.map((event) => (
              <tr key={event.id}>
                <td data-label="When">
                  <DateTime value={event.created_at} />
                </td>
                <td data-label="Actor">{event.actor_label || <span className="muted">{event.actor_type}</span>}</td>
                <td data-label="Action">
                  <code>{event.action}</code>
                </td>
                <td data-label="Object">
                  <span className="cell-title">{event.object_type}</span>
                  {event.object_id ? <span className="muted cell-sub mono">{event.object_id}</span> : null}
                </td>
                <td data-label="Details">
                  <Summary event={event} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {events.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
            {events.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : items.length ? (
        <p className="muted end-of-list">End of the audit log{filtered ? " for these filters" : ""}.</p>
      ) : null}
    </>
  );
}
