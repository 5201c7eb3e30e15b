// SLA clocks in the UI: a clock's badge tone and words ("1 h 20 min left", "overdue 5 min", "met"), and the most
// urgent clock of a record for queue columns. Pure; SlaClocks and the fulfiller queue use them.

export interface SlaClock {
  target: string;
  /** The ladder rung (from 0) of an `approval_step` clock. */
  step?: number | null;
  state: string;
  warn_at: string;
  due_at: string;
  stopped_at?: string | null;
  /** Since when a paused clock (its request awaits the requester) has not counted. */
  paused_at?: string | null;
}

type Tone = "neutral" | "good" | "bad" | "warn" | "info";

/** Green while on time, amber past the warning, red once late or breached; grey when cancelled. */
export function slaTone(clock: SlaClock, now: number = Date.now()): Tone {
  if (clock.state === "cancelled") return "neutral";
  if (clock.state === "paused") return "info";
  if (clock.state === "breached") return "bad";
  if (clock.state === "met") return "good";
  if (now >= new Date(clock.due_at).getTime()) return "bad";
  return now >= new Date(clock.warn_at).getTime() ? "warn" : "good";
}

/** "3 min", "2 h 5 min", "4 days 3 h" for a span in milliseconds. */
export function span(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} days ${hours % 24} h` : `${days} days`;
}

/** What a clock says now: time left while it runs, how late it is, or how it ended. */
export function slaWords(clock: SlaClock, now: number = Date.now()): string {
  if (clock.state === "paused") return `paused, ${span(new Date(clock.due_at).getTime() - new Date(clock.paused_at ?? now).getTime())} left`;
  const left = new Date(clock.due_at).getTime() - now;
  if (clock.state === "cancelled") return "cancelled";
  if (clock.stopped_at) return clock.state === "met" ? "met" : "breached";
  if (left >= 0) return `${span(left)} left`;
  return `overdue ${span(-left)}`;
}

/** The running clock due soonest, else none: what a queue row shows and sorts by. */
export function mostUrgent<T extends SlaClock>(clocks: readonly T[]): T | undefined {
  const running = clocks.filter((c) => !c.stopped_at && c.state !== "cancelled" && c.state !== "paused");
  return running.sort((a, b) => new Date(a.due_at).getTime() - new Date(b.due_at).getTime())[0];
}

export function targetLabel(target: string, step?: number | null): string {
  if (target === "approval_step") return `Approval step ${(step ?? 0) + 1}`;
  return { approval: "Approval", fulfilment: "Fulfilment", resolution: "Resolution" }[target] ?? target;
}
