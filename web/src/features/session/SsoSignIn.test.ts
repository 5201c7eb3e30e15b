import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import { ssoErrorMessage } from "./signInOptions";
import { SsoButton, SsoError } from "./SsoSignIn";

describe("the single sign-on part of the sign-in page", () => {
  it("shows the provider's button only when the tenant has one", () => {
    const sso = { tenant: "acme", sso: { name: "Okta", login_url: "/api/auth/oidc/acme/login" }, password_sign_in: false };
    const markup = renderToStaticMarkup(createElement(SsoButton, { options: sso }));
    expect(markup).toContain("Sign in with Okta");
    expect(markup).toContain('href="/api/auth/oidc/acme/login"');
    expect(renderToStaticMarkup(createElement(SsoButton, { options: { ...sso, sso: null } }))).toBe("");
    expect(renderToStaticMarkup(createElement(SsoButton, { options: undefined }))).toBe("");
  });

  it("explains a refused sign-in by its code", () => {
    expect(ssoErrorMessage("unknown_user")).toContain("does not exist");
    expect(ssoErrorMessage("something-new")).toBe("Single sign-on failed.");
    expect(ssoErrorMessage(null)).toBeNull();
    const markup = renderToStaticMarkup(createElement(SsoError, { message: ssoErrorMessage("domain_not_allowed"), detail: "corp" }));
    expect(markup).toContain("e-mail domain");
    expect(renderToStaticMarkup(createElement(SsoError, { message: null, detail: null }))).toBe("");
  });
});
