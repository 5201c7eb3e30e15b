// The chart colours, from the app's palette (styles.css), so charts and badges agree.
export const COLORS = {
  approved: "#116b3a",
  rejected: "#b42318",
  cancelled: "#8a94a6",
  submitted: "#1f4fd1",
  p50: "#1f4fd1",
  p90: "#8fa7ea",
  count: "#1f4fd1",
  warn: "#8a5300",
} as const;

const STATUS_COLORS: Record<string, string> = {
  succeeded: "#116b3a",
  running: "#1f4fd1",
  waiting: "#8a5300",
  queued: "#8fa7ea",
  failed: "#b42318",
  rejected: "#e07a5f",
  timed_out: "#6d3b9e",
  cancelled: "#8a94a6",
};

export const statusColor = (status: string): string => STATUS_COLORS[status] ?? "#566070";

export const TARGET_COLORS: Record<string, string> = { approval: "#1f4fd1", fulfilment: "#116b3a", resolution: "#8a5300" };
