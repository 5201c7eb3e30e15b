// The runbook's parameters: a small field editor (name, type, required, choices, default, description) that
// writes a JSON Schema, or the JSON Schema itself as text (for what the field editor cannot show).
import { useId } from "react";

import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { emptyParam, PARAM_TYPES, type ParamField, type ParamType } from "./model";

export interface ParametersState {
  mode: "fields" | "json";
  fields: ParamField[];
  json: string;
}

export function ParametersEditor({
  state,
  onChange,
  error,
  jsonError,
  fieldErrors,
}: {
  state: ParametersState;
  onChange: (next: ParametersState) => void;
  /** The API's problems with the schema (`parameters…`), shown above the editor. */
  error?: string | undefined;
  /** The JSON text does not parse (shown beside the textarea). */
  jsonError?: string | undefined;
  /** Problems per parameter name (`parameters.properties.<name>…`). */
  fieldErrors: Record<string, string>;
}) {
  const id = useId();
  const setField = (index: number, patch: Partial<ParamField>) =>
    onChange({ ...state, fields: state.fields.map((f, i) => (i === index ? { ...f, ...patch } : f)) });
  return (
    <fieldset className="fieldset" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Parameters</legend>
      <p className="field-hint">
        What a run is given. Scripts read each one as <code className="mono">TP_PARAM_&lt;NAME&gt;</code> and as JSON on stdin; http and
        built-in actions as <code className="mono">{"{{ parameters.name }}"}</code>.
      </p>
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
      <div className="row-actions" role="group" aria-label="Parameters editor">
        <button
          type="button"
          className={state.mode === "fields" ? "button button--small button--primary" : "button button--small"}
          aria-pressed={state.mode === "fields"}
          onClick={() => onChange({ ...state, mode: "fields" })}
        >
          Fields
        </button>
        <button
          type="button"
          className={state.mode === "json" ? "button button--small button--primary" : "button button--small"}
          aria-pressed={state.mode === "json"}
          onClick={() => onChange({ ...state, mode: "json" })}
        >
          JSON Schema
        </button>
      </div>
      {state.mode === "json" ? (
        <TextAreaField
          label="Parameters JSON Schema"
          name="parameters"
          className="code-input"
          rows={10}
          value={state.json}
          onChange={(e) => onChange({ ...state, json: e.target.value })}
          error={jsonError}
          hint='An object schema, e.g. {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]}. Empty: no parameters.'
          spellCheck={false}
        />
      ) : (
        <>
          {state.fields.length ? null : <p className="muted">No parameters: runs take none.</p>}
          <ol className="plain-list" aria-label="Parameter fields">
            {state.fields.map((field, index) => {
              const label = field.name || `parameter ${index + 1}`;
              return (
                <li key={index} className="action-editor">
                  <div className="filters">
                    <TextField
                      label="Parameter name"
                      name={`param-${index}-name`}
                      value={field.name}
                      onChange={(e) => setField(index, { name: e.target.value })}
                      error={field.name ? fieldErrors[field.name] : undefined}
                    />
                    <SelectField
                      label="Parameter type"
                      name={`param-${index}-type`}
                      value={field.type}
                      onChange={(e) => setField(index, { type: e.target.value as ParamType })}
                    >
                      {PARAM_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {t}
                        </option>
                      ))}
                    </SelectField>
                    <TextField
                      label="Default value"
                      name={`param-${index}-default`}
                      value={field.defaultValue}
                      onChange={(e) => setField(index, { defaultValue: e.target.value })}
                      hint={field.type === "boolean" ? "true or false" : undefined}
                    />
                    {field.type === "string" ? (
                      <TextField
                        label="Choices"
                        name={`param-${index}-choices`}
                        value={field.choices}
                        onChange={(e) => setField(index, { choices: e.target.value })}
                        hint="Comma-separated; empty: any text"
                      />
                    ) : null}
                  </div>
                  <TextField
                    label="Parameter description"
                    name={`param-${index}-description`}
                    value={field.description}
                    onChange={(e) => setField(index, { description: e.target.value })}
                  />
                  <div className="row-actions">
                    <CheckboxField
                      label="Required"
                      name={`param-${index}-required`}
                      checked={field.required}
                      onChange={(e) => setField(index, { required: e.target.checked })}
                    />
                    <button
                      type="button"
                      className="button button--small button--ghost"
                      aria-label={`Remove ${label}`}
                      onClick={() => onChange({ ...state, fields: state.fields.filter((_, i) => i !== index) })}
                    >
                      Remove
                    </button>
                  </div>
                </li>
              );
            })}
          </ol>
          <button type="button" className="button button--small" onClick={() => onChange({ ...state, fields: [...state.fields, emptyParam()] })}>
            Add parameter
          </button>
        </>
      )}
    </fieldset>
  );
}
