// Time to decision, p50 and p90, per approval definition, step or approver (the grouping is part of the URL).
import { useSearchParams } from "react-router";
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { SelectField } from "../../components/Field";
import { useTimeToDecision } from "./api";
import { COLORS } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
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
        const { unit, bars } = durationBars(data.items, groupBy);
        return (
          <ChartFigure label={`Time to decision in ${unit.label} by ${groupBy}`}>
            <ResponsiveContainer width="100%" height={60 + bars.length * 48} initialDimension={{ width: 480, height: 60 + bars.length * 48 }}>
              <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 40, bottom: 4, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" unit={` ${unit.short}`} />
                <YAxis type="category" dataKey="name" width={140} />
                <Tooltip />
                <Legend />
                <Bar dataKey="p50" name={`p50 (${unit.label})`} fill={COLORS.p50} isAnimationActive={false}>
                  <LabelList dataKey="p50" position="right" />
                </Bar>
                <Bar dataKey="p90" name={`p90 (${unit.label})`} fill={COLORS.p90} isAnimationActive={false}>
                  <LabelList dataKey="p90" position="right" />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </ChartFigure>
        );
      }}
    </InsightCard>
  );
}
