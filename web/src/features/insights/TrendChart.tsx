// Decisions (approved, rejected) and service requests submitted per UTC day of the range.
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useTrends } from "./api";
import { COLORS } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
import { trendSeries, trendTotals } from "./shape";

const SIZE = { width: 800, height: 260 };

export function TrendChart({ query }: { query: InsightsQuery }) {
  const trends = useTrends(query);
  return (
    <InsightCard
      title="Trends"
      description="Approval decisions and service requests submitted per day (UTC)."
      csv={csvHref("/api/insights/trends", query)}
      figures={trends}
      empty="Nothing was submitted or decided in this range"
      isEmpty={(data) => Object.values(trendTotals(data.items)).every((n) => n === 0)}
      wide
    >
      {(data) => {
        const totals = trendTotals(data.items);
        const dot = data.items.length <= 31; // a point per day reads well up to a month
        return (
          <>
            <p className="insight-totals" aria-label="Totals in this range">
              <span>{totals.submitted} submitted</span>
              <span>{totals.approved} approved</span>
              <span>{totals.rejected} rejected</span>
            </p>
            <ChartFigure label="Decisions and submissions per day">
              <ResponsiveContainer width="100%" height={SIZE.height} initialDimension={SIZE}>
                <LineChart data={trendSeries(data.items)} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" minTickGap={24} />
                  <YAxis allowDecimals={false} width={40} />
                  <Tooltip />
                  <Legend />
                  <Line type="monotone" dataKey="submitted" name="Submitted" stroke={COLORS.submitted} dot={dot} isAnimationActive={false} />
                  <Line type="monotone" dataKey="approved" name="Approved" stroke={COLORS.approved} dot={dot} isAnimationActive={false} />
                  <Line type="monotone" dataKey="rejected" name="Rejected" stroke={COLORS.rejected} dot={dot} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </ChartFigure>
          </>
        );
      }}
    </InsightCard>
  );
}
