// Approved vs rejected (and cancelled) approvals per definition, finished in the range.
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useOutcomes } from "./api";
import { COLORS } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
import { hideZero, outcomeBars } from "./shape";

export function OutcomesChart({ query }: { query: InsightsQuery }) {
  const figures = useOutcomes(query);
  return (
    <InsightCard
      title="Outcomes"
      description="Approvals finished in the range, per definition."
      csv={csvHref("/api/insights/approvals/outcomes", query)}
      figures={figures}
      empty="No approval finished in this range"
    >
      {(data) => {
        const bars = outcomeBars(data.items);
        const height = 60 + bars.length * 44;
        return (
          <>
            <ChartFigure label="Approved and rejected per definition">
              <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 480, height }}>
                <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="name" width={140} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="approved" name="Approved" stackId="o" fill={COLORS.approved} isAnimationActive={false}>
                    <LabelList dataKey="approved" position="center" fill="#fff" formatter={hideZero} />
                  </Bar>
                  <Bar dataKey="rejected" name="Rejected" stackId="o" fill={COLORS.rejected} isAnimationActive={false}>
                    <LabelList dataKey="rejected" position="center" fill="#fff" formatter={hideZero} />
                  </Bar>
                  <Bar dataKey="cancelled" name="Cancelled" stackId="o" fill={COLORS.cancelled} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </ChartFigure>
            <ul className="insight-rates" aria-label="Approval rates">
              {bars.map((b) => (
                <li key={b.name}>
                  {b.name}: {b.approvalPercent === null ? "—" : `${b.approvalPercent}% approved`}
                </li>
              ))}
            </ul>
          </>
        );
      }}
    </InsightCard>
  );
}
