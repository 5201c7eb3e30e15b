// One approval to decide: what is being approved (the request with its values, requester and the fulfillment it
// will run — runbook/workflow, version, parameters — or the change),
// how far the ladder is, and Approve / Reject for the steps the API says I may decide (`can_decide`).
import { useMemo } from "react";
import { Link } from "react-router";

import { useCurrentUser, usePermission } from "../../app/session";
import { DateTime } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { useCatalogItem, useChange, useRequest } from "../../api/itsm";
import { toFormVariables } from "../../components/forms";
import { FulfillmentSummary } from "../../components/FulfillmentSummary";
import type { Fulfillment } from "../../components/fulfillment";
import { Person, StatusBadge, VariableList } from "../../components/RecordParts";
import { ApprovalProgress } from "../../components/ApprovalProgress";
import { age } from "../../components/age";
import { type Instance, useDecide } from "../../api/approvals";
import { DecisionForm, type OnDecided } from "./DecisionForm";

function RequestSummary({ id, fulfillment }: { id: string; fulfillment: Fulfillment | null | undefined }) {
  const request = useRequest(id);
  const item = useCatalogItem(request.data?.catalog_item_id);
  const form = useMemo(() => toFormVariables(item.data?.variables ?? []), [item.data]);
  const canReadUsers = usePermission("users.read");
  if (request.isPending) return <Loading label="Loading the request…" />;
  if (request.isError) return <ErrorState error={request.error} title="The request could not be loaded" />;
  const r = request.data;
  return (
    <>
      <p>
        <Link to={`/portal/requests/${r.id}`}>{r.number}</Link> · {item.data?.name ?? "…"} · <StatusBadge status={r.status} />
      </p>
      <p>
        Requested by <Person id={r.requester_id} canReadUsers={canReadUsers} />
        {r.requested_for !== r.requester_id ? (
          <>
            {" "}
            for <Person id={r.requested_for} canReadUsers={canReadUsers} />
          </>
        ) : null}
      </p>
      <VariableList values={r.variables} form={form} />
      {r.justification ? <p>Justification: {r.justification}</p> : null}
      {/* What approving runs: the version and parameters pinned at submit. */}
      <FulfillmentSummary fulfillment={fulfillment ?? r.fulfillment} />
    </>
  );
}

function ChangeSummary({ id }: { id: string }) {
  const change = useChange(id);
  if (change.isPending) return <Loading label="Loading the change…" />;
  if (change.isError) return <ErrorState error={change.error} title="The change could not be loaded" />;
  const c = change.data;
  return (
    <>
      <p>
        <Link to={`/itsm/changes/${c.id}`}>{c.number}</Link> · {c.title} · <StatusBadge status={c.status} />
      </p>
      <dl className="facts">
        <dt>Type</dt>
        <dd>{c.type}</dd>
        <dt>Risk / impact</dt>
        <dd>
          {c.risk} / {c.impact}
        </dd>
        <dt>Planned</dt>
        <dd>
          <DateTime value={c.planned_start} /> – <DateTime value={c.planned_end} />
        </dd>
      </dl>
      {c.description ? <p className="timeline-message">{c.description}</p> : null}
    </>
  );
}

function InstanceDecision({ instance, label, onDecided }: { instance: Instance; label: string; onDecided?: OnDecided | undefined }) {
  const decide = useDecide();
  return (
    <DecisionForm
      label={label}
      pending={decide.isPending}
      error={decide.error}
      onDecided={onDecided}
      // mutateAsync, not mutate's callbacks: the decided card leaves the list (and unmounts) before they would run.
      decide={(outcome, comment) =>
        decide.mutateAsync({ id: instance.id, outcome, comment }).then(() => `${outcome === "approve" ? "Approved" : "Rejected"}: ${label}.`)
      }
    >
      {instance.can_decide.length > 1 ? <span className="field-hint">Decides: {instance.can_decide.join(", ")}</span> : null}
    </DecisionForm>
  );
}

/** "REQ0000012 · Laptop" or "CHG0000003 · Patch the DB" once the record is loaded (the queries are shared). */
function useRecordLabel(instance: Instance): string | undefined {
  const isRequest = instance.record_type === "service_request";
  const isChange = instance.record_type === "change_request";
  const request = useRequest(instance.record_id, { enabled: isRequest });
  const item = useCatalogItem(isRequest ? request.data?.catalog_item_id : undefined);
  const change = useChange(instance.record_id, { enabled: isChange });
  if (isRequest && request.data) return `${request.data.number} · ${item.data?.name ?? "request"}`;
  if (isChange && change.data) return `${change.data.number} · ${change.data.title}`;
  return undefined;
}

/** Why there are no buttons: the four-eyes rule, the instance being finished, or not being an approver now. */
function noDecisionReason(instance: Instance, meId: string): string {
  if (instance.status !== "pending") return `This approval is ${instance.status}: there is nothing left to decide.`;
  if (instance.requester_id === meId)
    return "You requested this, so you may not approve or reject it (four-eyes rule): another approver has to decide.";
  if (instance.requested_for_id === meId)
    return "This request is for you, so you may not approve or reject it (four-eyes rule): another approver has to decide.";
  return "You are not an approver of the step that is waiting now.";
}

export function ApprovalCard({
  instance,
  onDecided,
  headingLevel = 2,
}: {
  instance: Instance;
  /** After a decision (or a refusal, `refused`), for the page's notice: the card may be gone by then. */
  onDecided?: (message: string, refused?: boolean) => void;
  headingLevel?: 2 | 3;
}) {
  const me = useCurrentUser();
  const canReadUsers = usePermission("users.read");
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const record = useRecordLabel(instance);
  const label = instance.title ?? record ?? instance.record_type.replace(/_/g, " ");
  const current = instance.step_results.filter((s) => s.order === instance.current_step).map((s) => s.name);
  return (
    <article className="inbox-item" aria-label={label}>
      <Heading>{label}</Heading>
      <p className="muted">
        Waiting {age(instance.created_at)} · step {current.length ? current.join(", ") : "—"}
        {instance.record_type === "service_request" ? null : (
          <>
            {" "}
            · requested by {instance.requester_id === me.id ? "you" : <Person id={instance.requester_id} canReadUsers={canReadUsers} />}
          </>
        )}
      </p>
      {instance.record_type === "service_request" ? (
        <RequestSummary id={instance.record_id} fulfillment={instance.fulfillment} />
      ) : instance.record_type === "change_request" ? (
        <ChangeSummary id={instance.record_id} />
      ) : (
        <VariableList values={instance.variables} />
      )}
      <details>
        <summary>Approval ladder</summary>
        <ApprovalProgress instance={instance} />
      </details>
      {instance.can_decide.length ? (
        <InstanceDecision instance={instance} label={label} onDecided={onDecided} />
      ) : (
        <p className="refusal-note" role="note">
          {noDecisionReason(instance, me.id)}
        </p>
      )}
    </article>
  );
}
