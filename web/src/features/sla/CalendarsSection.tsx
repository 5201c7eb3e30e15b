// Admin → Service levels → business calendars: the list, create / edit, the holiday import, delete (refused while a
// policy uses the calendar).
import { useState } from "react";

import { type BusinessCalendar, useBusinessCalendars, useDeleteCalendar } from "../../api/sla";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { CalendarForm } from "./CalendarForm";
import { HolidayImportForm } from "./HolidayImportForm";
import { weekSummary } from "./model";

type Editing = { kind: "edit"; calendar?: BusinessCalendar } | { kind: "import"; calendar: BusinessCalendar } | null;

export function CalendarsSection({ onNotice }: { onNotice: (message: string) => void }) {
  const calendars = useBusinessCalendars();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<BusinessCalendar | null>(null);
  const remove = useDeleteCalendar();
  const items = calendars.data?.items ?? [];
  const title = editing?.kind === "import" ? `Import holidays into ${editing.calendar.name}` : editing?.calendar ? `Edit ${editing.calendar.name}` : "New business calendar";
  return (
    <section className="section" aria-labelledby="sla-calendars">
      <div className="page-header">
        <h2 id="sla-calendars">Business calendars</h2>
        <button type="button" className="button button--primary" onClick={() => setEditing({ kind: "edit" })}>
          New calendar
        </button>
      </div>
      {calendars.isPending ? <Loading label="Loading calendars…" /> : null}
      {calendars.isError ? <ErrorState error={calendars.error} onRetry={() => void calendars.refetch()} /> : null}
      {calendars.data && !items.length ? (
        <EmptyState title="No business calendars yet">
          <p>A calendar says when the desk works; business-time targets count only its open hours.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={calendars.isFetching}>
          <caption className="visually-hidden">Business calendars</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Time zone</th>
              <th scope="col">Working hours</th>
              <th scope="col">Holidays</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((calendar) => (
              <tr key={calendar.id}>
                <td data-label="Name">
                  <span className="cell-title">{calendar.name}</span>
                </td>
                <td data-label="Time zone" className="mono">
                  {calendar.time_zone}
                </td>
                <td data-label="Working hours">{weekSummary(calendar)}</td>
                <td data-label="Holidays">{calendar.holidays.length}</td>
                <td data-label="Actions" className="cell-actions">
                  <div className="row-actions">
                    <button type="button" className="button button--small" onClick={() => setEditing({ kind: "edit", calendar })} aria-label={`Edit ${calendar.name}`}>
                      Edit
                    </button>
                    <button type="button" className="button button--small" onClick={() => setEditing({ kind: "import", calendar })} aria-label={`Import holidays into ${calendar.name}`}>
                      Import holidays
                    </button>
                    <button type="button" className="button button--small button--ghost" onClick={() => setDeleting(calendar)} aria-label={`Delete ${calendar.name}`}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={title} wide={editing?.kind === "edit"}>
        {editing?.kind === "import" ? (
          <HolidayImportForm
            calendar={editing.calendar}
            onCancel={() => setEditing(null)}
            onDone={(saved) => {
              onNotice(`${saved.name} now has ${saved.holidays.length} holidays.`);
              setEditing(null);
            }}
          />
        ) : editing ? (
          <CalendarForm
            key={editing.calendar?.id ?? "new"}
            calendar={editing.calendar}
            onCancel={() => setEditing(null)}
            onDone={(saved) => {
              onNotice(editing.calendar ? `Calendar ${saved.name} saved.` : `Calendar ${saved.name} created.`);
              setEditing(null);
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete ${deleting.name}?` : "Delete calendar"}
        confirmLabel="Delete"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (!deleting) return;
          const name = deleting.name;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              setDeleting(null);
              onNotice(`Calendar ${name} deleted.`);
            },
          });
        }}
      >
        <p>A calendar an SLA policy uses cannot be deleted: give the policy another calendar first.</p>
      </ConfirmDialog>
    </section>
  );
}
