// Fulfiller queue: requests in fulfillment waiting for someone to do the work, marked fulfilled or failed with a comment.
import { type FormEvent, useState } from "react";
import { Link } from "react-router";

import { usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { TextAreaField } from "../../components/Field";
import { FormSummary, useFormErrors } from "../../components/FormErrors";
import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { age } from "../../components/age";
import { ItemName } from "../../components/ItemName";
import "../../components/portal.css";
import { type ServiceRequest, useFulfilRequest, useRequests } from "../../api/itsm";
import { Person } from "../../components/RecordParts";
import { SlaBadge } from "../../components/SlaClocks";

type Outcome = "fulfilled" | "fulfillment_failed";

function FulfilForm({ request, outcome, onDone, onCancel }: { request: ServiceRequest; outcome: Outcome; onDone: (message: string) => void; onCancel: () => void }) {
  const [comment, setComment] = useState("");
  const fulfil = useFulfilRequest();
  const errors = useFormErrors(fulfil.error, ["comment", "outcome"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    fulfil.mutate(
      { id: request.id, outcome, comment: comment.trim() },
      { onSuccess: (done) => onDone(`${done.number} ${outcome === "fulfilled" ? "marked fulfilled" : "marked failed"}.`) },
    );
  }
  return (
    <form onSubmit={submit} noValidate aria-label={outcome === "fulfilled" ? "Mark fulfilled" : "Mark failed"}>
      <FormSummary errors={errors} title="The request was not updated" />
      <TextAreaField
        label="Comment"
        name="comment"
        rows={3}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        error={errors.fields.comment}
        hint={outcome === "fulfilled" ? "What was done (the requester sees it)." : "What went wrong (the requester sees it)."}
      />
      <div className="form-actions">
        <button type="submit" className={outcome === "fulfilled" ? "button button--primary" : "button button--danger"} disabled={fulfil.isPending}>
          {outcome === "fulfilled" ? "Mark fulfilled" : "Mark failed"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function FulfilmentQueuePage() {
  const [sort, setSort] = useState<"newest" | "sla">("newest");
  const queue = useRequests({ scope: "all", status: "in_fulfillment", sort }, { refetchInterval: 15_000 });
  const canReadUsers = usePermission("users.read");
  const [acting, setActing] = useState<{ request: ServiceRequest; outcome: Outcome } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const items = queue.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Fulfillment queue" description="Approved requests waiting for someone to do the work." />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <form className="filters" aria-label="Sort the queue" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="queue-sort">Sort by</label>
          <select id="queue-sort" value={sort} onChange={(e) => setSort(e.target.value as "newest" | "sla")}>
            <option value="newest">Newest first</option>
            <option value="sla">Time left (SLA)</option>
          </select>
        </div>
      </form>
      {queue.isPending ? <Loading label="Loading the queue…" /> : null}
      {queue.isError ? <ErrorState error={queue.error} onRetry={() => void queue.refetch()} /> : null}
      {queue.data && !items.length ? (
        <EmptyState title="The queue is empty">
          <p>Requests show up here once they are approved (or need no approval).</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={queue.isFetching}>
          <caption className="visually-hidden">Requests in fulfillment</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Item</th>
              <th scope="col">Requester</th>
              <th scope="col">Waiting</th>
              <th scope="col">SLA</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id}>
                <td data-label="Number">
                  <Link to={`/portal/requests/${r.id}`} className="cell-title">
                    {r.number}
                  </Link>
                </td>
                <td data-label="Item">
                  <ItemName id={r.catalog_item_id} />
                </td>
                <td data-label="Requester">
                  <Person id={r.requester_id} canReadUsers={canReadUsers} />
                </td>
                <td data-label="Waiting">
                  <span title={r.updated_at}>{age(r.updated_at)}</span> <span className="visually-hidden"><DateTime value={r.updated_at} /></span>
                </td>
                <td data-label="SLA">
                  <SlaBadge clocks={r.sla ?? []} />
                </td>
                <td data-label="Actions" className="cell-actions">
                  <button type="button" className="button button--small button--primary" onClick={() => setActing({ request: r, outcome: "fulfilled" })} aria-label={`Mark ${r.number} fulfilled`}>
                    Mark fulfilled
                  </button>{" "}
                  <button type="button" className="button button--small" onClick={() => setActing({ request: r, outcome: "fulfillment_failed" })} aria-label={`Mark ${r.number} failed`}>
                    Failed
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {queue.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={queue.isFetchingNextPage} onClick={() => void queue.fetchNextPage()}>
            {queue.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
      <Dialog
        open={acting !== null}
        onClose={() => setActing(null)}
        title={acting ? `${acting.outcome === "fulfilled" ? "Fulfil" : "Fail"} ${acting.request.number}` : ""}
      >
        {acting ? (
          <FulfilForm
            request={acting.request}
            outcome={acting.outcome}
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
