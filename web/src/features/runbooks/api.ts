// Runbooks: list (search, cursor pages), one, save (create / next version), archive, versions, test run; and the
// execution a test run starts (read, refreshed until it ends).
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type Runbook = Schemas["RunbookRead"];
export type RunbookSummary = Schemas["RunbookSummary"];
export type RunbookWrite = Schemas["RunbookWrite"];
export type RunbookVersion = Schemas["RunbookVersionRead"];
export type Execution = Schemas["ExecutionRead"];

export const FINISHED = new Set(["succeeded", "failed", "rejected", "cancelled", "timed_out"]);

export const runbooksKeys = {
  all: ["runbooks"] as const,
  list: (q: string, cursor: string | undefined) => ["runbooks", "list", q, cursor ?? ""] as const,
  detail: (id: string) => ["runbooks", "detail", id] as const,
  versions: (id: string) => ["runbooks", "versions", id] as const,
  execution: (id: string) => ["executions", "detail", id] as const,
};

export const RUNBOOKS_PAGE_SIZE = 25;

export function useRunbooks(q: string, cursor: string | undefined) {
  return useQuery({
    queryKey: runbooksKeys.list(q, cursor),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/runbooks", { params: { query: { q: q || undefined, cursor, limit: RUNBOOKS_PAGE_SIZE } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useRunbook(id: string | null | undefined) {
  return useQuery({
    queryKey: runbooksKeys.detail(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/runbooks/{runbook_id}", { params: { path: { runbook_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
  });
}

export function useRunbookVersions(id: string | null | undefined) {
  return useQuery({
    queryKey: runbooksKeys.versions(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/runbooks/{runbook_id}/versions", { params: { path: { runbook_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
  });
}

export function useSaveRunbook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: RunbookWrite }) =>
      id
        ? unwrap(api.PUT("/api/runbooks/{runbook_id}", { params: { path: { runbook_id: id } }, body }))
        : unwrap(api.POST("/api/runbooks", { body })),
    onSuccess: (runbook) => {
      queryClient.setQueryData(runbooksKeys.detail(runbook.id), runbook);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ["runbooks", "list"] }),
        queryClient.invalidateQueries({ queryKey: runbooksKeys.versions(runbook.id) }),
      ]);
    },
  });
}

export function useArchiveRunbook() {
  const queryClient = useQueryClient();
  return useMutation({
    /** `force` archives even while catalog items or workflows use it (a 409 lists them otherwise). */
    mutationFn: ({ id, force = false }: { id: string; force?: boolean }) =>
      unwrap(api.DELETE("/api/runbooks/{runbook_id}", { params: { path: { runbook_id: id }, query: { force } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: runbooksKeys.all }),
  });
}

export function useExecuteRunbook() {
  return useMutation({
    mutationFn: ({ id, parameters }: { id: string; parameters: Record<string, unknown> }) =>
      unwrap(api.POST("/api/runbooks/{runbook_id}/execute", { params: { path: { runbook_id: id } }, body: { parameters } })),
  });
}

/** An execution, asked again every 2 s until it has finished (the live log says when; this is the fallback). */
export function useExecution(id: string | null | undefined) {
  return useQuery({
    queryKey: runbooksKeys.execution(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/executions/{execution_id}", { params: { path: { execution_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.status) ? false : 2000),
  });
}
