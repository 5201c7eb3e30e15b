// The settings form's draft ↔ the API's body, and what a connection test says, kept out of the components.
import type { ConnectionTest, Provider, ProviderWrite } from "./api";

export interface Draft {
  display_name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  scopes: string;
  email_claim: string;
  name_claim: string;
  groups_claim: string;
  manager_claim: string;
  allowed_domains: string;
  jit: boolean;
  password_sign_in: boolean;
}

export const EMPTY_DRAFT: Draft = {
  display_name: "",
  issuer: "",
  client_id: "",
  client_secret: "",
  scopes: "openid email profile",
  email_claim: "email",
  name_claim: "name",
  groups_claim: "",
  manager_claim: "",
  allowed_domains: "",
  jit: false,
  password_sign_in: true,
};

const words = (text: string): string[] => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

export function draftOf(provider: Provider | null): Draft {
  if (!provider) return EMPTY_DRAFT;
  return {
    display_name: provider.display_name,
    issuer: provider.issuer,
    client_id: provider.client_id,
    client_secret: "",
    scopes: provider.scopes.join(" "),
    email_claim: provider.email_claim,
    name_claim: provider.name_claim,
    groups_claim: provider.groups_claim ?? "",
    manager_claim: provider.manager_claim ?? "",
    allowed_domains: provider.allowed_domains.join("\n"),
    jit: provider.jit,
    password_sign_in: provider.password_sign_in,
  };
}

/** The PUT body; an empty secret is left out, so the stored one is kept (the secret is write-only). */
export function bodyOf(draft: Draft): ProviderWrite {
  const body: ProviderWrite = {
    display_name: draft.display_name.trim(),
    issuer: draft.issuer.trim(),
    client_id: draft.client_id.trim(),
    scopes: words(draft.scopes),
    email_claim: draft.email_claim.trim() || "email",
    name_claim: draft.name_claim.trim() || "name",
    groups_claim: draft.groups_claim.trim() || null,
    manager_claim: draft.manager_claim.trim() || null,
    allowed_domains: words(draft.allowed_domains).map((d) => d.toLowerCase()),
    jit: draft.jit,
    password_sign_in: draft.password_sign_in,
  };
  if (draft.client_secret) body.client_secret = draft.client_secret;
  return body;
}

/** One line for the result of "Test connection". */
export function testSummary(result: ConnectionTest): string {
  if (!result.ok) return `Connection failed: ${result.problem ?? "unknown problem"}`;
  const ids = result.key_ids ?? [];
  return `Connected to ${result.issuer ?? "the issuer"}: ${ids.length} signing key${ids.length === 1 ? "" : "s"} (${ids.join(", ")}).`;
}
