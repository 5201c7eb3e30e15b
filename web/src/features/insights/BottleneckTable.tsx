// Who is holding approvals up now: each approver's pending count and ages, with links to the items waiting on them
// (each link reads as its record's number: REQ…, CHG…).
import { Link } from "react-router";

import { type Bottleneck, useBottlenecks } from "./api";
import { csvHref, type InsightsQuery } from "./filters";
import { InsightCard } from "./InsightCard";
import { formatDuration, waitingItemLabel, waitingItemPath, waitingItemTitle } from "./shape";

function Waiting({ row }: { row: Bottleneck }) {
  return (
    <ul className="insight-waiting" aria-label={`Waiting on ${row.approver_name}`}>
      {row.waiting.map((item) => (
        <li key={item.instance_id}>
          <Link to={waitingItemPath(item)}>{waitingItemLabel(item)}</Link>{" "}
          {waitingItemTitle(item) ? <>{waitingItemTitle(item)} </> : null}
          <span className="muted">
            {item.step_name} · {formatDuration(item.age_seconds)}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function BottleneckTable({ query }: { query: InsightsQuery }) {
  const figures = useBottlenecks(query);
  return (
    <InsightCard
      title="Bottlenecks"
      description="Approvers with open steps, the most waiting time first. Each item opens where it waits."
      csv={csvHref("/api/insights/approvals/bottlenecks", query)}
      figures={figures}
      empty="Nobody has an approval waiting"
      wide
    >
      {(data) => (
        <table className="table">
          <caption className="visually-hidden">Bottleneck approvers</caption>
          <thead>
            <tr>
              <th scope="col">Approver</th>
              <th scope="col">Pending</th>
              <th scope="col">Oldest</th>
              <th scope="col">Total waiting</th>
              <th scope="col">Waiting items</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((row) => (
              <tr key={row.approver_id}>
                <td data-label="Approver">
                  <span className="cell-title">{row.approver_name}</span>
                  <span className="muted cell-sub">{row.approver_email}</span>
                </td>
                <td data-label="Pending">{row.pending}</td>
                <td data-label="Oldest">{formatDuration(row.oldest_age_seconds)}</td>
                <td data-label="Total waiting">{formatDuration(row.age_sum_seconds)}</td>
                <td data-label="Waiting items">
                  <Waiting row={row} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </InsightCard>
  );
}
