// My requests: what I asked for (or was asked for me), newest first, with status badges and cursor pages.
import { useState } from "react";
import { Link } from "react-router";

import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { useRequests } from "../../api/itsm";
import { ItemName } from "../../components/ItemName";
import { StatusBadge } from "../../components/RecordParts";
import "../../components/portal.css";

const STATUSES = ["pending_approval", "in_fulfillment", "fulfilled", "fulfillment_failed", "rejected", "cancelled"];

export function MyRequestsPage() {
  const [status, setStatus] = useState("");
  const requests = useRequests({ scope: "mine", status });
  const items = requests.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader
        title="My requests"
        description="Everything you asked for, and where it stands."
        actions={
          <Link to="/portal" className="button button--primary">
            New request
          </Link>
        }
      />
      <form className="filters" aria-label="Filter my requests" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="my-requests-status">Status</label>
          <select id="my-requests-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </div>
      </form>
      {requests.isPending ? <Loading label="Loading your requests…" /> : null}
      {requests.isError ? <ErrorState error={requests.error} onRetry={() => void requests.refetch()} /> : null}
      {requests.data && !items.length ? (
        <EmptyState
          title={status ? "No request with this status" : "You have not requested anything yet"}
          action={
            <Link to="/portal" className="button button--primary">
              Browse the catalog
            </Link>
          }
        />
      ) : null}
      {items.length ? (
        <table className="table" aria-busy={requests.isFetching}>
          <caption className="visually-hidden">My requests</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Item</th>
              <th scope="col">Status</th>
              <th scope="col">Submitted</th>
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
                <td data-label="Status">
                  <StatusBadge status={r.status} />
                </td>
                <td data-label="Submitted">
                  <DateTime value={r.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {requests.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={requests.isFetchingNextPage} onClick={() => void requests.fetchNextPage()}>
            {requests.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}
