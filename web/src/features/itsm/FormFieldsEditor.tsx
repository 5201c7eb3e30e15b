// The request form's fields in a catalog item's editor: one fieldset per variable (name, label, type, choices,
// default, help, required) in order, with move up / down / remove, and "Add field".
import type { Dispatch, SetStateAction } from "react";

import { CheckboxField, SelectField, TextField } from "../../components/Field";
import { emptyDraft, moveItem, VARIABLE_TYPES, type VariableDraft, type VariableType } from "../../components/forms";

/** The fields of one variable the API may name in an error (`variables.<i>.<field>`). */
export const VARIABLE_FIELDS = ["name", "label", "type", "required", "choices", "default", "help"];

function VariableEditor({
  draft,
  index,
  count,
  errors,
  onChange,
  onMove,
  onRemove,
}: {
  draft: VariableDraft;
  index: number;
  count: number;
  errors: Record<string, string>;
  onChange: (patch: Partial<VariableDraft>) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}) {
  const f = (name: string) => errors[`variables.${index}.${name}`];
  const title = draft.label || draft.name || `field ${index + 1}`;
  return (
    <fieldset className="fieldset" aria-label={`Form field ${index + 1}: ${title}`}>
      <legend>
        Field {index + 1}: {title}
      </legend>
      {errors[`variables.${index}`] ? <p className="field-error">{errors[`variables.${index}`]}</p> : null}
      <TextField label="Name" name={`variables.${index}.name`} value={draft.name} onChange={(e) => onChange({ name: e.target.value })} error={f("name")} hint="a-z, 0-9 and _; templates use it." required />
      <TextField label="Label" name={`variables.${index}.label`} value={draft.label} onChange={(e) => onChange({ label: e.target.value })} error={f("label")} />
      <SelectField label="Type" name={`variables.${index}.type`} value={draft.type} onChange={(e) => onChange({ type: e.target.value as VariableType })} error={f("type")}>
        {VARIABLE_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </SelectField>
      {draft.type === "choice" ? (
        <TextField label="Choices" name={`variables.${index}.choices`} value={draft.choices} onChange={(e) => onChange({ choices: e.target.value })} error={f("choices")} hint="Separated by commas." required />
      ) : null}
      {draft.type === "boolean" ? (
        <CheckboxField label="Checked by default" name={`variables.${index}.default`} checked={draft.default === "true"} onChange={(e) => onChange({ default: e.target.checked ? "true" : "" })} error={f("default")} />
      ) : (
        <TextField label="Default" name={`variables.${index}.default`} value={draft.default} onChange={(e) => onChange({ default: e.target.value })} error={f("default")} />
      )}
      <TextField label="Help text" name={`variables.${index}.help`} value={draft.help} onChange={(e) => onChange({ help: e.target.value })} error={f("help")} />
      <CheckboxField label="Required" name={`variables.${index}.required`} checked={draft.required} onChange={(e) => onChange({ required: e.target.checked })} error={f("required")} />
      <div className="form-actions form-actions--wrap">
        <button type="button" className="button button--small" disabled={index === 0} onClick={() => onMove(-1)} aria-label={`Move field ${title} up`}>
          Move up
        </button>
        <button type="button" className="button button--small" disabled={index === count - 1} onClick={() => onMove(1)} aria-label={`Move field ${title} down`}>
          Move down
        </button>
        <button type="button" className="button button--small button--danger" onClick={onRemove} aria-label={`Remove field ${title}`}>
          Remove
        </button>
      </div>
    </fieldset>
  );
}

export function FormFieldsEditor({
  drafts,
  setDrafts,
  errors,
}: {
  drafts: readonly VariableDraft[];
  setDrafts: Dispatch<SetStateAction<VariableDraft[]>>;
  errors: Record<string, string>;
}) {
  return (
    <>
      <h2>Request form</h2>
      {errors.variables ? <p className="field-error">{errors.variables}</p> : null}
      {drafts.length ? null : <p className="muted">No fields: the request needs nothing but a click.</p>}
      <ol className="ladder ladder--editor" aria-label="Form fields in order">
        {drafts.map((draft, index) => (
          <li key={draft.key}>
            <VariableEditor
              draft={draft}
              index={index}
              count={drafts.length}
              errors={errors}
              onChange={(patch) => setDrafts((all) => all.map((d, i) => (i === index ? { ...d, ...patch } : d)))}
              onMove={(delta) => setDrafts((all) => moveItem(all, index, delta))}
              onRemove={() => setDrafts((all) => all.filter((_, i) => i !== index))}
            />
          </li>
        ))}
      </ol>
      <div className="form-actions">
        <button type="button" className="button" onClick={() => setDrafts((all) => [...all, emptyDraft()])}>
          Add field
        </button>
      </div>
    </>
  );
}
