// The side panel's forms: one selected step (id, name, its type's config with runbook/user/group/channel pickers)
// or one selected edge (its condition). Problems from live validation show beside the field their path names.
import { useState } from "react";

import { usePermission } from "../../app/session";
import { SelectField, TextAreaField, TextField } from "../../components/Field";
import { GroupPicker } from "../../components/GroupPicker";
import { UserName, UserPicker } from "../../components/UserPicker";
import { useChannelOptions, useRunbookOptions } from "./api";
import {
  type EdgeData,
  isExpression,
  isStepType,
  type LocatedProblem,
  OUTCOME_WORDS_BY_STEP_TYPE,
  runbookVersionChoice,
  STEP_LABELS,
  type StepNodeData,
} from "./graph";

type Config = Record<string, unknown>;

/** The config paths each step type's form shows a field for; other problems are listed above the form. */
const FIELDS: Record<string, string[]> = {
  runbook: ["config.runbook_id", "config.version", "config.parameters", "config.timeout_seconds", "config.retries"],
  approval: ["config.approvers", "config.min_approvals", "config.message", "config.timeout_seconds", "config.on_timeout"],
  condition: ["config.expression"],
  notification: ["config.channel", "config.subject", "config.body"],
  delay: ["config.seconds", "config.until"],
};

const covers = (field: string, sub: string) => sub === field || sub.startsWith(`${field}.`) || sub.startsWith(`${field}[`);

function errorsAt(problems: readonly LocatedProblem[], field: string): string | undefined {
  const messages = problems.filter((p) => covers(field, p.sub)).map((p) => (p.sub === field ? p.message : `${p.sub.slice(field.length + 1) || p.sub}: ${p.message}`));
  return messages.length ? messages.join(" ") : undefined;
}

const asText = (value: unknown) => (value === undefined || value === null ? "" : typeof value === "string" ? value : String(value));

/** A typed number, or the text as typed (the API then says "must be a number"), or nothing when empty. */
function asNumber(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

function withKey(config: Config, key: string, value: unknown): Config {
  const next = { ...config };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

export function StepPanel({
  data,
  problems,
  otherSteps,
  onChange,
  onDelete,
  onConnect,
  behindApproval = false,
}: {
  data: StepNodeData;
  problems: readonly LocatedProblem[];
  otherSteps: { nodeId: string; stepId: string }[];
  /** An approval step comes before this one on some path: a runbook step may not run "latest" then. */
  behindApproval?: boolean;
  onChange: (patch: Partial<StepNodeData>) => void;
  onDelete: () => void;
  onConnect: (targetNodeId: string) => void;
}) {
  const fields = ["id", "name", "type", ...(FIELDS[data.type] ?? [])];
  const elsewhere = problems.filter((p) => !fields.some((f) => covers(f, p.sub)) || p.sub === "type");
  const setConfig = (key: string, value: unknown) => onChange({ config: withKey(data.config, key, value) });
  const [target, setTarget] = useState("");
  const label = isStepType(data.type) ? STEP_LABELS[data.type] : data.type;
  return (
    <section className="builder-panel" aria-labelledby="step-panel-title">
      <h2 id="step-panel-title">
        {label} step <span className="muted">{data.stepId}</span>
      </h2>
      {elsewhere.length ? (
        <ul className="panel-problems" aria-label="Problems of this step">
          {elsewhere.map((p) => (
            <li key={`${p.field}:${p.message}`}>{p.message}</li>
          ))}
        </ul>
      ) : null}
      <TextField label="Step id" name="step-id" value={data.stepId} onChange={(e) => onChange({ stepId: e.target.value })} error={errorsAt(problems, "id")} hint="A slug other steps' expressions use: steps.<id>.outputs" required />
      <TextField label="Display name" name="step-name" value={data.name} onChange={(e) => onChange({ name: e.target.value })} error={errorsAt(problems, "name")} />
      {data.type === "runbook" ? <RunbookConfig config={data.config} problems={problems} setConfig={setConfig} behindApproval={behindApproval} /> : null}
      {data.type === "approval" ? <ApprovalConfig config={data.config} problems={problems} setConfig={setConfig} /> : null}
      {data.type === "condition" ? (
        <TextField
          label="Expression"
          name="config.expression"
          value={asText(data.config.expression)}
          onChange={(e) => setConfig("expression", e.target.value)}
          error={errorsAt(problems, "config.expression")}
          hint="True or false, e.g. inputs.env == 'prod' or steps.check.outputs.ok == 'yes'. Needs a 'true' and a 'false' edge."
          required
        />
      ) : null}
      {data.type === "notification" ? <NotificationConfig config={data.config} problems={problems} setConfig={setConfig} /> : null}
      {data.type === "delay" ? <DelayConfig config={data.config} problems={problems} onChange={(config) => onChange({ config })} /> : null}
      <div className="panel-connect">
        <SelectField label="Add an edge from this step to" name="connect-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Choose a step…</option>
          {otherSteps.map((s) => (
            <option key={s.nodeId} value={s.nodeId}>
              {s.stepId}
            </option>
          ))}
        </SelectField>
        <button
          type="button"
          className="button button--small"
          disabled={!target}
          onClick={() => {
            onConnect(target);
            setTarget("");
          }}
        >
          Add edge
        </button>
      </div>
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={onDelete}>
          Delete step
        </button>
      </div>
    </section>
  );
}

type ConfigProps = { config: Config; problems: readonly LocatedProblem[]; setConfig: (key: string, value: unknown) => void };

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

function RunbookConfig({ config, problems, setConfig, behindApproval }: ConfigProps & { behindApproval: boolean }) {
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

interface Approver {
  type: string;
  value?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function ApproverValue({ approver, label, onChange }: { approver: Approver; label: string; onChange: (value: string) => void }) {
  const canReadUsers = usePermission("users.read");
  const value = approver.value ?? "";
  const [picking, setPicking] = useState(!value);
  if (approver.type === "any") return <p className="muted">Anyone in the tenant may approve.</p>;
  if (approver.type === "role") return <TextField label={`${label}: role`} name="approver-role" value={value} onChange={(e) => onChange(e.target.value)} />;
  if (canReadUsers && picking) {
    const pick = (v: string) => {
      onChange(v);
      setPicking(false);
    };
    return approver.type === "user" ? (
      <UserPicker label={`${label}: find a user`} onPick={(user) => pick(user.email)} />
    ) : (
      <GroupPicker label={`${label}: find a group`} onPick={(group) => pick(group.name)} />
    );
  }
  return (
    <div className="approver-value">
      <TextField label={`${label}: ${approver.type === "user" ? "user (email or id)" : "group (name or id)"}`} name="approver-value" value={value} onChange={(e) => onChange(e.target.value)} />
      {approver.type === "user" && UUID.test(value) ? (
        <p className="field-hint">
          <UserName id={value} />
        </p>
      ) : null}
      {canReadUsers ? (
        <button type="button" className="button button--small button--ghost" onClick={() => setPicking(true)}>
          Search instead
        </button>
      ) : null}
    </div>
  );
}

function ApprovalConfig({ config, problems, setConfig }: ConfigProps) {
  const approvers: Approver[] = Array.isArray(config.approvers) ? (config.approvers as Approver[]) : [];
  const setApprovers = (next: Approver[]) => setConfig("approvers", next);
  const listError = problems.filter((p) => p.sub === "config.approvers").map((p) => p.message);
  return (
    <>
      <fieldset className={listError.length ? "fieldset field--invalid" : "fieldset"}>
        <legend>Approvers</legend>
        {listError.length ? <p className="field-error">{listError.join(" ")}</p> : null}
        {approvers.map((approver, j) => (
          // Approvers have no identity but their place in the list.
          <div className="approver" key={`${j}-${approver.type}`}>
            <SelectField
              label={`Approver ${j + 1}`}
              name={`approver-${j}-type`}
              value={approver.type}
              onChange={(e) => setApprovers(approvers.map((a, i) => (i === j ? (e.target.value === "any" ? { type: "any" } : { type: e.target.value, value: "" }) : a)))}
              error={errorsAt(problems, `config.approvers[${j}]`)}
            >
              <option value="user">A user</option>
              <option value="group">A group</option>
              <option value="role">A role</option>
              <option value="any">Anyone</option>
            </SelectField>
            <ApproverValue approver={approver} label={`Approver ${j + 1}`} onChange={(value) => setApprovers(approvers.map((a, i) => (i === j ? { ...a, value } : a)))} />
            <button type="button" className="button button--small button--ghost" onClick={() => setApprovers(approvers.filter((_, i) => i !== j))} aria-label={`Remove approver ${j + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="button button--small" onClick={() => setApprovers([...approvers, { type: "user", value: "" }])}>
          Add approver
        </button>
      </fieldset>
      <TextField label="Approvals needed" name="config.min_approvals" inputMode="numeric" value={asText(config.min_approvals ?? 1)} onChange={(e) => setConfig("min_approvals", asNumber(e.target.value))} error={errorsAt(problems, "config.min_approvals")} />
      <TextAreaField label="Message to the approvers (template)" name="config.message" rows={2} value={asText(config.message)} onChange={(e) => setConfig("message", e.target.value || undefined)} error={errorsAt(problems, "config.message")} />
      <TextField label="Timeout (seconds)" name="config.timeout_seconds" inputMode="numeric" value={asText(config.timeout_seconds)} onChange={(e) => setConfig("timeout_seconds", asNumber(e.target.value))} error={errorsAt(problems, "config.timeout_seconds")} />
      <SelectField label="On timeout" name="config.on_timeout" value={asText(config.on_timeout) || "reject"} onChange={(e) => setConfig("on_timeout", e.target.value === "reject" ? undefined : e.target.value)} error={errorsAt(problems, "config.on_timeout")}>
        <option value="reject">Reject</option>
        <option value="approve">Approve</option>
        <option value="skip">Skip the gate (its approved edges are not taken)</option>
      </SelectField>
    </>
  );
}

function NotificationConfig({ config, problems, setConfig }: ConfigProps) {
  const canListChannels = usePermission("channels.manage");
  const channels = useChannelOptions(canListChannels);
  const current = asText(config.channel);
  const items = channels.data?.items ?? [];
  return (
    <>
      {canListChannels && !channels.isError ? (
        <SelectField label="Channel" name="config.channel" value={current} onChange={(e) => setConfig("channel", e.target.value)} error={errorsAt(problems, "config.channel")}>
          <option value="">{channels.isPending ? "Loading channels…" : "Choose a channel…"}</option>
          {current && !items.some((c) => c.id === current || c.name === current) ? <option value={current}>{current}</option> : null}
          {items.map((c) => (
            <option key={c.id} value={c.name}>
              {c.name} ({c.type})
            </option>
          ))}
        </SelectField>
      ) : (
        <TextField label="Channel (id or name)" name="config.channel" value={current} onChange={(e) => setConfig("channel", e.target.value)} error={errorsAt(problems, "config.channel")} />
      )}
      <TextField label="Subject (template)" name="config.subject" value={asText(config.subject)} onChange={(e) => setConfig("subject", e.target.value)} error={errorsAt(problems, "config.subject")} required />
      <TextAreaField label="Body (template)" name="config.body" rows={3} value={asText(config.body)} onChange={(e) => setConfig("body", e.target.value || undefined)} error={errorsAt(problems, "config.body")} />
    </>
  );
}

function DelayConfig({ config, problems, onChange }: { config: Config; problems: readonly LocatedProblem[]; onChange: (config: Config) => void }) {
  const mode = "until" in config ? "until" : "seconds";
  const whole = problems.filter((p) => p.sub === "config").map((p) => p.message);
  return (
    <>
      {whole.length ? <p className="field-error">{whole.join(" ")}</p> : null}
      <SelectField label="Wait" name="delay-mode" value={mode} onChange={(e) => onChange(e.target.value === "until" ? { until: "" } : { seconds: 60 })}>
        <option value="seconds">For a number of seconds</option>
        <option value="until">Until a time</option>
      </SelectField>
      {mode === "seconds" ? (
        <TextField label="Seconds" name="config.seconds" inputMode="numeric" value={asText(config.seconds)} onChange={(e) => onChange(withKey(config, "seconds", asNumber(e.target.value) ?? ""))} error={errorsAt(problems, "config.seconds")} />
      ) : (
        <TextField label="Until (ISO-8601 with time zone, or a template)" name="config.until" value={asText(config.until)} onChange={(e) => onChange(withKey(config, "until", e.target.value))} error={errorsAt(problems, "config.until")} hint="e.g. 2030-01-01T09:00:00Z or {{ inputs.when }}" />
      )}
    </>
  );
}

export function EdgePanel({
  data,
  fromStep,
  toStep,
  problems,
  onChange,
  onDelete,
}: {
  data: EdgeData;
  fromStep: { stepId: string; type: string } | undefined;
  toStep: { stepId: string } | undefined;
  problems: readonly LocatedProblem[];
  onChange: (condition: string | null) => void;
  onDelete: () => void;
}) {
  const words = fromStep && isStepType(fromStep.type) ? OUTCOME_WORDS_BY_STEP_TYPE[fromStep.type] : [];
  const expression = isExpression(data.condition) || (data.condition !== null && !words.includes(data.condition));
  const [custom, setCustom] = useState(expression);
  const choice = custom ? "__expression" : (data.condition ?? "");
  const elsewhere = problems.filter((p) => p.sub !== "condition");
  return (
    <section className="builder-panel" aria-labelledby="edge-panel-title">
      <h2 id="edge-panel-title">
        Edge {fromStep?.stepId ?? "?"} → {toStep?.stepId ?? "?"}
      </h2>
      {elsewhere.length ? (
        <ul className="panel-problems" aria-label="Problems of this edge">
          {elsewhere.map((p) => (
            <li key={`${p.field}:${p.message}`}>{p.message}</li>
          ))}
        </ul>
      ) : null}
      <SelectField
        label="Taken when"
        name="edge-condition"
        value={choice}
        onChange={(e) => {
          const value = e.target.value;
          setCustom(value === "__expression");
          if (value === "__expression") onChange("");
          else onChange(value || null);
        }}
        error={custom ? undefined : errorsAt(problems, "condition")}
      >
        <option value="">the step succeeds (no condition)</option>
        {words.map((word) => (
          <option key={word} value={word}>
            {word}
          </option>
        ))}
        <option value="__expression">an expression is true…</option>
      </SelectField>
      {custom ? (
        <TextField label="Expression" name="edge-expression" value={data.condition ?? ""} onChange={(e) => onChange(e.target.value)} error={errorsAt(problems, "condition")} hint="e.g. steps.build.outputs.changed == 'yes'" />
      ) : null}
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={onDelete}>
          Delete edge
        </button>
      </div>
    </section>
  );
}
