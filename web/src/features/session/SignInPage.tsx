// Sign-in: tenant slug, email and password start a cookie session; errors are shown beside the fields. A tenant with
// single sign-on shows its button, and may hide the password fields (an "administrator sign-in" link brings them back).
import { type FormEvent, useRef, useState } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";

import { safeNext } from "../../app/navigation";
import { TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { usePageTitle } from "../../components/Page";
import { Loading } from "../../components/States";
import { useMe, useSignIn } from "../../api/session";
import { ssoErrorMessage, useSignInOptions } from "./signInOptions";
import { SsoButton, SsoError } from "./SsoSignIn";

const LAST_TENANT = "tenantplane.lastTenant";
const FIELDS = ["tenant", "email", "password"] as const;

function rememberedTenant(): string {
  try {
    return window.localStorage.getItem(LAST_TENANT) ?? "";
  } catch {
    return "";
  }
}

export function SignInPage() {
  usePageTitle("Sign in");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const signIn = useSignIn();
  const [tenant, setTenant] = useState(() => params.get("tenant") ?? rememberedTenant());
  const options = useSignInOptions(tenant);
  const [adminSignIn, setAdminSignIn] = useState(false);
  const showPassword = options.data?.password_sign_in !== false || adminSignIn;
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(signIn.error, FIELDS);
  useFocusOnError(signIn.error, form);
  const next = safeNext(params.get("next"));

  if (me.data && !signIn.isPending) return <Navigate to={next} replace />;

  function submit(event: FormEvent) {
    event.preventDefault();
    signIn.mutate(
      { tenant: tenant.trim().toLowerCase() || null, email: email.trim(), password },
      {
        onSuccess: () => {
          try {
            window.localStorage.setItem(LAST_TENANT, tenant.trim().toLowerCase());
          } catch {
            // Private browsing: remembering the tenant is a convenience only.
          }
          void navigate(next, { replace: true });
        },
      },
    );
  }

  const notice = params.get("signed_out")
    ? "You are signed out."
    : params.get("next")
      ? "Sign in to continue."
      : null;

  return (
    <div className="signin">
      <main className="signin-card" id="main">
        <div className="brand brand--large">
          <span className="brand-mark" aria-hidden="true">
            T
          </span>
          <span className="brand-name">Tenant Plane</span>
        </div>
        <h1>Sign in</h1>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        {me.isPending ? <Loading label="Checking your session…" /> : null}
        <SsoError message={ssoErrorMessage(params.get("sso_error"))} detail={params.get("detail")} />
        <form ref={form} onSubmit={submit} noValidate>
          <FormSummary errors={errors} title="Sign-in failed" />
          <TextField
            label="Tenant"
            name="tenant"
            value={tenant}
            onChange={(e) => setTenant(e.target.value)}
            autoComplete="organization"
            autoCapitalize="none"
            spellCheck={false}
            hint="Your organisation's short name, for example demo."
            error={errors.fields.tenant}
            required
          />
          <SsoButton options={options.data} />
          {showPassword ? (
            <>
            <TextField
              label="Email"
              name="email"
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete="username"
              error={errors.fields.email}
              required
            />
            <TextField
              label="Password"
              name="password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="current-password"
              error={errors.fields.password}
              required
            />
            <button type="submit" className="button button--primary button--block" disabled={signIn.isPending}>
              {signIn.isPending ? "Signing in…" : "Sign in"}
            </button>
            </>
          ) : (
            <button type="button" className="button button--link" onClick={() => setAdminSignIn(true)}>
              Administrator sign-in
            </button>
          )}
        </form>
      </main>
    </div>
  );
}
