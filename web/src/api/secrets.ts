// Tenant secrets: names only ever come back (never values); create, replace the value, delete.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type Secret = Schemas["SecretRead"];
export type SecretCreate = Schemas["SecretCreate"];

export const secretsKeys = {
  all: ["secrets"] as const,
  list: (cursor: string | undefined, limit: number) => ["secrets", "list", cursor ?? "", limit] as const,
};

export function useSecrets(cursor: string | undefined, limit = 50, options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: secretsKeys.list(cursor, limit),
    queryFn: ({ signal }) => unwrap(api.GET("/api/secrets", { params: { query: { cursor, limit } }, signal })),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
}

export function useCreateSecret() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SecretCreate) => unwrap(api.POST("/api/secrets", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: secretsKeys.all }),
  });
}

export function useReplaceSecret() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, value }: { id: string; value: string }) =>
      unwrap(api.PUT("/api/secrets/{secret_id}", { params: { path: { secret_id: id } }, body: { value } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: secretsKeys.all }),
  });
}

export function useDeleteSecret() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/secrets/{secret_id}", { params: { path: { secret_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: secretsKeys.all }),
  });
}
