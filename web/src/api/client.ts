// The one API client: generated types (schema.d.ts) + openapi-fetch, with the session cookie sent same-origin,
// the CSRF header on every state-changing request, and a 401 (an expired session) sending the user to sign-in.
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, networkProblem, toProblem } from "./problem";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const CSRF_COOKIE = "tp_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The value of cookie `name` in a `document.cookie` string, if present. */
export function readCookie(cookies: string, name: string): string | undefined {
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Echoes the readable `tp_csrf` cookie in X-CSRF-Token on POST/PUT/PATCH/DELETE (double-submit check). */
export function csrfMiddleware(getCookies: () => string): Middleware {
  return {
    onRequest({ request }) {
      if (SAFE_METHODS.has(request.method.toUpperCase())) return request;
      const token = readCookie(getCookies(), CSRF_COOKIE);
      if (token) request.headers.set(CSRF_HEADER, token);
      return request;
    },
  };
}

/** Calls `onUnauthorized` when the API answers 401, except for the calls whose 401 the caller handles itself. */
export function unauthorizedMiddleware(onUnauthorized: () => void, handledPaths: readonly string[]): Middleware {
  return {
    onResponse({ response, schemaPath }) {
      if (response.status === 401 && !handledPaths.includes(schemaPath)) onUnauthorized();
      return response;
    },
  };
}

let unauthorizedHandler: () => void = () => {
  const next = `${window.location.pathname}${window.location.search}`;
  window.location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
};

/** The app installs a router-aware handler at start-up; the default reloads onto the sign-in page. */
export function setUnauthorizedHandler(handler: () => void): void {
  unauthorizedHandler = handler;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: (input: Request) => Promise<Response>;
  getCookies?: () => string;
  onUnauthorized?: () => void;
}

// Sign-in answers 401 for a wrong password, and /api/me answers 401 when nobody is signed in: the pages say so.
const HANDLES_OWN_401 = ["/api/auth/session", "/api/me"];

export function createApiClient(options: ApiClientOptions = {}) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? "",
    credentials: "same-origin",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(csrfMiddleware(options.getCookies ?? (() => document.cookie)));
  client.use(unauthorizedMiddleware(options.onUnauthorized ?? (() => unauthorizedHandler()), HANDLES_OWN_401));
  return client;
}

export const api = createApiClient();

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call: its data on success, an ApiError carrying the problem document otherwise. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(networkProblem());
  }
  const { data, error, response } = result;
  if (!response.ok) throw new ApiError(toProblem(response.status, error, response.statusText));
  return data as T;
}
