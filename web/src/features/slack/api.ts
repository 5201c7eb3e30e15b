// The tenant's Slack app (GET/PUT/DELETE /api/slack/app) and its token test (POST /api/slack/app/test: auth.test).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";

export type SlackApp = Schemas["SlackAppRead"];
export type SlackAppWrite = Schemas["SlackAppWrite"];
export type SlackTest = Schemas["SlackConnectionTest"];

const key = ["slack-app"] as const;

/** The app, or `null` while the tenant has none (the API's 404). */
export function useSlackApp() {
  return useQuery({
    queryKey: key,
    queryFn: async ({ signal }) => {
      try {
        return await unwrap(api.GET("/api/slack/app", { signal }));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
}

export function useSaveSlackApp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SlackAppWrite) => unwrap(api.PUT("/api/slack/app", { body })),
    onSuccess: (saved) => queryClient.setQueryData(key, saved),
  });
}

export function useDeleteSlackApp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/slack/app")),
    onSuccess: () => queryClient.setQueryData(key, null),
  });
}

export function useTestSlackApp() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/slack/app/test")),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
  });
}
