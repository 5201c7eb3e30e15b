// Fulfilment per catalog item: how many were fulfilled or failed, lead time and fulfilment time (p50 / p90).
import { useFulfillmentByItem } from "./api";
import { csvHref, type InsightsQuery } from "./filters";
import { InsightCard } from "./InsightCard";
import { formatDuration } from "./shape";

export function FulfillmentTable({ query }: { query: InsightsQuery }) {
  const figures = useFulfillmentByItem(query);
  return (
    <InsightCard
      title="Fulfilment by catalog item"
      description="Lead time runs from submission to closing; fulfilment time from the approval's end."
      csv={csvHref("/api/insights/fulfillment/by-item", query)}
      figures={figures}
      empty="No request was closed in this range"
      wide
    >
      {(data) => (
        <table className="table">
          <caption className="visually-hidden">Fulfilment by catalog item</caption>
          <thead>
            <tr>
              <th scope="col">Catalog item</th>
              <th scope="col">Fulfilled</th>
              <th scope="col">Failed</th>
              <th scope="col">Lead p50</th>
              <th scope="col">Lead p90</th>
              <th scope="col">Fulfilment p50</th>
              <th scope="col">Fulfilment p90</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((row) => (
              <tr key={row.catalog_item_id ?? "none"}>
                <td data-label="Catalog item">{row.catalog_item_name ?? "—"}</td>
                <td data-label="Fulfilled">{row.fulfilled}</td>
                <td data-label="Failed">{row.failed}</td>
                <td data-label="Lead p50">{formatDuration(row.lead_p50_seconds)}</td>
                <td data-label="Lead p90">{formatDuration(row.lead_p90_seconds)}</td>
                <td data-label="Fulfilment p50">{formatDuration(row.fulfilment_p50_seconds)}</td>
                <td data-label="Fulfilment p90">{formatDuration(row.fulfilment_p90_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </InsightCard>
  );
}
