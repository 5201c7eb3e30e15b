// Time to decision, p50 and p90, per approval definition, step or approver (the grouping is part of the URL).
import { useSearchParams } from "react-router";

import { SelectField } from "../../components/Field";
import { useTimeToDecision } from "./api";
import { csvHref, type InsightsQuery } from "./filters";
import { InsightCard } from "./InsightCard";
import { PercentileBars } from "./PercentileBars";
import { durationBars, type GroupBy } from "./shape";

const GROUPS: { value: GroupBy; label: string }[] = [
  { value: "definition", label: "Approval definition" },
  { value: "step", label: "Step" },
  { value: "approver", label: "Approver" },
];

function useGroupBy(): [GroupBy, (value: GroupBy) => void] {
  const [params, setParams] = useSearchParams();
  const current = GROUPS.find((g) => g.value === params.get("group_by"))?.value ?? "definition";
  const set = (value: GroupBy) => {
    const next = new URLSearchParams(params);
    if (value === "definition") next.delete("group_by");
    else next.set("group_by", value);
    setParams(next, { replace: true });
  };
  return [current, set];
}

export function DecisionTimeChart({ query }: { query: InsightsQuery }) {
  const [groupBy, setGroupBy] = useGroupBy();
  const figures = useTimeToDecision(query, groupBy);
  const controls = (
    <div className="insight-controls">
      <SelectField label="Group by" name="group_by" value={groupBy} onChange={(e) => setGroupBy(e.target.value as GroupBy)}>
        {GROUPS.map((g) => (
          <option key={g.value} value={g.value}>
            {g.label}
          </option>
        ))}
      </SelectField>
    </div>
  );
  return (
    <InsightCard
      title="Time to decision"
      description="From the approval opening to its decision: the median (p50) and the 90th percentile (p90)."
      csv={csvHref("/api/insights/approvals/time-to-decision", query, { group_by: groupBy })}
      figures={figures}
      empty="Nothing was decided in this range"
      controls={controls}
    >
      {(data) => {
        const shaped = durationBars(data.items, groupBy);
        return <PercentileBars label={`Time to decision in ${shaped.unit.label} by ${groupBy}`} {...shaped} rowHeight={48} nameWidth={140} />;
      }}
    </InsightCard>
  );
}
