// Admin → Tenant settings: the tenant's display name and its egress allow-list (hosts or CIDRs, one per line).
import { type FormEvent, useRef, useState } from "react";

import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { type TenantSettings, useTenantSettings, useUpdateTenantSettings } from "./api";

const FIELDS = ["name", "egress_allow_list"] as const;

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

function SettingsForm({ tenant }: { tenant: TenantSettings }) {
  const update = useUpdateTenantSettings();
  const [name, setName] = useState(tenant.name);
  const [allowList, setAllowList] = useState(tenant.egress_allow_list.join("\n"));
  const [notice, setNotice] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(update.error, FIELDS);
  useFocusOnError(update.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    update.mutate(
      { name: name.trim(), egress_allow_list: lines(allowList) },
      {
        onSuccess: (saved) => {
          setAllowList(saved.egress_allow_list.join("\n"));
          setNotice("Tenant settings saved.");
        },
      },
    );
  }

  return (
    <form ref={form} onSubmit={submit} noValidate className="panel form-narrow" aria-label="Tenant settings">
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={errors} title="The settings were not saved" />
      <TextField label="Display name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <p className="field-hint">
        Slug: <code>{tenant.slug}</code> (people type it to sign in; it cannot change).
      </p>
      <TextAreaField
        label="Egress allow-list"
        name="egress_allow_list"
        value={allowList}
        onChange={(e) => setAllowList(e.target.value)}
        rows={6}
        spellCheck={false}
        className="mono"
        hint="Hosts or networks (CIDR) that webhooks and http runbook actions may reach, one per line, e.g. hooks.example.com or 10.0.0.0/8. Empty: no tenant restriction (the operator's rules still apply)."
        error={errors.fields.egress_allow_list}
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  );
}

export function TenantSettingsPage() {
  const tenant = useTenantSettings();
  return (
    <>
      <PageHeader title="Tenant settings" description="Settings that apply to everyone in this tenant." />
      {tenant.isPending ? <Loading label="Loading settings…" /> : null}
      {tenant.isError ? <ErrorState error={tenant.error} onRetry={() => void tenant.refetch()} /> : null}
      {tenant.data ? <SettingsForm tenant={tenant.data} /> : null}
    </>
  );
}
