// How long the approvals still pending have been waiting: a histogram of six age buckets.
import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { usePendingByAge } from "./api";
import { COLORS } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
import { ageBars, hideZero } from "./shape";

const SIZE = { width: 480, height: 240 };

export function PendingAgeChart({ query }: { query: InsightsQuery }) {
  const figures = usePendingByAge(query);
  return (
    <InsightCard
      title="Pending by age"
      description="Approvals still waiting, by how long ago they opened."
      csv={csvHref("/api/insights/approvals/pending-by-age", query)}
      figures={figures}
      empty="Nothing is pending"
      isEmpty={(data) => data.items.every((r) => r.count === 0)}
    >
      {(data) => (
        <ChartFigure label="Pending approvals by age">
          <ResponsiveContainer width="100%" height={SIZE.height} initialDimension={SIZE}>
            <BarChart data={ageBars(data.items)} margin={{ top: 20, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="name" />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip />
              <Bar dataKey="count" name="Pending" fill={COLORS.warn} isAnimationActive={false}>
                <LabelList dataKey="count" position="top" formatter={hideZero} />
              </Bar>
            </BarChart>
          </ResponsiveContainer>
        </ChartFigure>
      )}
    </InsightCard>
  );
}
