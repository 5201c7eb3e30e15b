// The caller's own in-app notifications: the list ("Load more"), the unread count the header polls, and marking
// one or all of them read. (The channels admin lives in api.ts.)
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";
import { useMe } from "../../api/session";
import { UNREAD_COUNT_LIMIT } from "./notices";

export type Notice = Schemas["NotificationRead"];

export const UNREAD_POLL_MS = 15_000;
const PAGE_SIZE = 20;

export const noticesKeys = {
  all: ["notices"] as const,
  list: (unreadOnly: boolean) => ["notices", "list", unreadOnly] as const,
  unread: ["notices", "unread-count"] as const,
};

export function useNotices(unreadOnly: boolean) {
  return useInfiniteQuery({
    queryKey: noticesKeys.list(unreadOnly),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/notifications", { params: { query: { unread: unreadOnly, cursor: pageParam, limit: PAGE_SIZE } }, signal })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

/** How many of the caller's notifications are unread (`more` past what one page counts), polled every 15 s.
 * Only while someone is signed in: signing out clears the cache, which would otherwise refetch it (a 401). */
export function useUnreadCount() {
  const me = useMe();
  return useQuery({
    queryKey: noticesKeys.unread,
    queryFn: async ({ signal }) => {
      const page = await unwrap(api.GET("/api/notifications", { params: { query: { unread: true, limit: UNREAD_COUNT_LIMIT } }, signal }));
      return { count: page.items.length, more: page.next_cursor != null };
    },
    refetchInterval: UNREAD_POLL_MS,
    enabled: me.data != null,
  });
}

export function useMarkNoticeRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: noticesKeys.all }),
  });
}

export function useMarkAllNoticesRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/notifications/read-all")),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: noticesKeys.all }),
  });
}
