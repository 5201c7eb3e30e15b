// /workflows (where /workflow redirects): the automation workflows of the tenant, cursor pages, and "New workflow".
import { useState } from "react";
import { Link } from "react-router";

import { DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { useWorkflows } from "./api";
import { Pager } from "../../components/Pager";

export function WorkflowsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const workflows = useWorkflows(cursors[cursors.length - 1]);
  const newWorkflow = (
    <Link to="/workflows/new" className="button button--primary">
      New workflow
    </Link>
  );
  return (
    <>
      <PageHeader
        title="Automation workflows"
        description="Runbook chains with approvals, conditions, notifications and delays."
        actions={
          <>
            <Link to="/executions" className="button">
              Executions
            </Link>
            {newWorkflow}
          </>
        }
      />
      {workflows.isPending ? <Loading label="Loading workflows…" /> : null}
      {workflows.isError ? <ErrorState error={workflows.error} onRetry={() => void workflows.refetch()} /> : null}
      {workflows.data && !workflows.data.items.length && !cursors.length ? (
        <EmptyState title="No workflows yet" action={newWorkflow}>
          <p>A workflow chains runbooks with approval gates, conditions, notifications and delays, drawn on a canvas.</p>
        </EmptyState>
      ) : null}
      {workflows.data && workflows.data.items.length ? (
        <>
          <table className="table" aria-busy={workflows.isFetching}>
            <caption className="visually-hidden">Automation workflows</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Steps</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {workflows.data.items.map((workflow) => (
                <tr key={workflow.id}>
                  <td data-label="Name">
                    <Link to={`/workflows/${workflow.id}`} className="cell-title">
                      {workflow.name}
                    </Link>
                    {workflow.description ? <div className="muted">{workflow.description}</div> : null}
                  </td>
                  <td data-label="Version">v{workflow.version}</td>
                  <td data-label="Steps">{workflow.steps.length}</td>
                  <td data-label="Updated">
                    <DateTime value={workflow.updated_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of workflows" cursors={cursors} setCursors={setCursors} next={workflows.data.next_cursor} />
        </>
      ) : null}
    </>
  );
}
