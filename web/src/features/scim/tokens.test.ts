import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import type { ScimToken } from "./api";
import { CreatedToken } from "./NewTokenForm";
import { ScimTokenTable } from "./ScimTokenTable";
import { scimBaseUrl, sortTokens, tokenState } from "./tokens";

const token = (id: string, created_at: string, revoked_at: string | null = null): ScimToken => ({
  id,
  name: `idp ${id}`,
  prefix: "tpscim_abcdef",
  created_at,
  last_used_at: null,
  revoked_at,
});

describe("SCIM tokens", () => {
  it("list active tokens first, newest first", () => {
    const tokens = [token("a", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), token("b", "2026-01-01T00:00:00Z"), token("c", "2026-02-01T00:00:00Z")];
    expect(sortTokens(tokens).map((t) => t.id)).toEqual(["c", "b", "a"]);
    expect(tokens.map(tokenState)).toEqual(["revoked", "active", "active"]);
  });

  it("give the identity provider /scim/v2 of this origin", () => {
    expect(scimBaseUrl("https://tp.example.com/")).toBe("https://tp.example.com/scim/v2");
  });

  it("offer Revoke only for active tokens, and never show a secret in the list", () => {
    const html = renderToStaticMarkup(
      createElement(ScimTokenTable, { tokens: [token("a", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), token("b", "2026-01-01T00:00:00Z")], revoking: null, onRevoke: () => {} }),
    );
    expect(html.match(/aria-label="Revoke /g)?.length).toBe(1);
    expect(html).toContain("Revoke idp b");
    expect(html).toContain("tpscim_abcdef…");
  });

  it("show a new token's secret once, with the base URL", () => {
    const created = { ...token("n", "2026-01-01T00:00:00Z"), token: "tpscim_secret" };
    const html = renderToStaticMarkup(createElement(CreatedToken, { token: created, origin: "http://127.0.0.1:8000" }));
    expect(html).toContain("tpscim_secret");
    expect(html).toContain("http://127.0.0.1:8000/scim/v2");
    expect(html).toContain("shown only this once");
  });
});
