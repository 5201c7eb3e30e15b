// Automation workflows: list, one (optionally an earlier version), save (POST new / PUT next version), validate,
// execute; plus the runbook and notification-channel options the builder's step forms pick from.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type Workflow = Schemas["WorkflowRead"];
export type WorkflowWrite = Schemas["WorkflowWrite"];
export type ValidationResult = Schemas["ValidationResult"];

export const workflowsKeys = {
  all: ["workflows"] as const,
  list: (cursor?: string) => ["workflows", "list", { cursor }] as const,
  detail: (id: string, version?: number) => ["workflows", "detail", id, version ?? "current"] as const,
  validate: (body: string) => ["workflows", "validate", body] as const,
  runbooks: ["workflows", "options", "runbooks"] as const,
  channels: ["workflows", "options", "channels"] as const,
};

export function useWorkflows(cursor?: string) {
  return useQuery({
    queryKey: workflowsKeys.list(cursor),
    queryFn: ({ signal }) => unwrap(api.GET("/api/workflows", { params: { query: { cursor, limit: 25 } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useWorkflow(id: string | null | undefined, version?: number, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: workflowsKeys.detail(id ?? "", version),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id ?? "" }, query: { version } }, signal })),
    enabled: Boolean(id) && (options.enabled ?? true),
    retry: false,
  });
}

export function useSaveWorkflow() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string | undefined; body: WorkflowWrite }) =>
      id
        ? unwrap(api.PUT("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id } }, body }))
        : unwrap(api.POST("/api/workflows", { body })),
    onSuccess: (workflow) => {
      queryClient.setQueryData(workflowsKeys.detail(workflow.id), workflow);
      return queryClient.invalidateQueries({ queryKey: ["workflows", "list"] });
    },
  });
}

export function useArchiveWorkflow() {
  const queryClient = useQueryClient();
  return useMutation({
    /** `force` archives even while catalog items fulfil through it (a 409 lists them otherwise). */
    mutationFn: ({ id, force = false }: { id: string; force?: boolean }) =>
      unwrap(api.DELETE("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id }, query: { force } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: workflowsKeys.all }),
  });
}

/** Live validation of the body (already debounced by the caller): `valid` and every problem with its path. */
export function useValidation(body: WorkflowWrite | null) {
  const key = body ? JSON.stringify(body) : "";
  return useQuery({
    queryKey: workflowsKeys.validate(key),
    queryFn: ({ signal }) => unwrap(api.POST("/api/workflows/validate", { body: body as WorkflowWrite, signal })),
    enabled: body !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 30_000,
  });
}

export function useExecuteWorkflow() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, inputs }: { id: string; inputs: Record<string, unknown> }) =>
      unwrap(api.POST("/api/workflows/{workflow_id}/execute", { params: { path: { workflow_id: id } }, body: { inputs } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["executions"] }),
  });
}

/** The tenant's runbooks for the runbook picker (the first 100 by the API's order). */
export function useRunbookOptions(enabled = true) {
  return useQuery({
    enabled,
    queryKey: workflowsKeys.runbooks,
    queryFn: ({ signal }) => unwrap(api.GET("/api/runbooks", { params: { query: { limit: 100 } }, signal })),
    staleTime: 60_000,
  });
}

/** The tenant's notification channels for the channel picker. */
export function useChannelOptions(enabled: boolean) {
  return useQuery({
    queryKey: workflowsKeys.channels,
    queryFn: ({ signal }) => unwrap(api.GET("/api/notifications/channels", { params: { query: { limit: 100 } }, signal })),
    staleTime: 60_000,
    enabled,
  });
}
