import { renderToStaticMarkup } from "react-dom/server";
import { createElement } from "react";
import { describe, expect, it } from "vitest";

import type { Provider } from "./api";
import { ConnectionTestResult } from "./ConnectionTestResult";
import { bodyOf, draftOf, EMPTY_DRAFT, testSummary } from "./model";

const provider: Provider = {
  id: "p1",
  display_name: "Okta",
  issuer: "https://corp.okta.com",
  client_id: "plane",
  has_client_secret: true,
  scopes: ["openid", "email", "groups"],
  email_claim: "email",
  name_claim: "name",
  groups_claim: "groups",
  manager_claim: null,
  allowed_domains: ["corp.example.com"],
  jit: true,
  password_sign_in: false,
  redirect_uri: "https://plane.example.com/api/auth/oidc/acme/callback",
  created_at: "2026-12-04T00:00:00Z",
  updated_at: "2026-12-04T00:00:00Z",
};

describe("identity provider draft ↔ body", () => {
  it("round-trips a provider without sending a secret it never showed", () => {
    const body = bodyOf(draftOf(provider));
    expect(body).toEqual({
      display_name: "Okta",
      issuer: "https://corp.okta.com",
      client_id: "plane",
      scopes: ["openid", "email", "groups"],
      email_claim: "email",
      name_claim: "name",
      groups_claim: "groups",
      manager_claim: null,
      allowed_domains: ["corp.example.com"],
      jit: true,
      password_sign_in: false,
    });
    expect("client_secret" in body).toBe(false);
  });

  it("sends a new secret, splits scopes and domains, and empties optional claims to null", () => {
    const body = bodyOf({ ...EMPTY_DRAFT, client_secret: "s", scopes: "openid, email  groups", allowed_domains: "A.example.com\n\nb.example.com", groups_claim: " " });
    expect(body.client_secret).toBe("s");
    expect(body.scopes).toEqual(["openid", "email", "groups"]);
    expect(body.allowed_domains).toEqual(["a.example.com", "b.example.com"]);
    expect(body.groups_claim).toBeNull();
  });
});

describe("the connection test result", () => {
  it("names the keys found, or the problem", () => {
    const ok = { ok: true, problem: null, issuer: "https://i", authorization_endpoint: "https://i/a", token_endpoint: "https://i/t", jwks_uri: "https://i/k", key_ids: ["k1", "k2"] };
    expect(testSummary(ok)).toBe("Connected to https://i: 2 signing keys (k1, k2).");
    const markup = renderToStaticMarkup(createElement(ConnectionTestResult, { result: ok }));
    expect(markup).toContain("https://i/k");
    const bad = { ...ok, ok: false, problem: "The host 'idp' is not on this tenant's egress allow-list.", key_ids: [] };
    expect(renderToStaticMarkup(createElement(ConnectionTestResult, { result: bad }))).toContain("Connection failed: The host");
  });
});
