// Admin → Tenant settings: the tenant's display name, its egress allow-list (hosts or CIDRs, one per line), and the
// approval definitions normal and emergency changes get when they name none.
import { type FormEvent, useRef, useState } from "react";

import { SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { type Definition, useActiveDefinitions } from "../../api/approvals";
import { type TenantSettings, useTenantSettings, useUpdateTenantSettings } from "./api";
import { FallbackGroupField } from "./FallbackGroupField";

const FIELDS = ["name", "fallback_group_id", "egress_allow_list", "change_definitions", "change_definitions.normal", "change_definitions.emergency"] as const;
const CHANGE_TYPES = [
  {
    type: "normal",
    label: "Default approval for normal changes",
    hint: "For example: tech lead, then the change advisory board. Without one, a normal change must name its own.",
  },
  {
    type: "emergency",
    label: "Default approval for emergency changes",
    hint: "For example: the emergency CAB. Without one, an emergency change must name its own.",
  },
] as const;
type ChangeType = (typeof CHANGE_TYPES)[number]["type"];

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

function DefaultDefinitionField({
  type,
  label,
  hint,
  value,
  definitions,
  onChange,
  error,
}: {
  type: ChangeType;
  label: string;
  hint: string;
  value: string;
  definitions: Definition[];
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  // A default archived with force (or beyond the first page) still shows, so the admin sees what changes get now.
  const known = !value || definitions.some((d) => d.id === value);
  return (
    <SelectField
      label={label}
      name={`change_definitions.${type}`}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint={`${hint} Standard changes are pre-approved and need none.`}
      error={error}
    >
      <option value="">None: each change names its own</option>
      {known ? null : <option value={value}>{`Not an active definition (${value})`}</option>}
      {definitions.map((d) => (
        <option key={d.id} value={d.id}>
          {d.name}
        </option>
      ))}
    </SelectField>
  );
}

function SettingsForm({ tenant }: { tenant: TenantSettings }) {
  const update = useUpdateTenantSettings();
  const definitions = useActiveDefinitions();
  const [defaults, setDefaults] = useState<Record<ChangeType, string>>({
    normal: tenant.change_definitions.normal ?? "",
    emergency: tenant.change_definitions.emergency ?? "",
  });
  const [name, setName] = useState(tenant.name);
  const [fallbackGroup, setFallbackGroup] = useState(tenant.fallback_group_id ?? "");
  const [allowList, setAllowList] = useState(tenant.egress_allow_list.join("\n"));
  const [notice, setNotice] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(update.error, FIELDS);
  useFocusOnError(update.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    setNotice(null);
    update.mutate(
      {
        name: name.trim(),
        fallback_group_id: fallbackGroup || null,
        egress_allow_list: lines(allowList),
        change_definitions: { normal: defaults.normal || null, emergency: defaults.emergency || null },
      },
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
      <FallbackGroupField value={fallbackGroup} onChange={setFallbackGroup} error={errors.fields.fallback_group_id} />
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
      <h2>Change approvals</h2>
      {definitions.isError ? <ErrorState error={definitions.error} title="The approval definitions could not be loaded" /> : null}
      {errors.fields.change_definitions ? <p className="field-error">{errors.fields.change_definitions}</p> : null}
      {CHANGE_TYPES.map(({ type, label, hint }) => (
        <DefaultDefinitionField
          key={type}
          type={type}
          label={label}
          hint={hint}
          value={defaults[type]}
          definitions={definitions.data?.items ?? []}
          onChange={(value) => setDefaults((all) => ({ ...all, [type]: value }))}
          error={errors.fields[`change_definitions.${type}`]}
        />
      ))}
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
