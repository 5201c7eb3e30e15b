// What a tenant's sign-in page offers (GET /api/auth/providers): a single sign-on button, and password sign-in or not.
import { useQuery } from "@tanstack/react-query";

import { api, type Schemas, unwrap } from "../../api/client";

export type SignInOptions = Schemas["SignInOptions"];

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function useSignInOptions(tenant: string) {
  const slug = tenant.trim().toLowerCase();
  return useQuery({
    queryKey: ["sign-in-options", slug],
    enabled: SLUG.test(slug),
    staleTime: 60_000,
    queryFn: ({ signal }) => unwrap(api.GET("/api/auth/providers", { params: { query: { tenant: slug } }, signal })),
  });
}

const SSO_ERRORS: Record<string, string> = {
  unknown_user: "Your account does not exist in this tenant yet. Ask an administrator to add you.",
  domain_not_allowed: "Your e-mail domain may not sign in to this tenant.",
  user_disabled: "Your account is disabled.",
  bad_token: "The identity provider's answer could not be verified.",
  state_mismatch: "The sign-in expired or was started elsewhere. Please try again.",
  idp_refused: "The identity provider did not sign you in.",
  idp_unreachable: "The identity provider cannot be reached.",
  idp_misconfigured: "The identity provider is not set up correctly.",
  not_configured: "This tenant has no single sign-on.",
  no_email: "The identity provider did not share your e-mail address.",
  email_not_verified: "The identity provider has not verified your e-mail address.",
};

/** The sentence the sign-in page shows for the callback's `sso_error` code. */
export function ssoErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return SSO_ERRORS[code] ?? "Single sign-on failed.";
}
