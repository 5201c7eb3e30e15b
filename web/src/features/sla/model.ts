// What the service-level forms edit, as text a person types, and the API bodies made from it. Nothing is checked
// here: the API names every bad value (`working_hours.mon.0`, `holidays.3`, `targets.1.minutes`) beside its field.
import type { BusinessCalendar, BusinessCalendarIn, SlaPolicy, SlaPolicyIn } from "../../api/sla";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};

export interface CalendarDraft {
  name: string;
  timeZone: string;
  /** Per weekday, its open intervals as "09:00-12:00, 13:00-17:00" (empty: closed). */
  hours: Record<Weekday, string>;
  /** Closed dates, one per line (or separated by commas or spaces). */
  holidays: string;
}

type Interval = { start: string; end: string };

export function hoursText(spans: readonly Interval[] | undefined): string {
  return (spans ?? []).map((s) => `${s.start}-${s.end}`).join(", ");
}

/** "09:00-12:00, 13:00-17:00" → intervals; a piece without "-" becomes an interval the API refuses by name. */
export function parseHours(text: string): Interval[] {
  return text
    .split(/[,;]/)
    .map((piece) => piece.trim())
    .filter(Boolean)
    .map((piece) => {
      const dash = piece.indexOf("-");
      return dash < 0 ? { start: piece, end: "" } : { start: piece.slice(0, dash).trim(), end: piece.slice(dash + 1).trim() };
    });
}

export function parseDates(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

export function calendarDraft(calendar?: BusinessCalendar): CalendarDraft {
  const weekdays = new Set<Weekday>(["mon", "tue", "wed", "thu", "fri"]);
  const hours = Object.fromEntries(
    WEEKDAYS.map((day) => [day, calendar ? hoursText(calendar.working_hours[day]) : weekdays.has(day) ? "09:00-17:00" : ""]),
  ) as Record<Weekday, string>;
  return {
    name: calendar?.name ?? "",
    timeZone: calendar?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    hours,
    holidays: (calendar?.holidays ?? []).join("\n"),
  };
}

export function calendarBody(draft: CalendarDraft): BusinessCalendarIn {
  const working_hours: NonNullable<BusinessCalendarIn["working_hours"]> = {};
  for (const day of WEEKDAYS) {
    const spans = parseHours(draft.hours[day]);
    if (spans.length) working_hours[day] = spans;
  }
  return { name: draft.name.trim(), time_zone: draft.timeZone.trim(), working_hours, holidays: parseDates(draft.holidays) };
}

const dayName = (day: Weekday) => `${day.slice(0, 1).toUpperCase()}${day.slice(1)}`;

/** "Mon–Thu 09:00-17:00; Fri 09:00-13:00": a calendar's week for its table row (runs of equal days joined). */
export function weekSummary(calendar: BusinessCalendar): string {
  const runs: { first: Weekday; last: Weekday; hours: string }[] = [];
  WEEKDAYS.forEach((day, i) => {
    const hours = hoursText(calendar.working_hours[day]);
    const run = runs[runs.length - 1];
    if (!hours) return;
    if (run && run.hours === hours && WEEKDAYS[i - 1] === run.last) run.last = day;
    else runs.push({ first: day, last: day, hours });
  });
  if (!runs.length) return "closed";
  return runs.map((r) => `${dayName(r.first)}${r.first === r.last ? "" : `–${dayName(r.last)}`} ${r.hours}`).join("; ");
}

export type TargetKind = "approval" | "approval_step" | "fulfilment" | "resolution";
export const TARGET_NAMES: Record<TargetKind, string> = {
  approval: "Approval (whole ladder)",
  approval_step: "Approval step",
  fulfilment: "Fulfilment",
  resolution: "Resolution (submit to end)",
};

export interface TargetDraft {
  target: TargetKind;
  /** 1-based, as people count ladder steps (approval_step only). */
  step: string;
  minutes: string;
  clock: "business" | "wall";
}

export interface PolicyDraft {
  name: string;
  calendarId: string;
  warnPercent: string;
  targets: TargetDraft[];
  changeTypes: string[];
  pauseOnRequester: boolean;
}

export const CHANGE_TYPES = ["standard", "normal", "emergency"] as const;

export function emptyTarget(): TargetDraft {
  return { target: "resolution", step: "1", minutes: "480", clock: "business" };
}

export function policyDraft(policy?: SlaPolicy): PolicyDraft {
  return {
    name: policy?.name ?? "",
    calendarId: policy?.calendar_id ?? "",
    warnPercent: String(policy?.warn_percent ?? 80),
    targets: policy
      ? policy.targets.map((t) => ({
          target: String(t.target) as TargetKind,
          step: typeof t.step === "number" ? String(t.step + 1) : "1",
          minutes: String(t.minutes),
          clock: t.clock === "wall" ? "wall" : "business",
        }))
      : [emptyTarget()],
    changeTypes: policy?.change_types ?? [],
    pauseOnRequester: policy?.pause_on_requester ?? false,
  };
}

/** A number field's text as the API gets it: a number when it reads as one, else the text itself (a 422 by name). */
function numeric(text: string): number {
  const trimmed = text.trim();
  return (trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed) as number;
}

export function policyBody(draft: PolicyDraft): SlaPolicyIn {
  return {
    name: draft.name.trim(),
    calendar_id: draft.calendarId || null,
    warn_percent: numeric(draft.warnPercent),
    change_types: draft.changeTypes as SlaPolicyIn["change_types"],
    pause_on_requester: draft.pauseOnRequester,
    targets: draft.targets.map((t) => {
      const target = { target: t.target, minutes: numeric(t.minutes), clock: t.clock };
      const step = numeric(t.step);
      return (t.target === "approval_step" ? { ...target, step: typeof step === "number" ? step - 1 : step } : target) as SlaPolicyIn["targets"][number];
    }),
  };
}

/** "2 h 30 min" for a target's minutes. */
export function minutesText(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? `${days} d` : "", hours ? `${hours} h` : "", rest ? `${rest} min` : ""].filter(Boolean).join(" ") || "0 min";
}

export function targetSummary(target: SlaPolicy["targets"][number]): string {
  const kind = String(target.target) as TargetKind;
  const name = kind === "approval_step" ? `Approval step ${Number(target.step) + 1}` : (TARGET_NAMES[kind] ?? kind).replace(/ \(.*\)$/, "");
  return `${name}: ${minutesText(Number(target.minutes))} ${target.clock === "wall" ? "wall clock" : "business time"}`;
}
