// A horizontal bar chart of p50 and p90 durations per row (time to decision, step durations), in one unit.
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { COLORS } from "./colors";
import { ChartFigure } from "./InsightCard";
import type { durationBars } from "./shape";

type Bars = ReturnType<typeof durationBars>;

export function PercentileBars({ label, unit, bars, rowHeight, nameWidth }: Bars & { label: string; rowHeight: number; nameWidth: number }) {
  const height = 60 + bars.length * rowHeight;
  return (
    <ChartFigure label={label}>
      <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 480, height }}>
        <BarChart data={bars} layout="vertical" margin={{ top: 4, right: 40, bottom: 4, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" unit={` ${unit.short}`} />
          <YAxis type="category" dataKey="name" width={nameWidth} />
          <Tooltip />
          <Legend />
          {(["p50", "p90"] as const).map((key) => (
            <Bar key={key} dataKey={key} name={`${key} (${unit.label})`} fill={COLORS[key]} isAnimationActive={false}>
              <LabelList dataKey={key} position="right" />
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
