// Executions: list (kind/status filters, cursor pages), one with its step runs, cancel, retry, the live events
// stream (SSE), and the automation approval gates of one execution with approve/reject.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

import { api, type Schemas, unwrap } from "./client";

export type Execution = Schemas["ExecutionRead"];
export type ExecutionSummary = Schemas["ExecutionSummary"];
export type StepRun = Schemas["StepRunRead"];
export type Gate = Schemas["GateRead"];
export type ExecutionKind = "runbook" | "workflow";

export const EXECUTION_STATUSES = ["queued", "running", "waiting", "succeeded", "failed", "rejected", "cancelled", "timed_out"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const UNFINISHED = ["queued", "running", "waiting"];
export const RETRYABLE = ["failed", "rejected"];

export const executionsKeys = {
  all: ["executions"] as const,
  list: (filters: ExecutionFilters) => ["executions", "list", filters] as const,
  detail: (id: string) => ["executions", "detail", id] as const,
  gates: (id: string) => ["executions", "gates", id] as const,
};

/** List filters; `runbookId` / `workflowId` keep one runbook's or one workflow's executions (their pages). */
export interface ExecutionFilters {
  kind?: ExecutionKind | undefined;
  status?: ExecutionStatus | undefined;
  cursor?: string | undefined;
  runbookId?: string | undefined;
  workflowId?: string | undefined;
}

type ListQuery = { kind?: ExecutionKind; status?: ExecutionStatus; cursor?: string; runbook_id?: string; workflow_id?: string };

function listExecutions(query: ListQuery, signal?: AbortSignal) {
  return unwrap(api.GET("/api/executions", { params: { query: { ...query, limit: 25 } }, signal }));
}

export function useExecutions(filters: ExecutionFilters, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: executionsKeys.list(filters),
    queryFn: ({ signal }) => {
      const query: ListQuery = {};
      if (filters.kind) query.kind = filters.kind;
      if (filters.status) query.status = filters.status;
      if (filters.cursor) query.cursor = filters.cursor;
      if (filters.runbookId) query.runbook_id = filters.runbookId;
      if (filters.workflowId) query.workflow_id = filters.workflowId;
      return listExecutions(query, signal);
    },
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
}

export function useExecution(id: string) {
  return useQuery({
    queryKey: executionsKeys.detail(id),
    queryFn: ({ signal }) => unwrap(api.GET("/api/executions/{execution_id}", { params: { path: { execution_id: id } }, signal })),
    retry: false,
  });
}

/** Follows `/events` while the execution runs: every status or step change refetches the execution and its gates. */
export function useExecutionEvents(id: string, active: boolean) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!active || typeof EventSource === "undefined") return;
    const source = new EventSource(`/api/executions/${encodeURIComponent(id)}/events`);
    let timer: number | undefined;
    const refresh = () => {
      // Several events arrive together (one per step): refetch once for the burst.
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        void queryClient.invalidateQueries({ queryKey: executionsKeys.detail(id) });
        void queryClient.invalidateQueries({ queryKey: executionsKeys.gates(id) });
      }, 100);
    };
    source.addEventListener("status", refresh);
    source.addEventListener("step", refresh);
    source.addEventListener("end", () => {
      source.close();
      refresh();
    });
    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, [id, active, queryClient]);
}

export function useCancelExecution(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/executions/{execution_id}/cancel", { params: { path: { execution_id: id } } })),
    onSuccess: (execution) => {
      queryClient.setQueryData(executionsKeys.detail(id), execution);
      return queryClient.invalidateQueries({ queryKey: ["executions", "list"] });
    },
  });
}

export function useRetryExecution(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/executions/{execution_id}/retry", { params: { path: { execution_id: id } } })),
    onSuccess: (execution) => {
      queryClient.setQueryData(executionsKeys.detail(id), execution);
      return queryClient.invalidateQueries({ queryKey: ["executions", "list"] });
    },
  });
}

const GATE_PAGES = 5;

/**
 * The pending approval gates of one execution. The API lists gates tenant-wide (no execution filter), so this
 * walks the pending ones (newest first, a few pages) and keeps this execution's.
 */
export function useExecutionGates(id: string, enabled: boolean) {
  return useQuery({
    queryKey: executionsKeys.gates(id),
    queryFn: async ({ signal }) => {
      const found: Gate[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < GATE_PAGES; page++) {
        const result = await unwrap(api.GET("/api/automation/approvals", { params: { query: { status: "pending", cursor, limit: 200 } }, signal }));
        found.push(...result.items.filter((gate) => gate.execution_id === id));
        if (!result.next_cursor) break;
        cursor = result.next_cursor;
      }
      return found;
    },
    enabled,
  });
}
