// Admin → Single sign-on: the tenant's OpenID Connect provider, a connection test (discovery + keys), removal.
import { type FormEvent, useRef, useState } from "react";

import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { type Provider, useDeleteIdentityProvider, useIdentityProvider, useSaveIdentityProvider, useTestConnection } from "./api";
import { ConnectionTestResult } from "./ConnectionTestResult";
import { bodyOf, type Draft, draftOf } from "./model";
import { ProviderFields } from "./ProviderFields";

const FIELDS = [
  "display_name", "issuer", "client_id", "client_secret", "scopes", "email_claim", "name_claim",
  "groups_claim", "manager_claim", "allowed_domains", "jit", "password_sign_in",
] as const;

function ProviderForm({ provider }: { provider: Provider | null }) {
  const save = useSaveIdentityProvider();
  const remove = useDeleteIdentityProvider();
  const test = useTestConnection();
  const [draft, setDraft] = useState<Draft>(() => draftOf(provider));
  const [notice, setNotice] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(save.error, FIELDS);
  useFocusOnError(save.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    save.mutate(bodyOf(draft), {
      onSuccess: () => {
        setDraft((d) => ({ ...d, client_secret: "" }));
        setNotice("Identity provider saved.");
      },
    });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate className="panel form-narrow" aria-label="Identity provider">
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={errors} title="The identity provider was not saved" />
      {provider ? (
        <p className="field-hint">
          Redirect URI to register at the IdP: <code>{provider.redirect_uri}</code>
        </p>
      ) : null}
      <ProviderFields draft={draft} set={(change) => setDraft((d) => ({ ...d, ...change }))} errors={errors.fields} hasSecret={Boolean(provider?.has_client_secret)} />
      {test.data ? <ConnectionTestResult result={test.data} /> : null}
      {test.isError ? <ErrorState error={test.error} title="The connection could not be tested" /> : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {provider ? (
          <>
            <button type="button" className="button" onClick={() => test.mutate()} disabled={test.isPending}>
              {test.isPending ? "Testing…" : "Test connection"}
            </button>
            <button type="button" className="button button--danger" onClick={() => remove.mutate(undefined, { onSuccess: () => setDraft(draftOf(null)) })}>
              Remove
            </button>
          </>
        ) : null}
      </div>
    </form>
  );
}

export function IdentityProviderPage() {
  const provider = useIdentityProvider();
  return (
    <>
      <PageHeader title="Single sign-on" description="Sign people in with your organisation's OpenID Connect identity provider." />
      {provider.isPending ? <Loading label="Loading the identity provider…" /> : null}
      {provider.isError ? <ErrorState error={provider.error} onRetry={() => void provider.refetch()} /> : null}
      {provider.data !== undefined ? <ProviderForm key={provider.data?.id ?? "new"} provider={provider.data} /> : null}
    </>
  );
}
