// Automation tables: failure hot spots (steps that fail most) and approval gate waits per workflow step.
import { DateTime } from "../../components/Page";
import { useFailures, useGateWaits } from "./api";
import { csvHref, type InsightsQuery } from "./filters";
import { InsightCard } from "./InsightCard";
import { formatDuration, percent } from "./shape";

export function FailuresTable({ query }: { query: InsightsQuery }) {
  const figures = useFailures(query);
  return (
    <InsightCard
      title="Failure hot spots"
      description="Workflow steps that failed or timed out, most failures first."
      csv={csvHref("/api/insights/automation/failures", query)}
      figures={figures}
      empty="No step failed in this range"
      wide
    >
      {(data) => (
        <table className="table">
          <caption className="visually-hidden">Failure hot spots</caption>
          <thead>
            <tr>
              <th scope="col">Workflow · step</th>
              <th scope="col">Failures</th>
              <th scope="col">Runs</th>
              <th scope="col">Failure rate</th>
              <th scope="col">Last failed</th>
              <th scope="col">Last reason</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((row) => (
              <tr key={`${row.workflow_id ?? ""}:${row.step_id}`}>
                <td data-label="Workflow · step">
                  {row.workflow_name ?? "—"} · {row.step_name}
                </td>
                <td data-label="Failures">{row.failures}</td>
                <td data-label="Runs">{row.runs}</td>
                <td data-label="Failure rate">{percent(row.failure_rate)}%</td>
                <td data-label="Last failed">
                  <DateTime value={row.last_failed_at} />
                </td>
                <td data-label="Last reason">{row.last_reason ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </InsightCard>
  );
}

export function GateWaitsTable({ query }: { query: InsightsQuery }) {
  const figures = useGateWaits(query);
  return (
    <InsightCard
      title="Gate waits"
      description="Approval gates in workflows: how long a decision took (decided gates) and how many still wait."
      csv={csvHref("/api/insights/automation/gate-waits", query)}
      figures={figures}
      empty="No approval gate opened in this range"
      wide
    >
      {(data) => (
        <table className="table">
          <caption className="visually-hidden">Gate waits</caption>
          <thead>
            <tr>
              <th scope="col">Workflow · gate</th>
              <th scope="col">Opened</th>
              <th scope="col">Pending</th>
              <th scope="col">Approved</th>
              <th scope="col">Rejected</th>
              <th scope="col">Timed out</th>
              <th scope="col">Wait p50</th>
              <th scope="col">Wait p90</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((row) => (
              <tr key={`${row.workflow_id ?? ""}:${row.step_id}`}>
                <td data-label="Workflow · gate">
                  {row.workflow_name ?? "—"} · {row.step_id}
                </td>
                <td data-label="Opened">{row.count}</td>
                <td data-label="Pending">{row.pending}</td>
                <td data-label="Approved">{row.approved}</td>
                <td data-label="Rejected">{row.rejected}</td>
                <td data-label="Timed out">{row.timed_out}</td>
                <td data-label="Wait p50">{formatDuration(row.p50_seconds)}</td>
                <td data-label="Wait p90">{formatDuration(row.p90_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </InsightCard>
  );
}
