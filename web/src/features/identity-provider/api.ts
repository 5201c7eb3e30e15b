// The tenant's identity provider (GET/PUT/DELETE /api/identity-provider) and its connection test (POST …/test).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";

export type Provider = Schemas["ProviderRead"];
export type ProviderWrite = Schemas["ProviderWrite"];
export type ConnectionTest = Schemas["ConnectionTest"];

const key = ["identity-provider"] as const;

/** The provider, or `null` while the tenant has none (the API's 404). */
export function useIdentityProvider() {
  return useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      try {
        return await unwrap(api.GET("/api/identity-provider", { signal }));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

export function useSaveIdentityProvider() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ProviderWrite) => unwrap(api.PUT("/api/identity-provider", { body })),
    onSuccess: (saved) => queryClient.setQueryData(key, saved),
  });
}

export function useDeleteIdentityProvider() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/identity-provider")),
    onSuccess: () => queryClient.setQueryData(key, null),
  });
}

export function useTestConnection() {
  return useMutation({ mutationFn: () => unwrap(api.POST("/api/identity-provider/test")) });
}
