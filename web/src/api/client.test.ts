import { describe, expect, it, vi } from "vitest";

import { CSRF_HEADER, createApiClient, readCookie, unwrap } from "./client";
import { ApiError } from "./problem";

interface Seen {
  method: string;
  url: string;
  csrf: string | null;
  credentials: RequestCredentials;
}

function fakeServer(reply: (request: Request) => Response) {
  const seen: Seen[] = [];
  const fetch = vi.fn(async (request: Request) => {
    seen.push({
      method: request.method,
      url: request.url,
      csrf: request.headers.get(CSRF_HEADER),
      credentials: request.credentials,
    });
    return reply(request);
  });
  return { fetch, seen };
}

const json = (body: unknown, status = 200, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

function clientFor(reply: (request: Request) => Response, cookies = "tp_csrf=token-123; other=1") {
  const server = fakeServer(reply);
  const onUnauthorized = vi.fn();
  const client = createApiClient({
    baseUrl: "http://tp.test",
    fetch: server.fetch,
    getCookies: () => cookies,
    onUnauthorized,
  });
  return { client, onUnauthorized, ...server };
}

describe("readCookie", () => {
  it("finds a cookie among others and decodes it", () => {
    expect(readCookie("a=1; tp_csrf=x%2By; b=2", "tp_csrf")).toBe("x+y");
    expect(readCookie("tp_csrf_old=1", "tp_csrf")).toBeUndefined();
    expect(readCookie("", "tp_csrf")).toBeUndefined();
  });
});

describe("the API client", () => {
  it("sends the CSRF token on state-changing requests only", async () => {
    const { client, seen } = clientFor(() => json({ items: [], next_cursor: null }));
    await client.GET("/api/users");
    await client.POST("/api/groups", { body: { name: "CAB" } });
    await client.PATCH("/api/users/{user_id}", { params: { path: { user_id: "u1" } }, body: { is_active: false } });
    await client.DELETE("/api/groups/{group_id}", { params: { path: { group_id: "g1" } } });
    expect(seen.map((s) => [s.method, s.csrf])).toEqual([
      ["GET", null],
      ["POST", "token-123"],
      ["PATCH", "token-123"],
      ["DELETE", "token-123"],
    ]);
    expect(seen.every((s) => s.credentials === "same-origin")).toBe(true);
  });

  it("sends no CSRF header without the cookie", async () => {
    const { client, seen } = clientFor(() => json({ id: "g" }, 201), "");
    await client.POST("/api/groups", { body: { name: "CAB" } });
    expect(seen[0]?.csrf).toBeNull();
  });

  it("unwraps data and turns a problem document into an ApiError", async () => {
    const { client } = clientFor((request) =>
      request.method === "GET"
        ? json({ items: [{ name: "admin" }], next_cursor: null })
        : json(
            { title: "Invalid input", status: 422, errors: [{ field: "name", message: "Field required" }] },
            422,
            "application/problem+json",
          ),
    );
    const roles = await unwrap(client.GET("/api/roles"));
    expect(roles.items[0]?.name).toBe("admin");
    const failed = unwrap(client.POST("/api/groups", { body: { name: "" } }));
    await expect(failed).rejects.toBeInstanceOf(ApiError);
    await expect(failed).rejects.toMatchObject({
      status: 422,
      problem: { errors: [{ field: "name", message: "Field required" }] },
    });
  });

  it("reports a 401 from a page's call so the app can send the user to sign in", async () => {
    const { client, onUnauthorized } = clientFor(() =>
      json({ title: "Authentication required", status: 401 }, 401, "application/problem+json"),
    );
    await expect(unwrap(client.GET("/api/users"))).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it("leaves the 401 of sign-in and of /api/me to the page", async () => {
    const { client, onUnauthorized } = clientFor(() => json({ title: "Authentication required" }, 401));
    await expect(
      unwrap(client.POST("/api/auth/session", { body: { tenant: "t", email: "a@b.c", password: "x" } })),
    ).rejects.toMatchObject({ status: 401 });
    await expect(unwrap(client.GET("/api/me"))).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("turns an unreachable server into a problem too", async () => {
    const client = createApiClient({
      baseUrl: "http://tp.test",
      fetch: () => Promise.reject(new TypeError("Failed to fetch")),
      getCookies: () => "",
      onUnauthorized: () => undefined,
    });
    await expect(unwrap(client.GET("/api/roles"))).rejects.toMatchObject({
      status: 0,
      problem: { title: "Cannot reach the server" },
    });
  });
});
