// Admin → Service levels → SLA policies: the list with each policy's targets, create / edit, delete (items naming
// the policy have none afterwards; clocks already running keep running).
import { useState } from "react";

import { type SlaPolicy, useBusinessCalendars, useDeletePolicy, useSlaPolicies } from "../../api/sla";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { targetSummary } from "./model";
import { PolicyForm } from "./PolicyForm";

export function PoliciesSection({ onNotice }: { onNotice: (message: string) => void }) {
  const policies = useSlaPolicies();
  const calendars = useBusinessCalendars();
  const [editing, setEditing] = useState<{ policy?: SlaPolicy } | null>(null);
  const [deleting, setDeleting] = useState<SlaPolicy | null>(null);
  const remove = useDeletePolicy();
  const items = policies.data?.items ?? [];
  const calendarName = (id: string | null) => (id ? (calendars.data?.items.find((c) => c.id === id)?.name ?? id.slice(0, 8)) : "—");
  return (
    <section className="section" aria-labelledby="sla-policies">
      <div className="page-header">
        <h2 id="sla-policies">SLA policies</h2>
        <button type="button" className="button button--primary" onClick={() => setEditing({})}>
          New policy
        </button>
      </div>
      {policies.isPending ? <Loading label="Loading policies…" /> : null}
      {policies.isError ? <ErrorState error={policies.error} onRetry={() => void policies.refetch()} /> : null}
      {policies.data && !items.length ? (
        <EmptyState title="No SLA policies yet">
          <p>A policy sets time targets; catalog items pick one in their editor, change types here.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={policies.isFetching}>
          <caption className="visually-hidden">SLA policies</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Targets</th>
              <th scope="col">Warn at</th>
              <th scope="col">Calendar</th>
              <th scope="col">Change types</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((policy) => (
              <tr key={policy.id}>
                <td data-label="Name">
                  <span className="cell-title">{policy.name}</span>
                </td>
                <td data-label="Targets">
                  {policy.targets.map((t, i) => (
                    <div key={i}>{targetSummary(t)}</div>
                  ))}
                </td>
                <td data-label="Warn at">{policy.warn_percent} %</td>
                <td data-label="Calendar">{calendarName(policy.calendar_id)}</td>
                <td data-label="Change types">{policy.change_types.join(", ") || "—"}</td>
                <td data-label="Actions" className="cell-actions">
                  <div className="row-actions">
                    <button type="button" className="button button--small" onClick={() => setEditing({ policy })} aria-label={`Edit ${policy.name}`}>
                      Edit
                    </button>
                    <button type="button" className="button button--small button--ghost" onClick={() => setDeleting(policy)} aria-label={`Delete ${policy.name}`}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing?.policy ? `Edit ${editing.policy.name}` : "New SLA policy"} wide>
        {editing ? (
          <PolicyForm
            key={editing.policy?.id ?? "new"}
            policy={editing.policy}
            onCancel={() => setEditing(null)}
            onDone={(saved) => {
              onNotice(editing.policy ? `Policy ${saved.name} saved.` : `Policy ${saved.name} created.`);
              setEditing(null);
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete ${deleting.name}?` : "Delete policy"}
        confirmLabel="Delete"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (!deleting) return;
          const name = deleting.name;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              setDeleting(null);
              onNotice(`Policy ${name} deleted.`);
            },
          });
        }}
      >
        <p>Catalog items naming it will have no SLA policy; requests already carrying its clocks keep them.</p>
      </ConfirmDialog>
    </section>
  );
}
