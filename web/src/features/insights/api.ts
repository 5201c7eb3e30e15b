// The Insights figures (`/api/insights/...`, one query per chart or table) and the workflows the filter offers.
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";
import type { InsightsQuery } from "./filters";
import type { GroupBy } from "./shape";

export type Bottleneck = Schemas["BottleneckRow"];
export type WaitingItem = Bottleneck["waiting"][number];

type Fetch<T> = (signal: AbortSignal) => Promise<T>;

/**
 * The JSON answer of an Insights route. Each route also documents its `?format=csv` text answer, so the generated
 * type is "rows or text"; without `format` the API answers JSON, which is what this asks for.
 */
async function json<T>(call: Parameters<typeof unwrap<T>>[0]): Promise<Exclude<T, string>> {
  const data = await unwrap(call);
  if (typeof data === "string") throw new TypeError("The Insights API answered text where JSON was asked for.");
  return data as Exclude<T, string>;
}

function useInsight<T>(name: string, query: InsightsQuery, fetch: Fetch<T>, enabled = true, extra: unknown = null) {
  return useQuery({
    queryKey: ["insights", name, query, extra],
    queryFn: ({ signal }) => fetch(signal),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

export const useTrends = (q: InsightsQuery) =>
  useInsight("trends", q, (signal) => json(api.GET("/api/insights/trends", { params: { query: q }, signal })));

export const useTimeToDecision = (q: InsightsQuery, groupBy: GroupBy) =>
  useInsight(
    "time-to-decision",
    q,
    (signal) => json(api.GET("/api/insights/approvals/time-to-decision", { params: { query: { ...q, group_by: groupBy } }, signal })),
    true,
    groupBy,
  );

export const useOutcomes = (q: InsightsQuery) =>
  useInsight("outcomes", q, (signal) => json(api.GET("/api/insights/approvals/outcomes", { params: { query: q }, signal })));

export const usePendingByAge = (q: InsightsQuery) =>
  useInsight("pending-by-age", q, (signal) => json(api.GET("/api/insights/approvals/pending-by-age", { params: { query: q }, signal })));

export const useBottlenecks = (q: InsightsQuery) =>
  useInsight("bottlenecks", q, (signal) => json(api.GET("/api/insights/approvals/bottlenecks", { params: { query: q }, signal })));

export const useFulfillmentByItem = (q: InsightsQuery) =>
  useInsight("fulfillment", q, (signal) => json(api.GET("/api/insights/fulfillment/by-item", { params: { query: q }, signal })));

export const useSlaCompliance = (q: InsightsQuery) =>
  useInsight("sla", q, (signal) => json(api.GET("/api/insights/sla/compliance", { params: { query: q }, signal })));

export const useExecutionCounts = (q: InsightsQuery) =>
  useInsight("executions", q, (signal) => json(api.GET("/api/insights/automation/executions", { params: { query: q }, signal })));

export const useStepDurations = (q: InsightsQuery) =>
  useInsight("step-durations", q, (signal) => json(api.GET("/api/insights/automation/step-durations", { params: { query: q }, signal })));

export const useFailures = (q: InsightsQuery) =>
  useInsight("failures", q, (signal) => json(api.GET("/api/insights/automation/failures", { params: { query: q }, signal })));

export const useGateWaits = (q: InsightsQuery) =>
  useInsight("gate-waits", q, (signal) => json(api.GET("/api/insights/automation/gate-waits", { params: { query: q }, signal })));

/** The workflows the filter offers (one page of 100; the filter is a convenience, the URL takes any id). */
export function useWorkflowChoices(enabled: boolean) {
  return useQuery({
    queryKey: ["insights", "workflow-choices"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/workflows", { params: { query: { limit: 100 } }, signal })),
    enabled,
    staleTime: 60_000,
  });
}
