// SLA compliance per month (UTC) and target: the share of clocks met among those met or breached.
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useSlaCompliance } from "./api";
import { TARGET_COLORS } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
import { complianceSeries } from "./shape";

const SIZE = { width: 480, height: 240 };
const TARGET_NAMES: Record<string, string> = { approval: "Approval", fulfilment: "Fulfilment", resolution: "Resolution" };

export function SlaComplianceChart({ query }: { query: InsightsQuery }) {
  const figures = useSlaCompliance(query);
  return (
    <InsightCard
      title="SLA compliance"
      description="Service-level clocks met, per month, of those that finished met or breached."
      csv={csvHref("/api/insights/sla/compliance", query)}
      figures={figures}
      empty="No SLA clock finished in this range"
    >
      {(data) => {
        const { targets, series } = complianceSeries(data.items);
        return (
          <ChartFigure label="SLA compliance per month in percent">
            <ResponsiveContainer width="100%" height={SIZE.height} initialDimension={SIZE}>
              <BarChart data={series} margin={{ top: 20, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="label" />
                <YAxis domain={[0, 100]} unit="%" width={48} />
                <Tooltip />
                <Legend />
                {targets.map((t) => (
                  <Bar key={t} dataKey={t} name={TARGET_NAMES[t] ?? t} fill={TARGET_COLORS[t] ?? "#566070"} isAnimationActive={false}>
                    <LabelList dataKey={t} position="top" formatter={(v: unknown) => (v === null || v === undefined ? "" : `${String(v)}%`)} />
                  </Bar>
                ))}
              </BarChart>
            </ResponsiveContainer>
          </ChartFigure>
        );
      }}
    </InsightCard>
  );
}
