// The tenant's own settings: display name, the egress allow-list and the default change definitions (GET/PATCH /api/tenant).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type TenantSettings = Schemas["TenantSettingsRead"];
export type TenantSettingsUpdate = Schemas["TenantSettingsUpdate"];

export function useTenantSettings() {
  return useQuery({
    queryKey: ["tenant"],
    queryFn: ({ signal }) => unwrap(api.GET("/api/tenant", { signal })),
  });
}

export function useUpdateTenantSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: TenantSettingsUpdate) => unwrap(api.PATCH("/api/tenant", { body })),
    onSuccess: (tenant) => {
      queryClient.setQueryData(["tenant"], tenant);
      return queryClient.invalidateQueries({ queryKey: ["me"] });
    },
  });
}
