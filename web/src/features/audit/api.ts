// The audit log, newest first, filtered by action and object type, read page by page ("Load more").
import { useInfiniteQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type AuditEvent = Schemas["AuditEventRead"];

export interface AuditFilters {
  action?: string;
  object_type?: string;
}

export function useAuditEvents(filters: AuditFilters) {
  const query = { action: filters.action || undefined, object_type: filters.object_type || undefined };
  return useInfiniteQuery({
    queryKey: ["audit", query],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(api.GET("/api/audit", { params: { query: { ...query, cursor: pageParam, limit: 50 } }, signal })),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}
