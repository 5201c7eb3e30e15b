// Labelled form controls that show their hint and their error (from the API's problem details) beside them,
// wired with aria-invalid and aria-describedby so screen readers read both.
import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes, useId } from "react";

interface Common {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: ReactNode;
}

function useFieldIds(name: string, id: string | undefined, hint: unknown, error: unknown) {
  const auto = useId();
  const inputId = id ?? `${auto}${name}`;
  const hintId = hint ? `${inputId}-hint` : undefined;
  const errorId = error ? `${inputId}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return { inputId, hintId, errorId, describedBy };
}

function FieldShell(props: {
  inputId: string;
  label: string;
  required?: boolean | undefined;
  hint?: ReactNode;
  hintId?: string | undefined;
  error?: string | undefined;
  errorId?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={props.error ? "field field--invalid" : "field"}>
      <label htmlFor={props.inputId}>
        {props.label}
        {props.required ? <span className="required" aria-hidden="true"> *</span> : null}
      </label>
      {props.children}
      {props.hint ? (
        <p id={props.hintId} className="field-hint">
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p id={props.errorId} className="field-error">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

export function TextField({ label, name, error, hint, id, required, ...input }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const ids = useFieldIds(name, id, hint, error);
  return (
    <FieldShell {...ids} label={label} required={required} hint={hint} error={error}>
      <input
        id={ids.inputId}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-required={required || undefined}
        aria-describedby={ids.describedBy}
        {...input}
      />
    </FieldShell>
  );
}

export function TextAreaField({
  label,
  name,
  error,
  hint,
  id,
  required,
  ...input
}: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const ids = useFieldIds(name, id, hint, error);
  return (
    <FieldShell {...ids} label={label} required={required} hint={hint} error={error}>
      <textarea
        id={ids.inputId}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-required={required || undefined}
        aria-describedby={ids.describedBy}
        {...input}
      />
    </FieldShell>
  );
}

export function SelectField({
  label,
  name,
  error,
  hint,
  id,
  children,
  ...select
}: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const ids = useFieldIds(name, id, hint, error);
  return (
    <FieldShell {...ids} label={label} hint={hint} error={error}>
      <select id={ids.inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={ids.describedBy} {...select}>
        {children}
      </select>
    </FieldShell>
  );
}

export function CheckboxField({
  label,
  name,
  error,
  hint,
  id,
  ...input
}: Common & Omit<InputHTMLAttributes<HTMLInputElement>, "type">) {
  const ids = useFieldIds(name, id, hint, error);
  return (
    <div className={error ? "field field--check field--invalid" : "field field--check"}>
      <input
        type="checkbox"
        id={ids.inputId}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={ids.describedBy}
        {...input}
      />
      <label htmlFor={ids.inputId}>{label}</label>
      {hint ? (
        <p id={ids.hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={ids.errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
