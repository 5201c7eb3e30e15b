// /executions: workflow (and runbook) executions you may see, newest first, filtered by kind and status.
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { SelectField } from "../../components/Field";
import { Badge, DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { UserName } from "../../components/UserPicker";
import { executionStatusTone } from "../../components/status";
import { EXECUTION_STATUSES, type ExecutionKind, type ExecutionStatus, type ExecutionSummary, useExecutions } from "../../api/executions";
import { Pager } from "../../components/Pager";


function What({ execution }: { execution: ExecutionSummary }) {
  if (execution.kind === "workflow") return <>{`${execution.name ?? "Workflow"}${execution.workflow_version ? ` (v${execution.workflow_version})` : ""}`}</>;
  return (
    <span>
      Runbook “{execution.name ?? execution.runbook_id?.slice(0, 8)}”{execution.runbook_version ? ` (v${execution.runbook_version})` : ""}
    </span>
  );
}

export function ExecutionsPage() {
  const [params, setParams] = useSearchParams();
  const kind = (params.get("kind") ?? "workflow") as ExecutionKind | "";
  const status = (params.get("status") ?? "") as ExecutionStatus | "";
  const [cursors, setCursors] = useState<string[]>([]);
  const executions = useExecutions({ kind: kind || undefined, status: status || undefined, cursor: cursors[cursors.length - 1] });
  const setFilter = (key: string, value: string, fallback: string) => {
    const next = new URLSearchParams(params);
    if (value === fallback) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
    setCursors([]);
  };
  return (
    <>
      <PageHeader title="Executions" description="Runs of automation workflows and runbooks, with their live status." />
      <form className="filters" role="search" aria-label="Filter executions" onSubmit={(e) => e.preventDefault()}>
        <SelectField label="Kind" name="kind" value={kind} onChange={(e) => setFilter("kind", e.target.value, "workflow")}>
          <option value="workflow">Workflows</option>
          <option value="runbook">Runbooks</option>
          <option value="">All</option>
        </SelectField>
        <SelectField label="Status" name="status" value={status} onChange={(e) => setFilter("status", e.target.value, "")}>
          <option value="">Any status</option>
          {EXECUTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s.replace("_", " ")}
            </option>
          ))}
        </SelectField>
      </form>
      {executions.isPending ? <Loading label="Loading executions…" /> : null}
      {executions.isError ? <ErrorState error={executions.error} onRetry={() => void executions.refetch()} /> : null}
      {executions.data && !executions.data.items.length ? (
        <EmptyState title={status ? `No ${status.replace("_", " ")} executions` : "No executions yet"} action={<Link to="/workflows">Workflows</Link>}>
          <p>Run a workflow from its builder page to see it here.</p>
        </EmptyState>
      ) : null}
      {executions.data && executions.data.items.length ? (
        <>
          <table className="table" aria-busy={executions.isFetching}>
            <caption className="visually-hidden">Executions</caption>
            <thead>
              <tr>
                <th scope="col">Execution</th>
                <th scope="col">Of</th>
                <th scope="col">Status</th>
                <th scope="col">Started by</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {executions.data.items.map((execution) => (
                <tr key={execution.id}>
                  <td data-label="Execution">
                    <Link to={`/executions/${execution.id}`} className="cell-title mono">
                      {execution.id.slice(0, 8)}
                    </Link>
                  </td>
                  <td data-label="Of">
                    <What execution={execution} />
                  </td>
                  <td data-label="Status">
                    <Badge tone={executionStatusTone(execution.status)}>{execution.status.replace("_", " ")}</Badge>
                  </td>
                  <td data-label="Started by">
                    <UserName id={execution.started_by} />
                  </td>
                  <td data-label="Started">
                    <DateTime value={execution.started_at ?? execution.created_at} />
                  </td>
                  <td data-label="Finished">
                    <DateTime value={execution.finished_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of executions" cursors={cursors} setCursors={setCursors} next={executions.data.next_cursor} />
        </>
      ) : null}
    </>
  );
}
