// Create or edit a notification channel: name, type and that type's config, retry policy; API problems beside
// the fields they name (`config.url`, `retry.max_attempts`…).
import { type FormEvent, useRef, useState } from "react";

import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { type Channel, type ChannelWrite, useSaveChannel } from "./api";
import { InAppRecipients } from "./ChannelRecipients";
import { CHANNEL_TYPES, type ChannelType, configToDraft, type ConfigDraft, draftToConfig, MASK, TYPE_LABELS, urlHint } from "./model";

const FIELDS = [
  "name",
  "type",
  "default",
  "config.host",
  "config.port",
  "config.tls",
  "config.username",
  "config.password",
  "config.from",
  "config.to",
  "config.url",
  "config.headers",
  "config.users",
  "config.groups",
  "config",
  "retry.max_attempts",
  "retry.backoff_seconds",
] as const;

export function ChannelForm({ channel, onDone, onCancel }: { channel?: Channel | undefined; onDone: (saved: Channel) => void; onCancel: () => void }) {
  const [name, setName] = useState(channel?.name ?? "");
  const [type, setType] = useState<ChannelType>((channel?.type as ChannelType | undefined) ?? "webhook");
  const [draft, setDraft] = useState<ConfigDraft>(() => configToDraft(channel?.config));
  const [isDefault, setDefault] = useState(channel?.default ?? false);
  const [attempts, setAttempts] = useState(String(channel?.retry.max_attempts ?? 5));
  const [backoff, setBackoff] = useState(String(channel?.retry.backoff_seconds ?? 30));
  const [groupNames, setGroupNames] = useState<Record<string, string>>({});
  const [localError, setLocalError] = useState<{ field: string; message: string } | null>(null);
  const save = useSaveChannel();
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(save.error, FIELDS);
  useFocusOnError(save.error ?? localError, form);
  const err = (field: string) => (localError?.field === field ? localError.message : errors.fields[field]);
  const set = (patch: Partial<ConfigDraft>) => setDraft((d) => ({ ...d, ...patch }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const { config, error } = draftToConfig(type, draft);
    setLocalError(error ?? null);
    if (error) return;
    save.reset();
    const num = (text: string) => (text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : (text as unknown as number));
    const body: ChannelWrite = {
      name: name.trim(),
      type,
      config,
      default: type === "email" ? isDefault : false,
      retry: { max_attempts: num(attempts), backoff_seconds: num(backoff) },
    };
    save.mutate({ ...(channel ? { id: channel.id } : {}), body }, { onSuccess: onDone });
  }

  const secretHint = channel ? `Shown as ${MASK}: leave it to keep the stored value.` : undefined;
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={channel ? `Edit ${channel.name}` : "New channel"}>
      <FormSummary errors={errors} />
      <TextField label="Name" name="name" required value={name} onChange={(e) => setName(e.target.value)} error={err("name")} />
      <SelectField label="Type" name="type" value={type} onChange={(e) => setType(e.target.value as ChannelType)} error={err("type")} disabled={Boolean(channel)}>
        {CHANNEL_TYPES.map((t) => (
          <option key={t} value={t}>
            {TYPE_LABELS[t]}
          </option>
        ))}
      </SelectField>
      {type === "webhook" || type === "apprise" || type === "teams" ? (
        <TextField
          label="URL"
          name="config.url"
          required
          value={draft.url}
          onChange={(e) => set({ url: e.target.value })}
          error={err("config.url")}
          hint={urlHint(type, channel ? secretHint : undefined)}
        />
      ) : null}
      {type === "webhook" ? (
        <TextAreaField
          label="Headers"
          name="config.headers"
          rows={3}
          className="code-input"
          value={draft.headers}
          onChange={(e) => set({ headers: e.target.value })}
          error={err("config.headers")}
          hint={`One “Name: value” per line. Credential headers (Authorization, tokens…) are stored encrypted${channel ? ` and shown as ${MASK}` : ""}.`}
        />
      ) : null}
      {type === "email" ? (
        <>
          <div className="filters">
            <TextField label="SMTP host" name="config.host" required value={draft.host} onChange={(e) => set({ host: e.target.value })} error={err("config.host")} />
            <TextField label="Port" name="config.port" inputMode="numeric" value={draft.port} onChange={(e) => set({ port: e.target.value })} error={err("config.port")} hint="Empty: by TLS mode" />
            <SelectField label="TLS" name="config.tls" value={draft.tls} onChange={(e) => set({ tls: e.target.value })} error={err("config.tls")}>
              <option value="starttls">STARTTLS</option>
              <option value="ssl">SSL/TLS</option>
              <option value="none">None</option>
            </SelectField>
          </div>
          <div className="filters">
            <TextField label="Username" name="config.username" autoComplete="off" value={draft.username} onChange={(e) => set({ username: e.target.value })} error={err("config.username")} />
            <TextField
              label="Password"
              name="config.password"
              type="password"
              autoComplete="new-password"
              value={draft.password}
              onChange={(e) => set({ password: e.target.value })}
              error={err("config.password")}
              hint={secretHint}
            />
          </div>
          <TextField label="From" name="config.from" required type="email" value={draft.from} onChange={(e) => set({ from: e.target.value })} error={err("config.from")} />
          <TextField
            label="Default recipients"
            name="config.to"
            value={draft.to}
            onChange={(e) => set({ to: e.target.value })}
            error={err("config.to")}
            hint="E-mail addresses, comma-separated: used when a notification names no users."
          />
          <CheckboxField
            label="The platform's own e-mails (approval requests…) go through this channel"
            name="default"
            checked={isDefault}
            onChange={(e) => setDefault(e.target.checked)}
            error={err("default")}
          />
        </>
      ) : null}
      {type === "in_app" ? (
        <InAppRecipients draft={draft} set={set} err={err} groupNames={groupNames} onGroupPicked={(id, groupName) => setGroupNames((n) => ({ ...n, [id]: groupName }))} />
      ) : null}
      <details open={err("retry.max_attempts") || err("retry.backoff_seconds") ? true : undefined}>
        <summary>Retries</summary>
        <div className="filters">
          <TextField label="Attempts" name="retry.max_attempts" inputMode="numeric" value={attempts} onChange={(e) => setAttempts(e.target.value)} error={err("retry.max_attempts")} hint="1 to 10" />
          <TextField
            label="First wait (seconds)"
            name="retry.backoff_seconds"
            inputMode="decimal"
            value={backoff}
            onChange={(e) => setBackoff(e.target.value)}
            error={err("retry.backoff_seconds")}
            hint="Doubles after each failure"
          />
        </div>
      </details>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : channel ? "Save channel" : "Create channel"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
