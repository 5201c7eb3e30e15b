// Approvals inbox: everything waiting for my decision (or whom I stand in for), ITSM approval steps and
// automation gates together (`GET /api/approvals/inbox`), refreshed every 10 s.
import { useState } from "react";
import { Link, useParams } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import "../../components/portal.css";
import { type InboxItem, useInbox, useInstance } from "../../api/approvals";
import { ApprovalCard } from "./ApprovalCard";
import "../../components/automation.css";
import { GateCard } from "./GateCard";

type OnDecided = (message: string, refused?: boolean) => void;

function ItsmEntry({ item, onDecided }: { item: InboxItem; onDecided: OnDecided }) {
  const instance = useInstance(item.id);
  if (instance.isPending) return <Loading label={`Loading ${item.title}…`} />;
  if (instance.isError) return <ErrorState error={instance.error} title={`${item.title} could not be loaded`} onRetry={() => void instance.refetch()} />;
  return <ApprovalCard instance={instance.data} onDecided={onDecided} />;
}

export function InboxPage() {
  const inbox = useInbox();
  const [notice, setNotice] = useState<{ message: string; refused: boolean } | null>(null);
  const onDecided: OnDecided = (message, refused = false) => setNotice({ message, refused });
  const items = inbox.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <PageHeader title="Approvals" description="Requests, changes and automation steps waiting for your decision." />
      <Notice message={notice?.message ?? null} tone={notice?.refused ? "warn" : "good"} onDismiss={() => setNotice(null)} />
      {inbox.isPending ? <Loading label="Loading your approvals…" /> : null}
      {inbox.isError ? <ErrorState error={inbox.error} onRetry={() => void inbox.refetch()} /> : null}
      {inbox.data && !items.length ? (
        <EmptyState title="Nothing to approve">
          <p>When a request, a change or an automation step needs your decision it shows up here.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <ul className="inbox-list" aria-label="Waiting for your decision" aria-busy={inbox.isFetching}>
          {items.map((item) => (
            <li key={`${item.kind}-${item.id}`}>
              {item.kind === "automation" ? <GateCard id={item.id} onDecided={onDecided} inInbox /> : <ItsmEntry item={item} onDecided={onDecided} />}
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
  const onDecided: OnDecided = (message, refused = false) => setNotice({ message, refused });
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

/** One automation gate (the link its notification carries, `/approvals/gates/:gateId`). */
export function GatePage() {
  const { gateId = "" } = useParams();
  const [notice, setNotice] = useState<{ message: string; refused: boolean } | null>(null);
  const onDecided: OnDecided = (message, refused = false) => setNotice({ message, refused });
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/approvals">Approvals</Link>
      </nav>
      <PageHeader title="Automation approval" />
      <Notice message={notice?.message ?? null} tone={notice?.refused ? "warn" : "good"} onDismiss={() => setNotice(null)} />
      <GateCard id={gateId} onDecided={onDecided} />
    </>
  );
}
