// SCIM tokens of the tenant (GET/POST /api/scim-tokens, DELETE /api/scim-tokens/{id}): the secret comes once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type ScimToken = Schemas["ScimTokenRead"];
export type ScimTokenCreated = Schemas["ScimTokenCreated"];

const KEY = ["scim-tokens"] as const;

export function useScimTokens() {
  return useQuery({ queryKey: KEY, queryFn: ({ signal }) => unwrap(api.GET("/api/scim-tokens", { signal })) });
}

export function useCreateScimToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => unwrap(api.POST("/api/scim-tokens", { body: { name } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });
}

export function useRevokeScimToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/scim-tokens/{scim_token_id}", { params: { path: { scim_token_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEY }),
  });
}
