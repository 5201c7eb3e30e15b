// Creating a SCIM token: a name, then the secret, shown this once with the base URL to give the identity provider.
import { type FormEvent, useState } from "react";

import { TextField } from "../../components/Field";
import { FormSummary, useFormErrors } from "../../components/FormErrors";
import { type ScimTokenCreated, useCreateScimToken } from "./api";
import { scimBaseUrl } from "./tokens";

export function CreatedToken({ token, origin }: { token: ScimTokenCreated; origin: string }) {
  return (
    <div className="panel" role="status" aria-label="New SCIM token">
      <p>
        <strong>Copy the token now: it is shown only this once.</strong> Give your identity provider the base URL and
        the token (as a bearer token).
      </p>
      <dl>
        <dt>SCIM base URL</dt>
        <dd>
          <code>{scimBaseUrl(origin)}</code>
        </dd>
        <dt>Token</dt>
        <dd>
          <code className="mono" data-testid="scim-secret">
            {token.token}
          </code>
        </dd>
      </dl>
    </div>
  );
}

export function NewTokenForm({ onCreated }: { onCreated: (token: ScimTokenCreated) => void }) {
  const create = useCreateScimToken();
  const [name, setName] = useState("");
  const errors = useFormErrors(create.error, ["name"] as const);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(name.trim(), {
      onSuccess: (token) => {
        setName("");
        onCreated(token);
      },
    });
  }

  return (
    <form onSubmit={submit} noValidate className="panel form-narrow" aria-label="New SCIM token">
      <FormSummary errors={errors} title="The token was not created" />
      <TextField
        label="Name"
        name="name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        hint="Which identity provider uses it, e.g. Okta or Entra ID."
        error={errors.fields.name}
        required
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </div>
    </form>
  );
}
