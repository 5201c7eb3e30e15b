// Pure conversions behind the channel form: a channel's config per type as editable text fields, and back.
// Secrets come back from the API as the mask `********`; sending the mask again keeps the stored value.

export const CHANNEL_TYPES = ["email", "webhook", "apprise", "in_app", "teams"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const MASK = "********";

export const TYPE_LABELS: Record<ChannelType, string> = {
  email: "E-mail (SMTP)",
  webhook: "Webhook (JSON POST)",
  apprise: "Apprise URL (Slack, Teams, PagerDuty…)",
  in_app: "In-app inbox",
  teams: "Microsoft Teams (workflow webhook: approval cards)",
};

export interface ConfigDraft {
  host: string;
  port: string;
  tls: string;
  username: string;
  password: string;
  from: string;
  to: string;
  url: string;
  /** Webhook headers, one `Name: value` per line. */
  headers: string;
  users: string[];
  groups: string[];
}

type Json = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");
const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

export function configToDraft(config: Json | undefined): ConfigDraft {
  const c = config ?? {};
  const headers = typeof c.headers === "object" && c.headers !== null ? (c.headers as Json) : {};
  return {
    host: str(c.host),
    port: str(c.port),
    tls: str(c.tls) || "starttls",
    username: str(c.username),
    password: str(c.password),
    from: str(c.from),
    to: ids(c.to).join(", "),
    url: str(c.url),
    headers: Object.entries(headers)
      .map(([k, v]) => `${k}: ${str(v)}`)
      .join("\n"),
    users: ids(c.users),
    groups: ids(c.groups),
  };
}

/** `Name: value` lines as an object; a line without a colon is reported by its number. */
export function parseHeaderLines(text: string): { headers: Record<string, string>; error?: string } {
  const headers: Record<string, string> = {};
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return { headers, error: `Line ${i + 1} is not “Name: value”.` };
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/** The config the API expects for `type` (only that type's fields), or the one field whose text is malformed. */
export function draftToConfig(type: ChannelType, draft: ConfigDraft): { config: Json; error?: { field: string; message: string } } {
  if (type === "email") {
    const config: Json = { host: draft.host.trim(), tls: draft.tls, from: draft.from.trim() };
    if (draft.port.trim()) config.port = /^\d+$/.test(draft.port.trim()) ? Number(draft.port.trim()) : draft.port.trim();
    if (draft.username.trim()) config.username = draft.username.trim();
    if (draft.password) config.password = draft.password;
    config.to = draft.to
      .split(/[\s,;]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    return { config };
  }
  if (type === "webhook") {
    const { headers, error } = parseHeaderLines(draft.headers);
    const config: Json = { url: draft.url.trim(), headers };
    return error ? { config, error: { field: "config.headers", message: error } } : { config };
  }
  if (type === "apprise" || type === "teams") return { config: { url: draft.url.trim() } };
  return { config: { users: draft.users, groups: draft.groups } };
}

/** What the URL field of a channel type asks for; `secretHint` when a stored (masked) URL can be kept. */
export function urlHint(type: ChannelType, secretHint?: string): string {
  const keep = secretHint ? `; ${secretHint}` : "";
  if (type === "apprise") return `Any Apprise URL, e.g. slack://… or json://…${keep}`;
  if (type === "teams") return `The URL of a Teams workflow "When a Teams webhook request is received"${keep}`;
  return "Receives each notification as a JSON POST.";
}

/** One line saying where a channel sends (no secret in it: the API masked them). */
export function channelSummary(type: string, config: Json): string {
  const d = configToDraft(config);
  if (type === "email") return `${d.host}${d.port ? `:${d.port}` : ""} from ${d.from}${d.to ? ` to ${d.to}` : ""}`;
  if (type === "webhook" || type === "apprise" || type === "teams") return d.url;
  if (type === "in_app") {
    const parts = [d.users.length ? `${d.users.length} user${d.users.length === 1 ? "" : "s"}` : "", d.groups.length ? `${d.groups.length} group${d.groups.length === 1 ? "" : "s"}` : ""];
    return parts.filter(Boolean).join(", ") || "nobody";
  }
  return "";
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Where a delivery went, for people: an in-app delivery's destination is the user's id. */
export function destinationLabel(destination: string): string {
  return UUID.test(destination) ? "an in-app inbox" : destination;
}

/** A test's outcome from its deliveries: still going, every one sent, or the failures. */
export function testOutcome(deliveries: readonly { status: string; destination: string; last_error?: string | null }[]): {
  state: "pending" | "sent" | "failed";
  message: string;
} {
  if (!deliveries.length) return { state: "failed", message: "Nothing was sent: the channel has no recipients." };
  const dead = deliveries.filter((d) => d.status === "dead");
  if (dead.length) return { state: "failed", message: dead.map((d) => `${d.destination}: ${d.last_error ?? "failed"}`).join("; ") };
  if (deliveries.every((d) => d.status === "sent"))
    return { state: "sent", message: `Delivered to ${[...new Set(deliveries.map((d) => destinationLabel(d.destination)))].join(", ")}.` };
  const retrying = deliveries.filter((d) => d.status === "failed");
  if (retrying.length)
    return { state: "pending", message: `Not delivered yet, retrying: ${retrying.map((d) => `${d.destination}: ${d.last_error ?? "failed"}`).join("; ")}` };
  return { state: "pending", message: "Queued: waiting for a worker to send it…" };
}
