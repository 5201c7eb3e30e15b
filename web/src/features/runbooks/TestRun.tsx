// Test run: a parameters form generated from the saved runbook's JSON Schema, then the run followed live.
import { type FormEvent, useMemo, useRef, useState } from "react";

import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { type Runbook, useExecuteRunbook } from "./api";
import { LiveExecution } from "./LiveLog";
import { formToParameters, schemaToForm } from "./model";

export function TestRun({ runbook, dirty }: { runbook: Runbook; dirty: boolean }) {
  const inputs = useMemo(() => schemaToForm(runbook.parameters), [runbook.parameters]);
  const [values, setValues] = useState<Record<string, string | boolean>>({});
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const [executionId, setExecutionId] = useState<string | null>(null);
  const execute = useExecuteRunbook();
  const form = useRef<HTMLFormElement>(null);
  const names = useMemo(() => inputs.map((i) => `parameters.${i.name}`), [inputs]);
  const errors = useFormErrors(execute.error, names);
  useFocusOnError(execute.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    const { parameters, errors: bad } = formToParameters(inputs, values);
    setLocalErrors(bad);
    if (Object.keys(bad).length) return;
    execute.reset();
    execute.mutate({ id: runbook.id, parameters }, { onSuccess: (execution) => setExecutionId(execution.id) });
  }

  const value = (name: string, initial: string | boolean) => values[name] ?? initial;
  return (
    <section className="panel" aria-labelledby="test-run-title">
      <h2 id="test-run-title">Test run</h2>
      <p className="field-hint">
        Runs version {runbook.version} as saved{dirty ? " (your unsaved changes are not included: save first)" : ""}.
      </p>
      <form ref={form} onSubmit={submit} noValidate aria-label="Test run parameters">
        <FormSummary errors={errors} />
        {inputs.length ? null : <p className="muted">This runbook takes no parameters.</p>}
        {inputs.map((input) => {
          const error = localErrors[input.name] ?? errors.fields[`parameters.${input.name}`];
          const common = { label: input.label, name: `run-${input.name}`, error, hint: input.description || undefined };
          if (input.kind === "boolean")
            return (
              <CheckboxField
                key={input.name}
                {...common}
                checked={value(input.name, input.initial) === true}
                onChange={(e) => setValues({ ...values, [input.name]: e.target.checked })}
              />
            );
          if (input.kind === "choice")
            return (
              <SelectField key={input.name} {...common} value={String(value(input.name, input.initial))} onChange={(e) => setValues({ ...values, [input.name]: e.target.value })}>
                {input.required ? null : <option value="">—</option>}
                {input.choices.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </SelectField>
            );
          if (input.kind === "json")
            return (
              <TextAreaField
                key={input.name}
                {...common}
                className="code-input"
                rows={3}
                required={input.required}
                value={String(value(input.name, input.initial))}
                onChange={(e) => setValues({ ...values, [input.name]: e.target.value })}
              />
            );
          return (
            <TextField
              key={input.name}
              {...common}
              required={input.required}
              inputMode={input.kind === "text" ? undefined : "decimal"}
              value={String(value(input.name, input.initial))}
              onChange={(e) => setValues({ ...values, [input.name]: e.target.value })}
            />
          );
        })}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={execute.isPending}>
            {execute.isPending ? "Starting…" : "Run now"}
          </button>
        </div>
      </form>
      {executionId ? <LiveExecution key={executionId} executionId={executionId} /> : null}
    </section>
  );
}
