// ITSM records: catalog items, service requests (submit, comment, cancel, fulfil, retry) and change requests.
import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type CatalogItem = Schemas["CatalogItemRead"];
export type CatalogItemIn = Schemas["CatalogItemIn"];
export type ServiceRequest = Schemas["RequestRead"];
export type RequestDetail = Schemas["RequestDetail"];
export type RecordEvent = Schemas["RecordEventRead"];
export type Change = Schemas["ChangeRead"];
export type ChangeDetail = Schemas["ChangeDetail"];

export const itsmKeys = {
  catalog: (filters: { q?: string; category?: string; includeInactive?: boolean }) => ["itsm", "catalog", "list", filters] as const,
  item: (id: string) => ["itsm", "catalog", "detail", id] as const,
  requests: (filters: RequestFilters) => ["itsm", "requests", "list", filters] as const,
  request: (id: string) => ["itsm", "requests", "detail", id] as const,
  changes: (filters: { status?: string }) => ["itsm", "changes", "list", filters] as const,
  change: (id: string) => ["itsm", "changes", "detail", id] as const,
};

const PAGE = 25;

/** `sort: "sla"`: least SLA time left first (the fulfiller queue), one page of at most 100, no cursor. */
export type RequestFilters = { scope: "mine" | "all"; status?: string; sort?: "newest" | "sla" };

export function useCatalog(filters: { q?: string; category?: string; includeInactive?: boolean }) {
  return useInfiniteQuery({
    queryKey: itsmKeys.catalog(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/itsm/catalog", {
          params: {
            query: {
              q: filters.q || undefined,
              category: filters.category || undefined,
              include_inactive: filters.includeInactive || undefined,
              cursor: pageParam,
              limit: 50,
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useCatalogItem(id: string | null | undefined) {
  return useQuery({
    queryKey: itsmKeys.item(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/itsm/catalog/{item_id}", { params: { path: { item_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
    staleTime: 60_000,
  });
}

export function useSaveCatalogItem() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: CatalogItemIn }) =>
      id
        ? unwrap(api.PUT("/api/itsm/catalog/{item_id}", { params: { path: { item_id: id } }, body }))
        : unwrap(api.POST("/api/itsm/catalog", { body })),
    onSuccess: (item) => {
      queryClient.setQueryData(itsmKeys.item(item.id), item);
      return queryClient.invalidateQueries({ queryKey: ["itsm", "catalog", "list"] });
    },
  });
}

export function useRequests(filters: RequestFilters, options: { refetchInterval?: number } = {}) {
  return useInfiniteQuery({
    queryKey: itsmKeys.requests(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/itsm/requests", {
          params: {
            query: {
              scope: filters.scope,
              status: filters.status || undefined,
              sort: filters.sort,
              cursor: pageParam,
              limit: filters.sort === "sla" ? 100 : PAGE,
            },
          },
          signal,
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    ...(options.refetchInterval ? { refetchInterval: options.refetchInterval } : {}),
  });
}

export function useRequest(id: string | null | undefined, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: itsmKeys.request(id ?? ""),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/itsm/requests/{request_id}", { params: { path: { request_id: id ?? "" } }, signal })),
    enabled: Boolean(id) && (options.enabled ?? true),
  });
}

function useRequestUpdated() {
  const queryClient = useQueryClient();
  return (request: RequestDetail) => {
    queryClient.setQueryData(itsmKeys.request(request.id), request);
    return Promise.all([
      queryClient.invalidateQueries({ queryKey: ["itsm", "requests", "list"] }),
      queryClient.invalidateQueries({ queryKey: ["approvals"] }),
    ]);
  };
}

export function useSubmitRequest() {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: ({ body, idempotencyKey }: { body: Schemas["RequestIn"]; idempotencyKey: string }) =>
      unwrap(api.POST("/api/itsm/requests", { body, headers: { "Idempotency-Key": idempotencyKey } })),
    onSuccess: updated,
  });
}

export function useCommentOnRequest(id: string) {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: (comment: string) =>
      unwrap(api.POST("/api/itsm/requests/{request_id}/comments", { params: { path: { request_id: id } }, body: { comment } })),
    onSuccess: updated,
  });
}

export function useCancelRequest(id: string) {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/itsm/requests/{request_id}/cancel", { params: { path: { request_id: id } } })),
    onSuccess: updated,
  });
}

export function useFulfilRequest() {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: ({ id, outcome, comment }: { id: string; outcome: "fulfilled" | "fulfillment_failed"; comment: string }) =>
      unwrap(api.POST("/api/itsm/requests/{request_id}/fulfill", { params: { path: { request_id: id } }, body: { outcome, comment } })),
    onSuccess: updated,
  });
}

/** A fulfiller asks the requester something: the request awaits them until they comment (or it is resumed). */
export function useAwaitRequester(id: string) {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: (comment: string) =>
      unwrap(api.POST("/api/itsm/requests/{request_id}/await-requester", { params: { path: { request_id: id } }, body: { comment } })),
    onSuccess: updated,
  });
}

export function useResumeRequest(id: string) {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/itsm/requests/{request_id}/resume", { params: { path: { request_id: id } } })),
    onSuccess: updated,
  });
}

/** Rerun a failed runbook/workflow fulfillment exactly as pinned at submit (fulfillers and service owners). */
export function useRetryFulfillment(id: string) {
  const updated = useRequestUpdated();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/itsm/requests/{request_id}/retry-fulfillment", { params: { path: { request_id: id } } })),
    onSuccess: updated,
  });
}

export function useChanges(filters: { status?: string }) {
  return useInfiniteQuery({
    queryKey: itsmKeys.changes(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/itsm/changes", { params: { query: { status: filters.status || undefined, cursor: pageParam, limit: PAGE } }, signal })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useChange(id: string | null | undefined, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: itsmKeys.change(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/itsm/changes/{change_id}", { params: { path: { change_id: id ?? "" } }, signal })),
    enabled: Boolean(id) && (options.enabled ?? true),
  });
}

export function useCreateChange() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ChangeIn"]) => unwrap(api.POST("/api/itsm/changes", { body })),
    onSuccess: (change) => {
      queryClient.setQueryData(itsmKeys.change(change.id), change);
      return queryClient.invalidateQueries({ queryKey: ["itsm", "changes", "list"] });
    },
  });
}

export type ChangeAction = "start" | "complete" | "fail" | "cancel";

/** The actions a change accepts in each status (the API's state machine, §4). */
export const CHANGE_ACTIONS: Record<string, ChangeAction[]> = {
  pending_approval: ["cancel"],
  scheduled: ["start", "cancel"],
  implementing: ["complete", "fail"],
};

export function useChangeAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, comment }: { id: string; action: ChangeAction; comment: string }) => {
      const path = { params: { path: { change_id: id } }, body: { comment } };
      switch (action) {
        case "start":
          return unwrap(api.POST("/api/itsm/changes/{change_id}/start", path));
        case "complete":
          return unwrap(api.POST("/api/itsm/changes/{change_id}/complete", path));
        case "fail":
          return unwrap(api.POST("/api/itsm/changes/{change_id}/fail", path));
        default:
          return unwrap(api.POST("/api/itsm/changes/{change_id}/cancel", path));
      }
    },
    onSuccess: (change) => {
      queryClient.setQueryData(itsmKeys.change(change.id), change);
      return queryClient.invalidateQueries({ queryKey: ["itsm", "changes", "list"] });
    },
  });
}

/** Runbooks a catalog item can be fulfilled by (the picker; needs runbooks.manage, else the editor asks for an id). */
export function useRunbookChoices(enabled: boolean) {
  return useQuery({
    queryKey: ["runbooks", "list", "choices"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/runbooks", { params: { query: { limit: 100 } }, signal })),
    enabled,
    staleTime: 60_000,
  });
}
