// What the SCIM tokens page shows of a token: its state, and the base URL an identity provider is given.
import type { ScimToken } from "./api";

export type TokenState = "active" | "revoked";

export function tokenState(token: Pick<ScimToken, "revoked_at">): TokenState {
  return token.revoked_at ? "revoked" : "active";
}

/** Active tokens first, then revoked ones; newest first within each. */
export function sortTokens<T extends Pick<ScimToken, "revoked_at" | "created_at">>(tokens: readonly T[]): T[] {
  return [...tokens].sort(
    (a, b) => Number(Boolean(a.revoked_at)) - Number(Boolean(b.revoked_at)) || b.created_at.localeCompare(a.created_at),
  );
}

export function scimBaseUrl(origin: string): string {
  return `${origin.replace(/\/+$/, "")}/scim/v2`;
}
