// Automation: executions per workflow by status (stacked), and step durations p50 / p90 per workflow step.
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { useExecutionCounts, useStepDurations } from "./api";
import { statusColor } from "./colors";
import { csvHref, type InsightsQuery } from "./filters";
import { ChartFigure, InsightCard } from "./InsightCard";
import { PercentileBars } from "./PercentileBars";
import { durationBars, executionStacks, hideZero } from "./shape";

const heightFor = (rows: number) => 60 + rows * 44;

export function ExecutionsChart({ query }: { query: InsightsQuery }) {
  const figures = useExecutionCounts(query);
  return (
    <InsightCard
      title="Executions by status"
      description="Workflow executions started in the range."
      csv={csvHref("/api/insights/automation/executions", query)}
      figures={figures}
      empty="No workflow ran in this range"
    >
      {(data) => {
        const { statuses, stacks } = executionStacks(data.items);
        const height = heightFor(stacks.length);
        return (
          <ChartFigure label="Executions per workflow by status">
            <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 480, height }}>
              <BarChart data={stacks} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
                <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                <XAxis type="number" allowDecimals={false} />
                <YAxis type="category" dataKey="name" width={140} />
                <Tooltip />
                <Legend />
                {statuses.map((s) => (
                  <Bar key={s} dataKey={s} name={s.replace("_", " ")} stackId="e" fill={statusColor(s)} isAnimationActive={false}>
                    <LabelList dataKey={s} position="center" fill="#fff" formatter={hideZero} />
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

export function StepDurationsChart({ query }: { query: InsightsQuery }) {
  const figures = useStepDurations(query);
  return (
    <InsightCard
      title="Step durations"
      description="Finished workflow steps: the median (p50) and 90th percentile (p90) run time."
      csv={csvHref("/api/insights/automation/step-durations", query)}
      figures={figures}
      empty="No workflow step finished in this range"
    >
      {(data) => {
        const shaped = durationBars(data.items, "workflow_step");
        return <PercentileBars label={`Step durations in ${shaped.unit.label}`} {...shaped} rowHeight={44} nameWidth={160} />;
      }}
    </InsightCard>
  );
}
