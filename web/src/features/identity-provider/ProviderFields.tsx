// The fields of the identity provider form (controlled by a Draft); the client secret is write-only.
import { CheckboxField, TextAreaField, TextField } from "../../components/Field";
import type { Draft } from "./model";

type Errors = Record<string, string | undefined>;

export function ProviderFields({
  draft,
  set,
  errors,
  hasSecret,
}: {
  draft: Draft;
  set: (change: Partial<Draft>) => void;
  errors: Errors;
  hasSecret: boolean;
}) {
  const text = (name: keyof Draft, label: string, hint?: string, required = false) => (
    <TextField
      label={label}
      name={name}
      value={String(draft[name])}
      onChange={(e) => set({ [name]: e.target.value })}
      hint={hint}
      error={errors[name]}
      required={required}
      spellCheck={false}
    />
  );
  return (
    <>
      {text("display_name", "Button name", "The sign-in page shows “Sign in with <name>”.", true)}
      {text("issuer", "Issuer URL", "For example https://login.microsoftonline.com/<tenant id>/v2.0", true)}
      {text("client_id", "Client ID", undefined, true)}
      <TextField
        label="Client secret"
        name="client_secret"
        type="password"
        autoComplete="new-password"
        value={draft.client_secret}
        onChange={(e) => set({ client_secret: e.target.value })}
        hint={hasSecret ? "A secret is stored. Leave empty to keep it; it is never shown again." : "Stored encrypted; never shown again."}
        error={errors.client_secret}
      />
      {text("scopes", "Scopes", "Separated by spaces; openid is always requested.")}
      {text("email_claim", "E-mail claim")}
      {text("name_claim", "Display name claim")}
      {text("groups_claim", "Groups claim", "A claim listing group names: the user's groups follow it at every sign-in. Empty: groups are kept by hand.")}
      {text("manager_claim", "Manager claim", "A claim holding the manager's e-mail address (optional).")}
      <TextAreaField
        label="Allowed e-mail domains"
        name="allowed_domains"
        value={draft.allowed_domains}
        onChange={(e) => set({ allowed_domains: e.target.value })}
        rows={3}
        hint="One per line. Empty: any domain the IdP vouches for."
        error={errors.allowed_domains}
      />
      <CheckboxField
        label="Create users on their first sign-in (just in time)"
        name="jit"
        checked={draft.jit}
        onChange={(e) => set({ jit: e.target.checked })}
        hint="Off: only users who already exist here may sign in."
      />
      <CheckboxField
        label="Allow password sign-in"
        name="password_sign_in"
        checked={draft.password_sign_in}
        onChange={(e) => set({ password_sign_in: e.target.checked })}
        hint="Off: everyone signs in with single sign-on; tenant admins keep their password as the break-glass way in."
      />
    </>
  );
}
