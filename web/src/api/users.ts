// Users of the tenant: list (search, role, active, cursor pages), one user, create, update.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type User = Schemas["UserRead"];
export type UserCreate = Schemas["UserCreate"];
export type UserUpdate = Schemas["UserUpdate"];

export interface UserFilters {
  q?: string;
  role?: string;
  active?: boolean;
  cursor?: string;
  limit?: number;
}

export const usersKeys = {
  all: ["users"] as const,
  list: (filters: UserFilters) => ["users", "list", filters] as const,
  detail: (id: string) => ["users", "detail", id] as const,
};

function clean(filters: UserFilters): UserFilters {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== "")) as UserFilters;
}

export function useUsers(filters: UserFilters, options: { enabled?: boolean } = {}) {
  const query = clean(filters);
  return useQuery({
    queryKey: usersKeys.list(query),
    queryFn: ({ signal }) => unwrap(api.GET("/api/users", { params: { query }, signal })),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
}

export function useUser(id: string | null | undefined) {
  return useQuery({
    queryKey: usersKeys.detail(id ?? ""),
    queryFn: ({ signal }) => unwrap(api.GET("/api/users/{user_id}", { params: { path: { user_id: id ?? "" } }, signal })),
    enabled: Boolean(id),
    staleTime: 60_000,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UserCreate) => unwrap(api.POST("/api/users", { body })),
    onSuccess: (user) => {
      queryClient.setQueryData(usersKeys.detail(user.id), user);
      return queryClient.invalidateQueries({ queryKey: ["users", "list"] });
    },
  });
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UserUpdate }) =>
      unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: (user) => {
      queryClient.setQueryData(usersKeys.detail(user.id), user);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: ["users", "list"] }),
        queryClient.invalidateQueries({ queryKey: ["roles"] }),
        queryClient.invalidateQueries({ queryKey: ["me"] }),
      ]);
    },
  });
}
