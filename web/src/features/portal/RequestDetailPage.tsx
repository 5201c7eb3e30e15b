// One service request: status, form values, the pinned fulfillment, approval progress, timeline, comments, cancel
// for its requester and "Retry fulfillment" for fulfillers and service owners when its runbook/workflow failed.
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useLocation, useParams } from "react-router";

import { describeError } from "../../api/problem";
import { useCurrentUser, usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { TextAreaField } from "../../components/Field";
import { FormSummary, useFormErrors } from "../../components/FormErrors";
import { DateTime, PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { useInstance } from "../../api/approvals";
import { ApprovalProgress } from "../../components/ApprovalProgress";
import { type RequestDetail, useCancelRequest, useCatalogItem, useCommentOnRequest, useRequest, useRetryFulfillment } from "../../api/itsm";
import { toFormVariables } from "../../components/forms";
import { mayRetryFulfillment } from "../../components/fulfillment";
import { FulfillmentSummary } from "../../components/FulfillmentSummary";
import { mergeTimeline, StatusBadge, Timeline, VariableList } from "../../components/RecordParts";
import { SlaClocks } from "../../components/SlaClocks";
import { WaitingActions } from "./WaitingActions";
import "../../components/portal.css";

export const CANCELLABLE = ["pending_approval", "in_fulfillment", "awaiting_requester"];

function CommentForm({ request }: { request: RequestDetail }) {
  const [text, setText] = useState("");
  const comment = useCommentOnRequest(request.id);
  const errors = useFormErrors(comment.error, ["comment"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    comment.mutate(text.trim(), { onSuccess: () => setText("") });
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Add a comment">
      <FormSummary errors={{ fields: {}, general: errors.general }} title="The comment was not added" />
      <TextAreaField label="Comment" name="comment" rows={3} value={text} onChange={(e) => setText(e.target.value)} error={errors.fields.comment} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={comment.isPending}>
          {comment.isPending ? "Adding…" : "Add comment"}
        </button>
      </div>
    </form>
  );
}

/** Rerun the pinned runbook/workflow of a failed request; the API refuses (and says why) if it cannot start. */
function RetryFulfillment({ request, onRetried }: { request: RequestDetail; onRetried: (message: string) => void }) {
  const retry = useRetryFulfillment(request.id);
  return (
    <div className="form-actions">
      <button
        type="button"
        className="button button--primary"
        disabled={retry.isPending}
        onClick={() => retry.mutate(undefined, { onSuccess: (done) => onRetried(`Fulfillment of ${done.number} retried: it runs again as pinned at submit.`) })}
      >
        {retry.isPending ? "Retrying…" : "Retry fulfillment"}
      </button>
      {retry.isError ? (
        <p className="field-error" role="alert">
          {describeError(retry.error)}
        </p>
      ) : null}
    </div>
  );
}

function ApprovalSection({ id }: { id: string }) {
  const instance = useInstance(id);
  if (instance.isPending) return <Loading label="Loading the approval…" />;
  if (instance.isError) return <ErrorState error={instance.error} onRetry={() => void instance.refetch()} />;
  return (
    <>
      <ApprovalProgress instance={instance.data} />
      <p>
        <Link to={`/approvals/${id}`}>Open the approval</Link>
      </p>
    </>
  );
}

export function RequestDetailPage() {
  const { requestId = "" } = useParams();
  const location = useLocation();
  const me = useCurrentUser();
  const canReadUsers = usePermission("users.read");
  const isFulfiller = usePermission("requests.fulfill");
  const mayRetry = isFulfiller || usePermission("catalog.manage");
  const request = useRequest(requestId);
  const item = useCatalogItem(request.data?.catalog_item_id);
  const form = useMemo(() => toFormVariables(item.data?.variables ?? []), [item.data]);
  const cancel = useCancelRequest(requestId);
  const [confirming, setConfirming] = useState(false);
  const initialNotice = (location.state as { notice?: string } | null)?.notice ?? null;
  const [notice, setNotice] = useState<string | null>(initialNotice);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const approval = useInstance(request.data?.approval_instance_id);
  const decisions = useMemo(
    () =>
      (approval.data?.step_results ?? []).flatMap((step) =>
        step.decisions.map((d) => ({ step: step.name, outcome: d.outcome, user_id: d.user_id, comment: d.comment, at: d.at })),
      ),
    [approval.data],
  );

  if (request.isPending) return <Loading label="Loading the request…" />;
  if (request.isError) return <ErrorState error={request.error} onRetry={() => void request.refetch()} />;
  const r = request.data;
  const mayCancel = r.requester_id === me.id && CANCELLABLE.includes(r.status);

  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/portal/requests">My requests</Link>
      </nav>
      <PageHeader
        title={`${r.number} · ${item.data?.name ?? "Request"}`}
        description={
          <>
            Status: <StatusBadge status={r.status} /> · submitted <DateTime value={r.created_at} />
          </>
        }
        actions={
          mayCancel ? (
            <button ref={cancelButton} type="button" className="button button--danger" onClick={() => setConfirming(true)}>
              Cancel request
            </button>
          ) : null
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <div className="two-col">
        <div>
          <section className="panel section" aria-labelledby="req-timeline">
            <h2 id="req-timeline">Timeline</h2>
            <Timeline events={mergeTimeline(r.timeline, decisions)} canReadUsers={canReadUsers} selfId={me.id} people={r.people} />
            <CommentForm request={r} />
          </section>
        </div>
        <div>
          <section className="panel section" aria-labelledby="req-values">
            <h2 id="req-values">Details</h2>
            <VariableList values={r.variables} form={form} />
            {r.justification ? (
              <p>
                <strong>Justification:</strong> {r.justification}
              </p>
            ) : null}
            {r.fulfillment_note ? (
              <p>
                <strong>Fulfillment note:</strong> {r.fulfillment_note}
              </p>
            ) : null}
            <FulfillmentSummary fulfillment={r.fulfillment} />
            {mayRetry && mayRetryFulfillment(r.status, r.fulfillment) ? <RetryFulfillment request={r} onRetried={setNotice} /> : null}
            <WaitingActions request={r} isFulfiller={isFulfiller} isRequester={me.id === r.requester_id} onDone={setNotice} />
          </section>
          {r.sla?.length ? (
            <section className="panel section" aria-labelledby="req-sla">
              <h2 id="req-sla">Service levels</h2>
              <SlaClocks clocks={r.sla} />
            </section>
          ) : null}
          {r.approval_instance_id ? (
            <section className="panel section" aria-labelledby="req-approval">
              <h2 id="req-approval">Approval</h2>
              <ApprovalSection id={r.approval_instance_id} />
            </section>
          ) : null}
        </div>
      </div>
      <Dialog open={confirming} onClose={() => setConfirming(false)} title={`Cancel ${r.number}?`}>
        <p>The request stops here{r.status === "pending_approval" ? " and its approvers are no longer asked" : ""}. This cannot be undone.</p>
        {cancel.isError ? (
          <p className="field-error" role="alert">
            {describeError(cancel.error)}
          </p>
        ) : null}
        <div className="form-actions">
          <button
            type="button"
            className="button button--danger"
            disabled={cancel.isPending}
            onClick={() =>
              cancel.mutate(undefined, {
                onSuccess: (done) => {
                  setConfirming(false);
                  setNotice(`Request ${done.number} cancelled.`);
                },
              })
            }
          >
            {cancel.isPending ? "Cancelling…" : "Cancel request"}
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)} data-autofocus>
            Keep it
          </button>
        </div>
      </Dialog>
    </>
  );
}
