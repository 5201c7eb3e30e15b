// The signed-in user (GET /api/me), signing in (POST /api/auth/session) and out (DELETE /api/auth/session).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, CSRF_COOKIE, readCookie, type Schemas, unwrap } from "./client";
import { ApiError } from "./problem";

export type Me = Schemas["MeRead"];
export type SignInRequest = Schemas["TokenRequest"];

export const meKey = ["me"] as const;

/** Who is signed in; `null` when nobody is (no session cookie, or the API's 401). */
export async function fetchMe(): Promise<Me | null> {
  // The session cookie is HttpOnly, but its CSRF twin is readable and lives exactly as long: without it there is
  // no session, and asking the API would only log a 401 in the console.
  if (!readCookie(document.cookie, CSRF_COOKIE)) return null;
  try {
    return await unwrap(api.GET("/api/me"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useMe() {
  return useQuery({ queryKey: meKey, queryFn: fetchMe, staleTime: 60_000 });
}

export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SignInRequest) => unwrap(api.POST("/api/auth/session", { body })),
    onSuccess: async () => {
      queryClient.clear();
      await queryClient.fetchQuery({ queryKey: meKey, queryFn: fetchMe });
    },
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/auth/session")),
    onSettled: () => {
      queryClient.clear();
      queryClient.setQueryData(meKey, null);
    },
  });
}

/** Whether the signed-in user holds `permission` (as listed by /api/me). */
export function can(me: Me | null | undefined, permission: string | undefined): boolean {
  if (!permission) return true;
  return Boolean(me?.permissions.includes(permission));
}
