// The Insights page's filters as URL query state (?range=90d&catalog_item_id=…) and as the API's query parameters.

export const RANGES = [
  { key: "7d", label: "Last 7 days", days: 7 },
  { key: "30d", label: "Last 30 days", days: 30 },
  { key: "90d", label: "Last 90 days", days: 90 },
  { key: "365d", label: "Last 12 months", days: 365 },
] as const;

export type RangeKey = (typeof RANGES)[number]["key"];
export const DEFAULT_RANGE: RangeKey = "30d";

export interface InsightsFilters {
  range: RangeKey;
  catalogItemId: string;
  definitionId: string;
  workflowId: string;
}

/** What the API takes on every /api/insights route. */
export interface InsightsQuery {
  from: string;
  to: string;
  catalog_item_id?: string;
  definition_id?: string;
  workflow_id?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidOr(value: string | null): string {
  return value && UUID.test(value) ? value.toLowerCase() : "";
}

function isRange(value: string | null): value is RangeKey {
  return RANGES.some((r) => r.key === value);
}

/** The filters a URL asks for; anything unknown or malformed falls back to the default (no 422 from a bad link). */
export function filtersFromParams(params: URLSearchParams): InsightsFilters {
  const range = params.get("range");
  return {
    range: isRange(range) ? range : DEFAULT_RANGE,
    catalogItemId: uuidOr(params.get("catalog_item_id")),
    definitionId: uuidOr(params.get("definition_id")),
    workflowId: uuidOr(params.get("workflow_id")),
  };
}

/** The URL query of `filters`, without the defaults (so the plain /insights link stays plain). */
export function filtersToParams(filters: InsightsFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.range !== DEFAULT_RANGE) params.set("range", filters.range);
  if (filters.catalogItemId) params.set("catalog_item_id", filters.catalogItemId);
  if (filters.definitionId) params.set("definition_id", filters.definitionId);
  if (filters.workflowId) params.set("workflow_id", filters.workflowId);
  return params;
}

const DAY_MS = 86_400_000;

/**
 * The API query of `filters` at `now`: whole UTC days ending with today (`to` is the next midnight, exclusive), so
 * the query — and its cache key — stays the same all day, and the trend chart has exactly `days` days.
 */
export function toApiQuery(filters: InsightsFilters, now: Date): InsightsQuery {
  const days = RANGES.find((r) => r.key === filters.range)?.days ?? 30;
  const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
  const query: InsightsQuery = { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
  if (filters.catalogItemId) query.catalog_item_id = filters.catalogItemId;
  if (filters.definitionId) query.definition_id = filters.definitionId;
  if (filters.workflowId) query.workflow_id = filters.workflowId;
  return query;
}

/** The CSV download of one route with the same filters (the session cookie authenticates the plain GET). */
export function csvHref(path: string, query: InsightsQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...query, ...extra, format: "csv" } as Record<string, string>);
  return `${path}?${params.toString()}`;
}
