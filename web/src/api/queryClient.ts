// The app's TanStack Query client: no retries for answers the server meant (4xx), a short retry for the rest.
import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "./problem";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      },
      mutations: { retry: false },
    },
  });
}
