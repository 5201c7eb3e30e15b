// The runbook's ordered actions: each with a name, a type (shell, python, http or a built-in) and the fields of
// that type; add, remove and reorder. API problems (`actions.<i>.<field>`) show beside the field they name.
import { SelectField, TextAreaField, TextField } from "../../components/Field";
import { type ActionDraft, emptyAction, errorsUnder, SCRIPT_TYPES } from "./model";

const KNOWN_TYPES = ["shell", "python", "http", "echo"];
const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const HTTP_FIELDS = new Set(["name", "type", "method", "url", "headers", "body", "expect_status"]);

function ActionFields({
  draft,
  index,
  errors,
  onChange,
}: {
  draft: ActionDraft;
  index: number;
  errors: Record<string, string>;
  onChange: (patch: Partial<ActionDraft>) => void;
}) {
  const field = (name: string) => `action-${index}-${name}`;
  if (SCRIPT_TYPES.has(draft.type)) {
    return (
      <TextAreaField
        label={draft.type === "python" ? "Python script" : "Shell script"}
        name={field("script")}
        className="code-input"
        rows={6}
        spellCheck={false}
        value={draft.script}
        onChange={(e) => onChange({ script: e.target.value })}
        error={errors.script}
        hint="Report outputs as key=value lines (or a JSON object) written to the file named by $TP_OUTPUT."
      />
    );
  }
  if (draft.type === "http") {
    const other = Object.entries(errors)
      .filter(([key]) => key && !HTTP_FIELDS.has(key.split(".")[0] ?? ""))
      .map(([key, message]) => `${key}: ${message}`)
      .join(" ");
    return (
      <>
        <div className="filters">
          <SelectField label="Method" name={field("method")} value={draft.method} onChange={(e) => onChange({ method: e.target.value })} error={errors.method}>
            {HTTP_METHODS.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </SelectField>
          <TextField label="URL" name={field("url")} value={draft.url} onChange={(e) => onChange({ url: e.target.value })} error={errors.url} />
          <TextField
            label="Expected status"
            name={field("expect_status")}
            value={draft.expectStatus}
            onChange={(e) => onChange({ expectStatus: e.target.value })}
            error={errors.expect_status}
            hint="e.g. 200, 201; empty: any 2xx"
          />
        </div>
        <TextAreaField
          label="Headers (JSON)"
          name={field("headers")}
          className="code-input"
          rows={2}
          spellCheck={false}
          value={draft.headers}
          onChange={(e) => onChange({ headers: e.target.value })}
          error={errors.headers}
        />
        <TextAreaField
          label="Body"
          name={field("body")}
          className="code-input"
          rows={3}
          spellCheck={false}
          value={draft.body}
          onChange={(e) => onChange({ body: e.target.value })}
          error={errors.body}
          hint="JSON (sent as JSON) or text; templates allowed"
        />
        {other ? <p className="field-error">{other}</p> : null}
      </>
    );
  }
  const configErrors = Object.entries(errors)
    .filter(([key]) => key !== "name" && key !== "type")
    .map(([key, message]) => (key && key !== "config" ? `${key}: ${message}` : message))
    .join(" ");
  return (
    <TextAreaField
      label="Configuration (JSON)"
      name={field("config")}
      className="code-input"
      rows={5}
      spellCheck={false}
      value={draft.config}
      onChange={(e) => onChange({ config: e.target.value })}
      error={configErrors || undefined}
      hint={draft.type === "echo" ? 'Its outputs: {"values": {"greeting": "hello {{ parameters.name }}"}}' : "The action's fields, as a JSON object."}
    />
  );
}

export function ActionsEditor({
  actions,
  onChange,
  errors,
  error,
}: {
  actions: ActionDraft[];
  onChange: (next: ActionDraft[]) => void;
  errors: readonly { field: string; message: string }[];
  /** A problem with the list itself (`actions`: e.g. none). */
  error?: string | undefined;
}) {
  const update = (index: number, patch: Partial<ActionDraft>) => onChange(actions.map((a, i) => (i === index ? { ...a, ...patch } : a)));
  const move = (index: number, by: number) => {
    const next = [...actions];
    const [moved] = next.splice(index, 1);
    if (moved) next.splice(index + by, 0, moved);
    onChange(next);
  };
  return (
    <fieldset className="fieldset">
      <legend>Actions</legend>
      <p className="field-hint">Run in order; a failing action stops the run.</p>
      {error ? <p className="field-error">{error}</p> : null}
      {!actions.length ? <p className="muted">No actions yet: a runbook needs at least one.</p> : null}
      <ol className="plain-list" aria-label="Actions">
        {actions.map((draft, index) => {
          const own = errorsUnder(errors, `actions.${index}`);
          const label = draft.name || `action ${index + 1}`;
          const custom = !KNOWN_TYPES.includes(draft.type);
          return (
            <li key={draft.key}>
              <fieldset className="action-editor" aria-label={`Action ${index + 1}: ${label}`}>
                <legend>
                  {index + 1}. {label}
                </legend>
                {own[""] ? <p className="field-error">{own[""]}</p> : null}
                <div className="filters">
                  <TextField label="Action name" name={`action-${index}-name`} value={draft.name} onChange={(e) => update(index, { name: e.target.value })} error={own.name} />
                  <SelectField
                    label="Action type"
                    name={`action-${index}-type`}
                    value={custom ? "other" : draft.type}
                    error={own.type}
                    onChange={(e) => {
                      const type = e.target.value === "other" ? "" : e.target.value;
                      update(index, { type, ...(type === "echo" && draft.config.trim() === "{}" ? { config: emptyAction("echo").config } : {}) });
                    }}
                  >
                    <option value="shell">shell</option>
                    <option value="python">python</option>
                    <option value="http">http</option>
                    <option value="echo">echo (built-in)</option>
                    <option value="other">other built-in…</option>
                  </SelectField>
                  {custom ? (
                    <TextField label="Built-in type" name={`action-${index}-builtin`} value={draft.type} onChange={(e) => update(index, { type: e.target.value })} hint="e.g. itsm.comment" />
                  ) : null}
                </div>
                <ActionFields draft={draft} index={index} errors={own} onChange={(patch) => update(index, patch)} />
                <div className="row-actions">
                  <button type="button" className="button button--small" disabled={index === 0} onClick={() => move(index, -1)} aria-label={`Move ${label} up`}>
                    Move up
                  </button>
                  <button
                    type="button"
                    className="button button--small"
                    disabled={index === actions.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={`Move ${label} down`}
                  >
                    Move down
                  </button>
                  <button type="button" className="button button--small button--ghost" onClick={() => onChange(actions.filter((_, i) => i !== index))} aria-label={`Remove ${label}`}>
                    Remove
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button type="button" className="button button--small" onClick={() => onChange([...actions, emptyAction("shell", actions.length)])}>
        Add action
      </button>
    </fieldset>
  );
}
