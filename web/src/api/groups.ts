// Groups and their members: list (search, cursor pages), one group, create/update/delete, add/remove members.
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type Group = Schemas["GroupRead"];
export type GroupCreate = Schemas["GroupCreate"];
export type GroupUpdate = Schemas["GroupUpdate"];

export const groupsKeys = {
  all: ["groups"] as const,
  list: (q: string, cursor?: string) => ["groups", "list", { q, cursor }] as const,
  detail: (id: string) => ["groups", "detail", id] as const,
  members: (id: string) => ["groups", "members", id] as const,
};

export function useGroups(q: string, cursor?: string) {
  return useQuery({
    queryKey: groupsKeys.list(q, cursor),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/groups", { params: { query: { q: q || undefined, cursor, limit: 25 } }, signal })),
    placeholderData: keepPreviousData,
  });
}

export function useGroup(id: string) {
  return useQuery({
    queryKey: groupsKeys.detail(id),
    queryFn: ({ signal }) => unwrap(api.GET("/api/groups/{group_id}", { params: { path: { group_id: id } }, signal })),
  });
}

export function useGroupMembers(id: string) {
  return useInfiniteQuery({
    queryKey: groupsKeys.members(id),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/groups/{group_id}/members", {
          params: { path: { group_id: id }, query: { cursor: pageParam, limit: 50 } },
          signal,
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useCreateGroup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: GroupCreate) => unwrap(api.POST("/api/groups", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["groups", "list"] }),
  });
}

export function useUpdateGroup(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: GroupUpdate) =>
      unwrap(api.PATCH("/api/groups/{group_id}", { params: { path: { group_id: id } }, body })),
    onSuccess: (group) => {
      queryClient.setQueryData(groupsKeys.detail(id), group);
      return queryClient.invalidateQueries({ queryKey: ["groups", "list"] });
    },
  });
}

export function useDeleteGroup(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/groups/{group_id}", { params: { path: { group_id: id } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: groupsKeys.detail(id) });
      return queryClient.invalidateQueries({ queryKey: ["groups", "list"] });
    },
  });
}

export function useAddMember(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.POST("/api/groups/{group_id}/members", { params: { path: { group_id: id } }, body: { user_id: userId } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: groupsKeys.members(id) }),
  });
}

export function useRemoveMember(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/groups/{group_id}/members/{user_id}", { params: { path: { group_id: id, user_id: userId } } }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: groupsKeys.members(id) }),
  });
}
