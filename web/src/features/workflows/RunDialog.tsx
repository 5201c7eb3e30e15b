// "Run": the inputs form generated from the workflow's `inputs` JSON Schema (the portal's controls), then
// POST /execute and off to the execution view.
import { type FormEvent, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";

import { ApiError, formErrors, networkProblem } from "../../api/problem";
import { usePermission } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { FormSummary, useFocusOnError } from "../../components/FormErrors";
import { coerceValues, type FieldValue, fieldName, initialValues } from "../../components/forms";
import { VariableField } from "../../components/VariableField";
import { useExecuteWorkflow, type Workflow } from "./api";
import { inputProblems, schemaInputs, schemaVariables } from "./inputs";

export function RunDialog({ open, onClose, workflow }: { open: boolean; onClose: () => void; workflow: Workflow }) {
  return (
    <Dialog open={open} onClose={onClose} title={`Run ${workflow.name} (version ${workflow.version})`}>
      <RunForm workflow={workflow} onCancel={onClose} />
    </Dialog>
  );
}

function RunForm({ workflow, onCancel }: { workflow: Workflow; onCancel: () => void }) {
  const navigate = useNavigate();
  const canReadUsers = usePermission("users.read");
  const variables = useMemo(() => schemaVariables(workflow.inputs), [workflow.inputs]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(variables));
  const execute = useExecuteWorkflow();
  const form = useRef<HTMLFormElement>(null);
  const errors = useMemo(() => {
    if (!execute.error) return { fields: {}, general: [] };
    const problem = execute.error instanceof ApiError ? execute.error.problem : networkProblem();
    const mapped = { ...problem, errors: problem.errors ? inputProblems(problem.errors) : undefined };
    if (!mapped.errors) delete mapped.errors;
    return formErrors(mapped, variables.map(fieldName));
  }, [execute.error, variables]);
  useFocusOnError(execute.error, form);

  function submit(event: FormEvent) {
    event.preventDefault();
    const inputs = schemaInputs(workflow.inputs, coerceValues(variables, values));
    execute.mutate({ id: workflow.id, inputs }, { onSuccess: (execution) => void navigate(`/executions/${execution.id}`) });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="Run the workflow">
      <FormSummary errors={errors} title="The workflow did not start" />
      {variables.length ? null : <p className="muted">This workflow takes no inputs.</p>}
      {variables.map((variable) => (
        <VariableField
          key={variable.name}
          variable={variable}
          value={values[variable.name] ?? ""}
          onChange={(value) => setValues((v) => ({ ...v, [variable.name]: value }))}
          error={errors.fields[fieldName(variable)]}
          canReadUsers={canReadUsers}
        />
      ))}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={execute.isPending}>
          {execute.isPending ? "Starting…" : "Start"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
