// Approvals inbox: the ITSM approval steps waiting for me (or whom I stand in for), refreshed every 10 s.
import { useState } from "react";
import { Link, useParams } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import "../portal/portal.css";
import { ApprovalCard } from "./ApprovalCard";
import { useInstance, useMyApprovals } from "./api";

export function InboxPage() {
  const inbox = useMyApprovals();
  const [notice, setNotice] = useState<{ message: string; refused: boolean } | null>(null);
  const onDecided = (message: string, refused = false) => setNotice({ message, refused });
  const items = inbox.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Approvals" description="Requests and changes waiting for your decision." />
      <Notice message={notice?.message ?? null} tone={notice?.refused ? "warn" : "good"} onDismiss={() => setNotice(null)} />
      {inbox.isPending ? <Loading label="Loading your approvals…" /> : null}
      {inbox.isError ? <ErrorState error={inbox.error} onRetry={() => void inbox.refetch()} /> : null}
      {inbox.data && !items.length ? (
        <EmptyState title="Nothing to approve">
          <p>When a request or change needs your decision it shows up here.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <ul className="inbox-list" aria-label="Waiting for your decision" aria-busy={inbox.isFetching}>
          {items.map((instance) => (
            <li key={instance.id}>
              <ApprovalCard instance={instance} onDecided={onDecided} />
            </li>
          ))}
        </ul>
      ) : null}
      {inbox.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={inbox.isFetchingNextPage} onClick={() => void inbox.fetchNextPage()}>
            {inbox.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}

export function ApprovalPage() {
  const { instanceId = "" } = useParams();
  const instance = useInstance(instanceId);
  const [notice, setNotice] = useState<{ message: string; refused: boolean } | null>(null);
  const onDecided = (message: string, refused = false) => setNotice({ message, refused });
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/approvals">Approvals</Link>
      </nav>
      <PageHeader title="Approval" />
      <Notice message={notice?.message ?? null} tone={notice?.refused ? "warn" : "good"} onDismiss={() => setNotice(null)} />
      {instance.isPending ? <Loading label="Loading the approval…" /> : null}
      {instance.isError ? <ErrorState error={instance.error} onRetry={() => void instance.refetch()} /> : null}
      {instance.data ? <ApprovalCard instance={instance.data} onDecided={onDecided} /> : null}
    </>
  );
}
