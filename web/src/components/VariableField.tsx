// One generated control of a request form, chosen by the variable's type.
import { useState } from "react";

import { CheckboxField, SelectField, TextAreaField, TextField } from "./Field";
import { UserName, UserPicker } from "./UserPicker";
import { type FieldValue, fieldName, type FormVariable } from "./forms";

export function VariableField({
  variable,
  value,
  onChange,
  error,
  canReadUsers,
}: {
  variable: FormVariable;
  value: FieldValue;
  onChange: (value: FieldValue) => void;
  error?: string | undefined;
  canReadUsers: boolean;
}) {
  const name = fieldName(variable);
  const common = { label: variable.label, name, error, hint: variable.help, required: variable.required };
  const text = typeof value === "string" ? value : "";
  switch (variable.type) {
    case "text":
      return <TextAreaField {...common} rows={4} value={text} onChange={(e) => onChange(e.target.value)} />;
    case "number":
      return <TextField {...common} type="text" inputMode="decimal" value={text} onChange={(e) => onChange(e.target.value)} />;
    case "date":
      return <TextField {...common} type="date" value={text} onChange={(e) => onChange(e.target.value)} />;
    case "boolean":
      return <CheckboxField label={variable.label} name={name} error={error} hint={variable.help} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
    case "choice":
      return (
        <SelectField {...common} value={text} onChange={(e) => onChange(e.target.value)} aria-required={variable.required || undefined}>
          <option value="">{variable.required ? "Choose…" : "(none)"}</option>
          {variable.choices.map((choice) => (
            <option key={choice} value={choice}>
              {choice}
            </option>
          ))}
        </SelectField>
      );
    case "user":
      return canReadUsers ? (
        <UserVariable variable={variable} value={text} onChange={onChange} error={error} />
      ) : (
        <TextField {...common} hint={variable.help ?? "The user's id."} value={text} onChange={(e) => onChange(e.target.value)} />
      );
    default:
      return <TextField {...common} value={text} onChange={(e) => onChange(e.target.value)} />;
  }
}

function UserVariable({
  variable,
  value,
  onChange,
  error,
}: {
  variable: FormVariable;
  value: string;
  onChange: (value: FieldValue) => void;
  error?: string | undefined;
}) {
  const [changing, setChanging] = useState(!value);
  const name = fieldName(variable);
  return (
    <fieldset className={error ? "fieldset field--invalid" : "fieldset"} data-invalid={error ? true : undefined} name={name}>
      <legend>
        {variable.label}
        {variable.required ? <span className="required" aria-hidden="true"> *</span> : null}
      </legend>
      {value && !changing ? (
        <p className="manager-current">
          <UserName id={value} />{" "}
          <button type="button" className="button button--small" onClick={() => setChanging(true)}>
            Change
          </button>{" "}
          <button type="button" className="button button--small button--ghost" onClick={() => onChange("")}>
            Clear
          </button>
        </p>
      ) : (
        <UserPicker
          label={`Find ${variable.label.toLowerCase()}`}
          onPick={(user) => {
            onChange(user.id);
            setChanging(false);
          }}
        />
      )}
      {variable.help ? <p className="field-hint">{variable.help}</p> : null}
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}
