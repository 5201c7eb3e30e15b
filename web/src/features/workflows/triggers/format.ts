// Pure helpers of the triggers panel: a trigger in words ("Every 5 min (*/5 * * * *, Europe/Berlin)"), the add/edit
// form's state turned into the API body, and the webhook's full URL and curl example.

export type TriggerKind = "schedule" | "webhook" | "itsm_event";

export const TRIGGER_KINDS: readonly TriggerKind[] = ["schedule", "webhook", "itsm_event"];

export const KIND_LABELS: Record<TriggerKind, string> = {
  schedule: "Schedule",
  webhook: "Webhook",
  itsm_event: "ITSM event",
};

export const ITSM_EVENTS = ["itsm.request.approved", "itsm.request.fulfilled", "itsm.change.approved"] as const;

export const EVENT_LABELS: Record<string, string> = {
  "itsm.request.approved": "a service request is approved",
  "itsm.request.fulfilled": "a service request is fulfilled",
  "itsm.change.approved": "a change is approved",
};

/** The form fields an API problem may name (`config.<field>`); the rest goes to the form's summary. */
export const TRIGGER_FIELDS = ["kind", "enabled", "config.cron", "config.timezone", "config.event", "config.catalog_item_id", "config.inputs"];

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_ABBREVIATIONS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const NUMBER = /^\d+$/;

function dayIndex(token: string): number | undefined {
  if (NUMBER.test(token)) {
    const n = Number(token);
    return n >= 0 && n <= 7 ? n % 7 : undefined;
  }
  const i = DAY_ABBREVIATIONS.indexOf(token.toUpperCase());
  return i >= 0 ? i : undefined;
}

/** "1-5" → "Monday to Friday", "6" → "Saturday", "1,3" → "Monday and Wednesday"; undefined when not simple. */
function describeDays(field: string): string | undefined {
  const range = /^(\w+)-(\w+)$/.exec(field);
  if (range) {
    const from = dayIndex(range[1] ?? "");
    const to = dayIndex(range[2] ?? "");
    if (from === undefined || to === undefined) return undefined;
    if (from === 1 && to === 5) return "weekday";
    return `${DAY_NAMES[from]} to ${DAY_NAMES[to]}`;
  }
  const days = field.split(",").map(dayIndex);
  if (days.some((d) => d === undefined)) return undefined;
  return joinWords(days.map((d) => DAY_NAMES[d as number] as string));
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * A five-field cron expression in words for the common shapes (every N minutes, hourly, daily, weekly, monthly);
 * anything else is "Custom schedule" (the expression itself is always shown beside it).
 */
export function describeCron(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return "Custom schedule";
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (month !== "*") return "Custom schedule";
  const step = /^\*\/(\d+)$/;
  if (hour === "*" && dom === "*" && dow === "*") {
    if (minute === "*") return "Every minute";
    const everyMinutes = step.exec(minute);
    if (everyMinutes) return Number(everyMinutes[1]) === 1 ? "Every minute" : `Every ${Number(everyMinutes[1])} min`;
    if (NUMBER.test(minute)) return `Every hour at :${pad(Number(minute))}`;
    return "Custom schedule";
  }
  if (!NUMBER.test(minute)) return "Custom schedule";
  const everyHours = step.exec(hour);
  if (everyHours && dom === "*" && dow === "*") {
    const n = Number(everyHours[1]);
    return n === 1 ? `Every hour at :${pad(Number(minute))}` : `Every ${n} hours at :${pad(Number(minute))}`;
  }
  const hours = hour.split(",");
  if (!hours.every((h) => NUMBER.test(h))) return "Custom schedule";
  const at = joinWords(hours.map((h) => `${pad(Number(h))}:${pad(Number(minute))}`));
  if (dom === "*" && dow === "*") return `Daily at ${at}`;
  if (dom === "*") {
    const days = describeDays(dow);
    return days ? `Every ${days} at ${at}` : "Custom schedule";
  }
  if (dow === "*" && NUMBER.test(dom)) return `Monthly on day ${Number(dom)} at ${at}`;
  return "Custom schedule";
}

export interface TriggerLike {
  kind: string;
  config: Record<string, unknown>;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** One line saying what starts the workflow, e.g. "Every 5 min (*\/5 * * * *, Europe/Berlin)". */
export function triggerSummary(trigger: TriggerLike, catalogNames: Readonly<Record<string, string>> = {}): string {
  const config = trigger.config;
  if (trigger.kind === "schedule") {
    const cron = text(config.cron);
    return `${describeCron(cron)} (${cron}, ${text(config.timezone) || "UTC"})`;
  }
  if (trigger.kind === "webhook") return "When its secret URL receives a POST";
  if (trigger.kind === "itsm_event") {
    const event = text(config.event);
    const item = text(config.catalog_item_id);
    const what = EVENT_LABELS[event] ?? event;
    return item ? `When ${what} (catalog item ${catalogNames[item] ?? item})` : `When ${what}`;
  }
  return trigger.kind;
}

/** The add/edit form's state: every field as typed; `inputs` is JSON text. */
export interface TriggerForm {
  kind: TriggerKind;
  enabled: boolean;
  cron: string;
  timezone: string;
  event: string;
  catalogItemId: string;
  inputs: string;
}

export function emptyForm(kind: TriggerKind, timezone = "UTC"): TriggerForm {
  return { kind, enabled: true, cron: "", timezone, event: ITSM_EVENTS[0], catalogItemId: "", inputs: "" };
}

/** The form of an existing trigger, for editing it. */
export function formOf(trigger: TriggerLike & { enabled: boolean }): TriggerForm {
  const c = trigger.config;
  const kind = (TRIGGER_KINDS as readonly string[]).includes(trigger.kind) ? (trigger.kind as TriggerKind) : "schedule";
  const inputs = c.inputs && typeof c.inputs === "object" && Object.keys(c.inputs).length ? JSON.stringify(c.inputs, null, 2) : "";
  return {
    kind,
    enabled: trigger.enabled,
    cron: text(c.cron),
    timezone: text(c.timezone) || "UTC",
    event: text(c.event) || ITSM_EVENTS[0],
    catalogItemId: text(c.catalog_item_id),
    inputs,
  };
}

export type TriggerBody = { kind: TriggerKind; enabled: boolean; config: Record<string, unknown> };

/**
 * The form as the API body, or the local error of the inputs field (not JSON, not an object): everything else is
 * left for the API to judge, so its messages appear beside the fields they name.
 */
export function formToBody(form: TriggerForm): { body: TriggerBody } | { inputsError: string } {
  const config: Record<string, unknown> = {};
  if (form.kind === "schedule") {
    config.cron = form.cron.trim();
    config.timezone = form.timezone;
  } else if (form.kind === "itsm_event") {
    config.event = form.event;
    // Only request events can be narrowed to a catalog item.
    if (form.catalogItemId && form.event.startsWith("itsm.request.")) config.catalog_item_id = form.catalogItemId;
  }
  if (form.inputs.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(form.inputs);
    } catch {
      return { inputsError: "Not valid JSON." };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { inputsError: "The inputs are a JSON object." };
    config.inputs = parsed;
  }
  return { body: { kind: form.kind, enabled: form.enabled, config } };
}

/** The webhook's full URL: the API gives the path (`/api/hooks/<token>`). */
export function webhookUrl(origin: string, path: string): string {
  return `${origin.replace(/\/+$/, "")}${path}`;
}

/** A curl command that fires the webhook with a JSON payload (shell-quoted). */
export function curlExample(url: string): string {
  return `curl -X POST -H 'Content-Type: application/json' -d '{"host": "web-1"}' '${url.replace(/'/g, "'\\''")}'`;
}

/** The time zones of the picker: UTC first, then every zone the browser knows, plus `current` if it is missing. */
export function timeZones(current: string, supported: readonly string[]): string[] {
  const zones = ["UTC", ...supported.filter((z) => z !== "UTC")];
  if (current && !zones.includes(current)) zones.splice(1, 0, current);
  return zones;
}
