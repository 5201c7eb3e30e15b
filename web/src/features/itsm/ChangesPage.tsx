// ITSM → Changes: the list (status filter, cursor pages) and one change with its timeline and the actions its
// status allows (start, complete, fail, cancel), each with a comment.
import { type FormEvent, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { useCurrentUser, usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { useDefinitions, useInstance } from "../../api/approvals";
import { ApprovalProgress } from "../../components/ApprovalProgress";
import "../../components/portal.css";
import { CHANGE_ACTIONS, type ChangeAction, type ChangeDetail, useChange, useChangeAction, useChanges, useCreateChange } from "../../api/itsm";
import { Person, StatusBadge, Timeline } from "../../components/RecordParts";
import { SlaClocks } from "../../components/SlaClocks";

const STATUSES = ["pending_approval", "scheduled", "implementing", "completed", "failed", "rejected", "cancelled"];
const ACTION_LABELS: Record<ChangeAction, string> = { start: "Start", complete: "Complete", fail: "Mark failed", cancel: "Cancel change" };

const CHANGE_FIELDS = ["title", "description", "type", "risk", "impact", "planned_start", "planned_end", "workflow_definition_id"];
type Level = "low" | "medium" | "high";

/** `datetime-local` input value → ISO instant in the browser's zone (the API stores UTC). */
function toIso(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}

function NewChangeForm({ onCancel }: { onCancel: () => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [type, setType] = useState<"standard" | "normal" | "emergency">("normal");
  const [risk, setRisk] = useState<Level>("low");
  const [impact, setImpact] = useState<Level>("low");
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [definitionId, setDefinitionId] = useState("");
  const definitions = useDefinitions();
  const create = useCreateChange();
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(create.error, CHANGE_FIELDS);
  useFocusOnError(create.error, form);
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      {
        title: title.trim(),
        description: description.trim(),
        type,
        risk,
        impact,
        planned_start: toIso(start),
        planned_end: toIso(end),
        workflow_definition_id: definitionId || null,
      },
      { onSuccess: (change) => void navigate(`/itsm/changes/${change.id}`) },
    );
  }
  const levels = (["low", "medium", "high"] as const).map((l) => (
    <option key={l} value={l}>
      {l}
    </option>
  ));
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="New change">
      <FormSummary errors={errors} title="The change was not created" />
      <TextField label="Title" name="title" value={title} onChange={(e) => setTitle(e.target.value)} error={errors.fields.title} required />
      <TextAreaField label="Description" name="description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} error={errors.fields.description} />
      <SelectField label="Type" name="type" value={type} onChange={(e) => setType(e.target.value as typeof type)} error={errors.fields.type}>
        <option value="standard">Standard (pre-approved)</option>
        <option value="normal">Normal</option>
        <option value="emergency">Emergency</option>
      </SelectField>
      <SelectField label="Risk" name="risk" value={risk} onChange={(e) => setRisk(e.target.value as Level)} error={errors.fields.risk}>
        {levels}
      </SelectField>
      <SelectField label="Impact" name="impact" value={impact} onChange={(e) => setImpact(e.target.value as Level)} error={errors.fields.impact}>
        {levels}
      </SelectField>
      <TextField label="Planned start" name="planned_start" type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} error={errors.fields.planned_start} />
      <TextField label="Planned end" name="planned_end" type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} error={errors.fields.planned_end} />
      <SelectField label="Approval definition" name="workflow_definition_id" value={definitionId} onChange={(e) => setDefinitionId(e.target.value)} error={errors.fields.workflow_definition_id}>
        <option value="">No approval</option>
        {(definitions.data?.pages.flatMap((p) => p.items) ?? [])
          .filter((d) => d.status === "active")
          .map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
      </SelectField>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create change"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ChangesPage() {
  const [status, setStatus] = useState("");
  const [creating, setCreating] = useState(false);
  const changes = useChanges({ status });
  const items = changes.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="Changes"
        description="Change requests, their approval and implementation."
        actions={
          <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
            New change
          </button>
        }
      />
      <form className="filters" aria-label="Filter changes" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="changes-status">Status</label>
          <select id="changes-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </div>
      </form>
      {changes.isPending ? <Loading label="Loading changes…" /> : null}
      {changes.isError ? <ErrorState error={changes.error} onRetry={() => void changes.refetch()} /> : null}
      {changes.data && !items.length ? <EmptyState title={status ? "No change with this status" : "No changes yet"} /> : null}
      {items.length ? (
        <table className="table" aria-busy={changes.isFetching}>
          <caption className="visually-hidden">Changes</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Title</th>
              <th scope="col">Type</th>
              <th scope="col">Risk</th>
              <th scope="col">Status</th>
              <th scope="col">Planned start</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td data-label="Number">
                  <Link to={`/itsm/changes/${c.id}`} className="cell-title">
                    {c.number}
                  </Link>
                </td>
                <td data-label="Title">{c.title}</td>
                <td data-label="Type">{c.type}</td>
                <td data-label="Risk">{c.risk}</td>
                <td data-label="Status">
                  <StatusBadge status={c.status} />
                </td>
                <td data-label="Planned start">
                  <DateTime value={c.planned_start} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {changes.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={changes.isFetchingNextPage} onClick={() => void changes.fetchNextPage()}>
            {changes.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
      <Dialog open={creating} onClose={() => setCreating(false)} title="New change" wide>
        <NewChangeForm onCancel={() => setCreating(false)} />
      </Dialog>
    </>
  );
}

function ActionForm({ change, action, onDone, onCancel }: { change: ChangeDetail; action: ChangeAction; onDone: (message: string) => void; onCancel: () => void }) {
  const [comment, setComment] = useState("");
  const act = useChangeAction();
  const errors = useFormErrors(act.error, ["comment"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    act.mutate({ id: change.id, action, comment: comment.trim() }, { onSuccess: (done) => onDone(`${done.number} is now ${done.status.replace(/_/g, " ")}.`) });
  }
  return (
    <form onSubmit={submit} noValidate aria-label={ACTION_LABELS[action]}>
      <FormSummary errors={errors} title="The change was not updated" />
      <TextAreaField label="Comment" name="comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} error={errors.fields.comment} />
      <div className="form-actions">
        <button type="submit" className={action === "fail" || action === "cancel" ? "button button--danger" : "button button--primary"} disabled={act.isPending}>
          {ACTION_LABELS[action]}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Back
        </button>
      </div>
    </form>
  );
}

export function ChangeDetailPage() {
  const { changeId = "" } = useParams();
  const change = useChange(changeId);
  const me = useCurrentUser();
  const canReadUsers = usePermission("users.read");
  const mayAct = usePermission("requests.fulfill");
  const approval = useInstance(change.data?.approval_instance_id);
  const [acting, setActing] = useState<ChangeAction | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  if (change.isPending) return <Loading label="Loading the change…" />;
  if (change.isError) return <ErrorState error={change.error} onRetry={() => void change.refetch()} />;
  const c = change.data;
  const actions = mayAct || c.requester_id === me.id ? (CHANGE_ACTIONS[c.status] ?? []) : [];
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/itsm/changes">Changes</Link>
      </nav>
      <PageHeader
        title={`${c.number} · ${c.title}`}
        description={
          <>
            Status: <StatusBadge status={c.status} />
          </>
        }
        actions={actions.map((action) => (
          <button key={action} type="button" className={action === "fail" || action === "cancel" ? "button button--danger" : "button button--primary"} onClick={() => setActing(action)}>
            {ACTION_LABELS[action]}
          </button>
        ))}
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <div className="two-col">
        <section className="panel section" aria-labelledby="change-timeline">
          <h2 id="change-timeline">Timeline</h2>
          <Timeline events={c.timeline} canReadUsers={canReadUsers} selfId={me.id} people={c.people} />
        </section>
        <div>
          <section className="panel section" aria-labelledby="change-facts">
            <h2 id="change-facts">Details</h2>
            <dl className="facts">
              <dt>Type</dt>
              <dd>{c.type}</dd>
              <dt>Risk</dt>
              <dd>{c.risk}</dd>
              <dt>Impact</dt>
              <dd>{c.impact}</dd>
              <dt>Planned</dt>
              <dd>
                <DateTime value={c.planned_start} /> – <DateTime value={c.planned_end} />
              </dd>
              <dt>Requester</dt>
              <dd>{c.requester_id === me.id ? "you" : <Person id={c.requester_id} canReadUsers={canReadUsers} name={c.people?.[c.requester_id]} />}</dd>
            </dl>
            {c.description ? <p className="timeline-message">{c.description}</p> : null}
            {c.outcome_note ? <p>Outcome: {c.outcome_note}</p> : null}
          </section>
          {c.sla?.length ? (
            <section className="panel section" aria-labelledby="change-sla">
              <h2 id="change-sla">Service levels</h2>
              <SlaClocks clocks={c.sla} />
            </section>
          ) : null}
          {approval.data ? (
            <section className="panel section" aria-labelledby="change-approval">
              <h2 id="change-approval">Approval</h2>
              <ApprovalProgress instance={approval.data} />
            </section>
          ) : null}
        </div>
      </div>
      <Dialog open={acting !== null} onClose={() => setActing(null)} title={acting ? `${ACTION_LABELS[acting]}: ${c.number}` : ""}>
        {acting ? (
          <ActionForm
            change={c}
            action={acting}
            onCancel={() => setActing(null)}
            onDone={(message) => {
              setActing(null);
              setNotice(message);
            }}
          />
        ) : null}
      </Dialog>
    </>
  );
}
