// Admin → Jobs: the tenant's jobs by status ("Load more"); a dead, failed or cancelled job can be retried.
import { useState } from "react";
import { useSearchParams } from "react-router";

import { describeError } from "../../api/problem";
import { usePermission } from "../../app/session";
import { SelectField } from "../../components/Field";
import { Badge, DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { type Job, JOB_STATUSES, RETRYABLE_STATUSES, useJobs, useRetryJob } from "../../api/jobs";

const TONES: Record<string, "good" | "bad" | "warn" | "info" | "neutral"> = {
  succeeded: "good",
  dead: "bad",
  failed: "warn",
  running: "info",
  queued: "neutral",
  cancelled: "neutral",
  waiting: "warn",
};

function RetryButton({ job, onRetried }: { job: Job; onRetried: (job: Job) => void }) {
  const retry = useRetryJob();
  return (
    <>
      <button
        type="button"
        className="button button--small"
        disabled={retry.isPending}
        onClick={() => retry.mutate(job.id, { onSuccess: onRetried })}
        aria-label={`Retry ${job.kind} job`}
      >
        {retry.isPending ? "Retrying…" : "Retry"}
      </button>
      {retry.error ? (
        <p className="field-error" role="alert">
          {describeError(retry.error)}
        </p>
      ) : null}
    </>
  );
}

export function JobsPage() {
  const canRetry = usePermission("jobs.manage");
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const jobs = useJobs(status);
  const [notice, setNotice] = useState<string | null>(null);
  const items = jobs.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader title="Jobs" description="Durable background work: notifications, runbook steps, timers. Newest first." />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <form className="filters" role="search" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <SelectField label="Status" name="status" value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {}, { replace: true })}>
          <option value="">All statuses</option>
          {JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
      </form>
      {jobs.isPending ? <Loading label="Loading jobs…" /> : null}
      {jobs.isError ? <ErrorState error={jobs.error} onRetry={() => void jobs.refetch()} /> : null}
      {jobs.data && !items.length ? (
        <EmptyState title={status ? `No ${status} jobs` : "No jobs yet"}>
          <p>{status === "dead" ? "Nothing has used up its attempts." : "Background work of this tenant will be listed here."}</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <table className="table">
          <caption className="visually-hidden">Jobs</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Created</th>
              {canRetry ? (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {items.map((job) => (
              <tr key={job.id}>
                <td data-label="Kind">
                  <code className="cell-title">{job.kind}</code>
                  <span className="muted cell-sub">queue {job.queue}</span>
                </td>
                <td data-label="Status">
                  <Badge tone={TONES[job.status] ?? "neutral"}>{job.status}</Badge>
                </td>
                <td data-label="Attempts">
                  {job.attempts} / {job.max_attempts}
                </td>
                <td data-label="Last error" className="cell-error">
                  {job.last_error ? <span className="mono">{job.last_error}</span> : <span className="muted">—</span>}
                </td>
                <td data-label="Created">
                  <DateTime value={job.created_at} />
                </td>
                {canRetry ? (
                  <td data-label="Actions" className="cell-actions">
                    {RETRYABLE_STATUSES.includes(job.status) ? (
                      <RetryButton job={job} onRetried={(j) => setNotice(`Job ${j.kind} queued again.`)} />
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {jobs.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={jobs.isFetchingNextPage} onClick={() => void jobs.fetchNextPage()}>
            {jobs.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}
