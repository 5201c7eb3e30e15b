// A runbook step's form: which runbook, which of its versions runs (pinned at the start, a saved one, or the latest
// — not offered behind an approval), its parameters as JSON, a timeout and retries.
import { useState } from "react";

import { SelectField, TextAreaField, TextField } from "../../../components/Field";
import { useRunbookOptions } from "../api";
import { runbookVersionChoice } from "../graph/catalog";
import { asNumber, asText, type Config, type ConfigProps, errorsAt, withKey } from "./fields";

function JsonField({ label, name, value, onChange, error, hint }: { label: string; name: string; value: unknown; onChange: (value: unknown) => void; error?: string | undefined; hint?: string }) {
  const [text, setText] = useState(() => JSON.stringify(value ?? {}, null, 2));
  const [invalid, setInvalid] = useState<string | undefined>();
  return (
    <TextAreaField
      label={label}
      name={name}
      rows={4}
      className="mono"
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        try {
          onChange(e.target.value.trim() ? JSON.parse(e.target.value) : undefined);
          setInvalid(undefined);
        } catch {
          setInvalid("Not valid JSON yet: the last valid value is kept.");
        }
      }}
      error={invalid ?? error}
      hint={hint}
    />
  );
}

export function RunbookConfig({ config, problems, setConfig, behindApproval }: ConfigProps & { behindApproval: boolean }) {
  const runbooks = useRunbookOptions();
  const items = runbooks.data?.items ?? [];
  const current = asText(config.runbook_id);
  const choice = runbookVersionChoice(config);
  const currentVersion = items.find((r) => r.id === current)?.version ?? 1;
  const retries = (typeof config.retries === "object" && config.retries !== null ? config.retries : {}) as Config;
  const setRetries = (key: string, value: unknown) => {
    const next = withKey(retries, key, value);
    setConfig("retries", Object.keys(next).length ? next : undefined);
  };
  return (
    <>
      <SelectField
        label="Runbook"
        name="config.runbook_id"
        value={current}
        onChange={(e) => setConfig("runbook_id", e.target.value || undefined)}
        error={errorsAt(problems, "config.runbook_id")}
        hint={runbooks.isError ? "The runbooks could not be loaded." : undefined}
      >
        <option value="">{runbooks.isPending ? "Loading runbooks…" : "Choose a runbook…"}</option>
        {current && !items.some((r) => r.id === current) ? <option value={current}>Unknown runbook {current}</option> : null}
        {items.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Runbook version"
        name="config.version"
        value={choice.mode}
        onChange={(e) => setConfig("version", e.target.value === "latest" ? "latest" : e.target.value === "fixed" ? currentVersion : undefined)}
        error={choice.mode === "fixed" ? undefined : errorsAt(problems, "config.version")}
        hint={
          behindApproval
            ? "An approval step comes before this step: it runs the version (and parameters) its approvers saw."
            : choice.mode === "latest"
              ? "Each run takes the version saved last, also a retry after you fixed the runbook."
              : "Saving the runbook later does not change what a started execution runs."
        }
      >
        <option value="start">Pinned when the execution starts</option>
        <option value="fixed">A saved version</option>
        {/* Never offered behind a gate (the API refuses it there); shown only to name a choice made earlier. */}
        {!behindApproval || choice.mode === "latest" ? <option value="latest">Latest when the step starts</option> : null}
      </SelectField>
      {choice.mode === "fixed" ? (
        <TextField
          label="Version number"
          name="config.version-number"
          inputMode="numeric"
          value={asText(choice.version)}
          onChange={(e) => setConfig("version", asNumber(e.target.value) ?? currentVersion)}
          error={errorsAt(problems, "config.version")}
        />
      ) : null}
      <JsonField
        label="Parameters (JSON; values may be templates)"
        name="config.parameters"
        value={config.parameters}
        onChange={(v) => setConfig("parameters", v)}
        error={errorsAt(problems, "config.parameters")}
        hint='e.g. {"host": "{{ inputs.host }}"}'
      />
      <TextField label="Timeout (seconds)" name="config.timeout_seconds" inputMode="numeric" value={asText(config.timeout_seconds)} onChange={(e) => setConfig("timeout_seconds", asNumber(e.target.value))} error={errorsAt(problems, "config.timeout_seconds")} />
      <div className="field-row">
        <TextField label="Retries" name="config.retries.count" inputMode="numeric" value={asText(retries.count)} onChange={(e) => setRetries("count", asNumber(e.target.value))} error={errorsAt(problems, "config.retries.count")} />
        <TextField label="Backoff (seconds)" name="config.retries.backoff" inputMode="numeric" value={asText(retries.backoff)} onChange={(e) => setRetries("backoff", asNumber(e.target.value))} error={errorsAt(problems, "config.retries.backoff")} />
      </div>
      {problems.some((p) => p.sub === "config.retries") ? <p className="field-error">{problems.find((p) => p.sub === "config.retries")?.message}</p> : null}
    </>
  );
}
