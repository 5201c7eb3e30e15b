// Jobs of the durable queue: list by status ("Load more"), the dead-job count, and retrying a job.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "./client";

export type Job = Schemas["JobRead"];

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "dead", "cancelled", "waiting"] as const;
/** The statuses POST /api/jobs/{id}/retry accepts (jobs/endpoints.py RETRYABLE); other jobs get no button. */
export const RETRYABLE_STATUSES: readonly string[] = ["dead", "failed", "cancelled"];

export function useJobs(status: string) {
  return useInfiniteQuery({
    queryKey: ["jobs", "list", status],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/jobs", { params: { query: { status: status || undefined, cursor: pageParam, limit: 50 } }, signal }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

const COUNT_LIMIT = 200;

/** How many dead jobs the tenant has; `more` when there are more than one page can count. */
export function useDeadJobCount(options: { enabled: boolean }) {
  return useQuery({
    queryKey: ["jobs", "dead-count"],
    queryFn: async ({ signal }) => {
      const page = await unwrap(api.GET("/api/jobs", { params: { query: { status: "dead", limit: COUNT_LIMIT } }, signal }));
      return { count: page.items.length, more: page.next_cursor != null };
    },
    enabled: options.enabled,
  });
}

export function useRetryJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/jobs/{job_id}/retry", { params: { path: { job_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["jobs"] }),
  });
}
