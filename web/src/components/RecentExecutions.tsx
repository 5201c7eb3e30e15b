// The executions of one runbook or one workflow, newest first, each with the version it ran: a runbook's page
// lists its runs (also those workflow steps started), a workflow's page its executions (who started each: on its page).
import { useState } from "react";
import { Link } from "react-router";

import { Badge, DateTime } from "./Page";
import { Pager } from "./Pager";
import { ErrorState, Loading } from "./States";
import "./automation.css";
import { executionStatusTone, versionLabel } from "./status";
import { type ExecutionSummary, useExecutions } from "../api/executions";

type Of = { runbookId: string; workflowId?: undefined } | { workflowId: string; runbookId?: undefined };

/** The version an execution ran: the runbook's for a runbook execution, the workflow's for a workflow one. */
export function ranVersion(execution: ExecutionSummary): string {
  return versionLabel(execution.kind === "workflow" ? execution.workflow_version : execution.runbook_version);
}

export function RecentExecutions({ of, current }: { of: Of; current: number }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const executions = useExecutions({ ...of, cursor: cursors[cursors.length - 1] });
  const items = executions.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="recent-executions-title">
      <h2 id="recent-executions-title">Executions</h2>
      <p className="muted">Each ran the version shown (the current one is v{current}): saving a new version never changes a started execution.</p>
      {executions.isPending ? <Loading label="Loading executions…" /> : null}
      {executions.isError ? <ErrorState error={executions.error} onRetry={() => void executions.refetch()} /> : null}
      {executions.data && !items.length ? <p className="muted">No executions you may see yet.</p> : null}
      {items.length ? (
        <>
          <div className="table-scroll">
            <table className="table" aria-label="Executions and the version each ran" aria-busy={executions.isFetching}>
              <thead>
                <tr>
                  <th scope="col">Execution</th>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                {items.map((execution) => (
                  <tr key={execution.id}>
                    <td data-label="Execution">
                      <Link to={`/executions/${execution.id}`} className="mono">
                        {execution.id.slice(0, 8)}
                      </Link>
                    </td>
                    <td data-label="Version">{ranVersion(execution)}</td>
                    <td data-label="Status">
                      <Badge tone={executionStatusTone(execution.status)}>{execution.status.replace("_", " ")}</Badge>
                    </td>
                    <td data-label="Started">
                      <DateTime value={execution.started_at ?? execution.created_at} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Pages of executions" cursors={cursors} setCursors={setCursors} next={executions.data?.next_cursor ?? null} />
        </>
      ) : null}
    </section>
  );
}
