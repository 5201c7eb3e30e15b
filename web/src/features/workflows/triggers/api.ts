// A workflow's triggers (schedule, webhook, ITSM event): list, create, update (enable/disable, new config), delete;
// plus the catalog items the ITSM event form picks from.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../../api/client";
import type { TriggerBody } from "./format";

export type Trigger = Schemas["TriggerRead"];

export const triggersKeys = {
  list: (workflowId: string) => ["workflows", "triggers", workflowId] as const,
  catalog: ["workflows", "options", "catalog"] as const,
};

const path = (workflowId: string) => ({ path: { workflow_id: workflowId } });

export function useTriggers(workflowId: string) {
  return useQuery({
    queryKey: triggersKeys.list(workflowId),
    queryFn: ({ signal }) => unwrap(api.GET("/api/workflows/{workflow_id}/triggers", { params: path(workflowId), signal })),
  });
}

export function useCreateTrigger(workflowId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TriggerBody) => unwrap(api.POST("/api/workflows/{workflow_id}/triggers", { params: path(workflowId), body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: triggersKeys.list(workflowId) }),
  });
}

export function useUpdateTrigger(workflowId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: { enabled?: boolean; config?: Record<string, unknown> } }) =>
      unwrap(
        api.PATCH("/api/workflows/{workflow_id}/triggers/{trigger_id}", {
          params: { path: { workflow_id: workflowId, trigger_id: id } },
          body,
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: triggersKeys.list(workflowId) }),
  });
}

export function useDeleteTrigger(workflowId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/workflows/{workflow_id}/triggers/{trigger_id}", { params: { path: { workflow_id: workflowId, trigger_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: triggersKeys.list(workflowId) }),
  });
}

/** The tenant's active catalog items (the first 100) for the ITSM event's item picker and for naming them. */
export function useCatalogOptions(enabled: boolean) {
  return useQuery({
    enabled,
    queryKey: triggersKeys.catalog,
    queryFn: ({ signal }) => unwrap(api.GET("/api/itsm/catalog", { params: { query: { limit: 100 } }, signal })),
    staleTime: 60_000,
  });
}
