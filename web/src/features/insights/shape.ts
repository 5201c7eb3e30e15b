// Pure data shaping for the Insights charts: the API's rows (durations in seconds, rates 0..1) into the series the
// charts draw (hours or days, percentages), labels, and where a waiting item lives in the app.

/** A unit to draw durations in, picked from the largest value so the axis reads in small numbers. */
export interface DurationUnit {
  label: "seconds" | "minutes" | "hours" | "days";
  short: string;
  seconds: number;
}

const UNITS: DurationUnit[] = [
  { label: "seconds", short: "s", seconds: 1 },
  { label: "minutes", short: "min", seconds: 60 },
  { label: "hours", short: "h", seconds: 3600 },
  { label: "days", short: "d", seconds: 86_400 },
];

export function unitFor(maxSeconds: number): DurationUnit {
  let chosen = UNITS[0] as DurationUnit;
  for (const unit of UNITS) if (maxSeconds >= unit.seconds * 2) chosen = unit;
  return chosen;
}

/** One significant decimal below 10, whole numbers above: 0.5, 7.3, 42. */
export function round(value: number): number {
  return Math.abs(value) < 10 ? Math.round(value * 10) / 10 : Math.round(value);
}

/** A duration for people: "45 s", "12 min", "3.5 h", "2.1 d"; "—" for none. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const unit = unitFor(seconds);
  return `${round(seconds / unit.seconds)} ${unit.short}`;
}

/** A bar's label: its count, or nothing for a zero (a zero-width segment would carry a stray "0"). */
export function hideZero(value: unknown): string {
  return typeof value === "number" && value !== 0 ? String(value) : "";
}

export function percent(rate: number | null | undefined): number | null {
  return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-12-07" → "7 Dec" (the day is a UTC date; no time zone shift). */
export function dayLabel(day: string): string {
  const [, month, date] = day.split("-").map(Number);
  return `${date ?? ""} ${MONTHS[(month ?? 1) - 1] ?? ""}`.trim();
}

/** "2026-12" → "Dec 2026". */
export function monthLabel(month: string): string {
  const [year, m] = month.split("-").map(Number);
  return `${MONTHS[(m ?? 1) - 1] ?? ""} ${year ?? ""}`.trim();
}

export interface TrendRow {
  day: string;
  approved: number;
  rejected: number;
  submitted: number;
}

export function trendSeries(rows: readonly TrendRow[]) {
  return rows.map((r) => ({ ...r, label: dayLabel(r.day), decided: r.approved + r.rejected }));
}

export function trendTotals(rows: readonly TrendRow[]) {
  return rows.reduce(
    (sum, r) => ({ approved: sum.approved + r.approved, rejected: sum.rejected + r.rejected, submitted: sum.submitted + r.submitted }),
    { approved: 0, rejected: 0, submitted: 0 },
  );
}

export type GroupBy = "definition" | "step" | "approver";

export interface DurationRow {
  definition_name?: string | null;
  step_name?: string | null;
  approver_name?: string | null;
  workflow_name?: string | null;
  count: number;
  p50_seconds: number | null;
  p90_seconds: number | null;
}

/** What a time-to-decision or step-duration row is about, in words. */
export function durationName(row: DurationRow, groupBy: GroupBy | "workflow_step"): string {
  const unnamed = "(unnamed)";
  if (groupBy === "approver") return row.approver_name ?? unnamed;
  if (groupBy === "step") return `${row.definition_name ?? unnamed} · ${row.step_name ?? unnamed}`;
  if (groupBy === "workflow_step") return `${row.workflow_name ?? unnamed} · ${row.step_name ?? unnamed}`;
  return row.definition_name ?? unnamed;
}

/** Bars of p50 and p90 in one unit for all rows (rows with no decided item are left out: nothing to draw). */
export function durationBars(rows: readonly DurationRow[], groupBy: GroupBy | "workflow_step") {
  const drawn = rows.filter((r) => r.count > 0 && r.p50_seconds !== null);
  const unit = unitFor(Math.max(0, ...drawn.map((r) => r.p90_seconds ?? r.p50_seconds ?? 0)));
  const bars = drawn.map((r) => ({
    name: durationName(r, groupBy),
    count: r.count,
    p50: round((r.p50_seconds ?? 0) / unit.seconds),
    p90: round((r.p90_seconds ?? r.p50_seconds ?? 0) / unit.seconds),
  }));
  return { unit, bars };
}

export interface OutcomeRow {
  definition_name: string | null;
  approved: number;
  rejected: number;
  cancelled: number;
  approval_rate: number | null;
}

export function outcomeBars(rows: readonly OutcomeRow[]) {
  return rows.map((r) => ({
    name: r.definition_name ?? "(unnamed)",
    approved: r.approved,
    rejected: r.rejected,
    cancelled: r.cancelled,
    approvalPercent: percent(r.approval_rate),
  }));
}

const BUCKET_LABELS: Record<string, string> = {
  lt_1h: "< 1 h",
  "1h_4h": "1–4 h",
  "4h_24h": "4–24 h",
  "1d_3d": "1–3 d",
  "3d_7d": "3–7 d",
  gt_7d: "> 7 d",
};

export function ageBars(rows: readonly { bucket: string; count: number }[]) {
  return rows.map((r) => ({ name: BUCKET_LABELS[r.bucket] ?? r.bucket, count: r.count }));
}

export const SLA_TARGETS = ["approval", "fulfilment", "resolution"] as const;

export interface ComplianceRow {
  month: string;
  target: string;
  met: number;
  breached: number;
}

/** Compliance % per month and target, summed over the items shown (months in order, a target with no clock: null). */
export function complianceSeries(rows: readonly ComplianceRow[]) {
  const months = [...new Set(rows.map((r) => r.month))].sort();
  const targets = SLA_TARGETS.filter((t) => rows.some((r) => r.target === t));
  const series = months.map((month) => {
    const point: Record<string, string | number | null> = { month, label: monthLabel(month) };
    for (const target of targets) {
      const of = rows.filter((r) => r.month === month && r.target === target);
      const met = of.reduce((s, r) => s + r.met, 0);
      const all = met + of.reduce((s, r) => s + r.breached, 0);
      point[target] = all ? Math.round((met / all) * 1000) / 10 : null;
    }
    return point;
  });
  return { targets, series };
}

/** Executions per workflow as one stacked bar each, a key per status (statuses in a fixed, readable order). */
export function executionStacks(rows: readonly { workflow_name: string | null; status: string; count: number }[]) {
  const ORDER = ["succeeded", "running", "waiting", "queued", "failed", "rejected", "timed_out", "cancelled"];
  const statuses = [...new Set(rows.map((r) => r.status))].sort((a, b) => {
    const ia = ORDER.indexOf(a) < 0 ? ORDER.length : ORDER.indexOf(a);
    const ib = ORDER.indexOf(b) < 0 ? ORDER.length : ORDER.indexOf(b);
    return ia - ib || a.localeCompare(b);
  });
  const byWorkflow = new Map<string, Record<string, string | number>>();
  for (const r of rows) {
    const name = r.workflow_name ?? "(unnamed)";
    const stack = byWorkflow.get(name) ?? { name };
    stack[r.status] = ((stack[r.status] as number | undefined) ?? 0) + r.count;
    byWorkflow.set(name, stack);
  }
  return { statuses, stacks: [...byWorkflow.values()] };
}

/** Where a waiting item opens: a service request's page, a change's page, else the approval itself. */
export function waitingItemPath(item: { instance_id: string; record_type: string; record_id: string }): string {
  if (item.record_type === "service_request") return `/portal/requests/${item.record_id}`;
  if (item.record_type === "change_request") return `/itsm/changes/${item.record_id}`;
  return `/approvals/instances/${item.instance_id}`;
}

/**
 * A waiting item's link text: its record's number (REQ…, CHG…); for a record without one (another kind), its title,
 * else its kind and short id. The title of a numbered item is shown beside the link (`waitingItemTitle`).
 */
export function waitingItemLabel(item: { record_type: string; record_id: string; title?: string | null; record_number?: string | null }): string {
  if (item.record_number) return item.record_number;
  if (item.title) return item.title;
  const kind = item.record_type === "change_request" ? "Change" : item.record_type === "service_request" ? "Request" : "Approval";
  return `${kind} ${item.record_id.slice(0, 8)}`;
}

/** The title shown beside a waiting item's link: only when the link is its number (else the link is the title). */
export function waitingItemTitle(item: { title?: string | null; record_number?: string | null }): string | null {
  return item.record_number && item.title ? item.title : null;
}
