// The single sign-on part of the sign-in page: the "Sign in with <provider>" button and why a sign-in was refused.
import type { SignInOptions } from "./signInOptions";

export function SsoError({ message, detail }: { message: string | null; detail: string | null }) {
  if (!message) return null;
  return (
    <div className="form-summary" role="alert">
      <p>
        <strong>Single sign-on failed.</strong> {message}
      </p>
      {detail ? <p className="field-hint">{detail}</p> : null}
    </div>
  );
}

export function SsoButton({ options }: { options: SignInOptions | undefined }) {
  if (!options?.sso) return null;
  return (
    <p className="signin-sso">
      <a className="button button--primary button--block" href={options.sso.login_url}>
        {`Sign in with ${options.sso.name}`}
      </a>
    </p>
  );
}
