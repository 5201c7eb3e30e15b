// Approvals: ITSM definitions (list, one, save, archive, preview) and instances (one, decide), automation gates
// (one, decide), and the unified inbox of both (`GET /api/approvals/inbox`).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type Definition = Schemas["DefinitionRead"];
export type DefinitionWrite = Schemas["DefinitionWrite"];
export type StepWrite = DefinitionWrite["steps"][number];
export type Preview = Schemas["PreviewRead"];
export type Instance = Schemas["InstanceRead"];
export type InboxItem = Schemas["InboxItem"];
export type Gate = Schemas["GateRead"];

export const approvalsKeys = {
  definitions: ["approvals", "definitions", "list"] as const,
  definition: (id: string) => ["approvals", "definitions", "detail", id] as const,
  preview: (id: string, variables: unknown) => ["approvals", "preview", id, variables] as const,
  instance: (id: string) => ["approvals", "instances", "detail", id] as const,
  unified: ["approvals", "inbox"] as const,
  gate: (id: string) => ["approvals", "gates", "detail", id] as const,
};

/** How often the inbox asks again on its own: decisions made elsewhere show up without a reload. */
export const INBOX_POLL_MS = 10_000;

export function useDefinitions(options: { enabled?: boolean } = {}) {
  return useInfiniteQuery({
    queryKey: approvalsKeys.definitions,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/workflows/definitions", { params: { query: { cursor: pageParam, limit: 50 } }, signal })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: options.enabled ?? true,
  });
}

/** The active definitions (what a catalog item, a change or a tenant default may name), up to one full page. */
export function useActiveDefinitions() {
  return useQuery({
    queryKey: [...approvalsKeys.definitions, "active"],
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/workflows/definitions", { params: { query: { status: "active", limit: 200 } }, signal })),
  });
}

export function useDefinition(id: string | null | undefined) {
  return useQuery({
    queryKey: approvalsKeys.definition(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/workflows/definitions/{definition_id}", { params: { path: { definition_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
  });
}

export function useSaveDefinition() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: DefinitionWrite }) =>
      id
        ? unwrap(api.PUT("/api/workflows/definitions/{definition_id}", { params: { path: { definition_id: id } }, body }))
        : unwrap(api.POST("/api/workflows/definitions", { body })),
    onSuccess: (definition) => {
      queryClient.setQueryData(approvalsKeys.definition(definition.id), definition);
      return queryClient.invalidateQueries({ queryKey: approvalsKeys.definitions });
    },
  });
}

/** Archive; `force` archives even while catalog items or change defaults use it (a 409 lists them otherwise). */
export function useArchiveDefinition() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, force = false }: { id: string; force?: boolean }) =>
      unwrap(api.DELETE("/api/workflows/definitions/{definition_id}", { params: { path: { definition_id: id }, query: { force } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["approvals", "definitions"] }),
  });
}

/** "Who will approve?": the ladder resolved for the caller (and these form values) before submitting. */
export function usePreview(definitionId: string | null | undefined, variables: Record<string, unknown>, enabled: boolean) {
  return useQuery({
    queryKey: approvalsKeys.preview(definitionId ?? "", variables),
    queryFn: ({ signal }) =>
      unwrap(
        api.POST("/api/workflows/definitions/{definition_id}/preview", {
          params: { path: { definition_id: definitionId ?? "" } },
          body: { variables },
          signal,
        }),
      ),
    enabled: Boolean(definitionId) && enabled,
    retry: false,
  });
}

export function useInstance(id: string | null | undefined) {
  return useQuery({
    queryKey: approvalsKeys.instance(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/workflows/instances/{instance_id}", { params: { path: { instance_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
  });
}

export function useDecide() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, outcome, comment }: { id: string; outcome: "approve" | "reject"; comment: string }) => {
      const params = { path: { instance_id: id } };
      return outcome === "approve"
        ? unwrap(api.POST("/api/workflows/instances/{instance_id}/approve", { params, body: comment ? { comment } : {} }))
        : unwrap(api.POST("/api/workflows/instances/{instance_id}/reject", { params, body: { comment } }));
    },
    onSettled: () => Promise.all([queryClient.invalidateQueries({ queryKey: ["approvals"] }), queryClient.invalidateQueries({ queryKey: ["itsm"] })]),
  });
}

/** Items per page of the inbox. */
export const INBOX_PAGE = 50;

/** Everything waiting for my decision, ITSM steps and automation gates together, newest first, in pages. */
export function useInbox() {
  return useInfiniteQuery({
    queryKey: approvalsKeys.unified,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/approvals/inbox", { params: { query: { limit: INBOX_PAGE, cursor: pageParam } }, signal })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    refetchInterval: INBOX_POLL_MS,
  });
}

export function useGate(id: string | null | undefined, options: { poll?: boolean } = {}) {
  return useQuery({
    queryKey: approvalsKeys.gate(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/automation/approvals/{approval_id}", { params: { path: { approval_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
    ...(options.poll ? { refetchInterval: INBOX_POLL_MS } : {}),
  });
}

export function useDecideGate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, outcome, comment }: { id: string; outcome: "approve" | "reject"; comment: string }) => {
      const params = { path: { approval_id: id } };
      const body = comment ? { comment } : {};
      return outcome === "approve"
        ? unwrap(api.POST("/api/automation/approvals/{approval_id}/approve", { params, body }))
        : unwrap(api.POST("/api/automation/approvals/{approval_id}/reject", { params, body }));
    },
    // A decided gate moves its execution on: the execution view refreshes too.
    onSettled: () => Promise.all([queryClient.invalidateQueries({ queryKey: ["approvals"] }), queryClient.invalidateQueries({ queryKey: ["executions"] })]),
  });
}

/** The pending gates the API says I may decide (as an approver or a delegate, four-eyes applied). */
export function useMyGateIds(enabled: boolean) {
  return useQuery({
    queryKey: ["approvals", "gates", "mine"] as const,
    queryFn: async ({ signal }) => {
      const page = await unwrap(
        api.GET("/api/automation/approvals", { params: { query: { mine: true, status: "pending", limit: 200 } }, signal }),
      );
      return new Set(page.items.map((g) => g.id));
    },
    enabled,
    refetchInterval: INBOX_POLL_MS,
  });
}
