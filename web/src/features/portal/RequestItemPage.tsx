// One catalog item: its request form (generated from the item's variables), "Who will approve?" and submit.
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { usePermission } from "../../app/session";
import { TextAreaField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { useDebouncedValue } from "../../components/hooks";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { type Preview, usePreview } from "../../api/approvals";
import { type CatalogItem, useCatalogItem, useSubmitRequest } from "../../api/itsm";
import { coerceValues, type FieldValue, fieldName, initialValues, requestFormFields, toFormVariables } from "../../components/forms";
import { VariableField } from "../../components/VariableField";
import "../../components/portal.css";

function newKey(): string {
  return typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export function ApproverPreview({ preview }: { preview: Preview }) {
  if (!preview.orders.length) return <p>No approval is needed.</p>;
  return (
    <ol className="ladder" aria-label="Approval steps in order">
      {preview.orders.map((order) => (
        <li key={order.order}>
          {order.steps.map((step) => (
            <div key={step.name}>
              <p>
                <strong>{step.name}</strong>
                {step.required ? null : <span className="muted"> (optional)</span>}
                {step.min_approvals > 1 ? <span className="muted"> · {step.min_approvals} approvals needed</span> : null}
              </p>
              {step.approvers.length ? (
                <ul>
                  {step.approvers.map((a) => (
                    <li key={a.id}>
                      {a.display_name} <span className="muted">{a.email}</span>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="field-error">Nobody can approve this step yet.</p>
              )}
              {step.notes.map((note) => (
                <p key={note} className="field-hint">
                  {note}
                </p>
              ))}
            </div>
          ))}
        </li>
      ))}
    </ol>
  );
}

function RequestForm({ item }: { item: CatalogItem }) {
  const variables = useMemo(() => toFormVariables(item.variables), [item.variables]);
  const [values, setValues] = useState<Record<string, FieldValue>>(() => initialValues(variables));
  const [justification, setJustification] = useState("");
  // One key per form session: a double click (or a retry after a lost answer) creates a single request.
  const [idempotencyKey] = useState(newKey);
  const canReadUsers = usePermission("users.read");
  const submit = useSubmitRequest();
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  // The button is disabled once React re-renders; this catches the second click of a double click before that.
  const inFlight = useRef(false);
  const errors = useFormErrors(submit.error, requestFormFields(variables));
  useFocusOnError(submit.error, form);
  const coerced = useMemo(() => coerceValues(variables, values), [variables, values]);
  const previewValues = useDebouncedValue(coerced, 500);
  const preview = usePreview(item.workflow_definition_id, previewValues, true);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    submit.mutate(
      { body: { catalog_item_id: item.id, variables: coerced, justification: justification.trim() }, idempotencyKey },
      {
        onSettled: () => {
          inFlight.current = false;
        },
        onSuccess: (request) => void navigate(`/portal/requests/${request.id}`, { state: { notice: `Request ${request.number} submitted.` } }),
      },
    );
  }

  return (
    <div className="two-col">
      <form ref={form} onSubmit={onSubmit} noValidate aria-label={`Request ${item.name}`} className="panel">
        <FormSummary errors={errors} title="The request was not submitted" />
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
        <TextAreaField
          label="Justification"
          name="justification"
          rows={3}
          value={justification}
          onChange={(e) => setJustification(e.target.value)}
          error={errors.fields.justification}
          hint="Why you need it (optional)."
        />
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={submit.isPending}>
            {submit.isPending ? "Submitting…" : "Submit request"}
          </button>
          <Link to="/portal" className="button">
            Back to the catalog
          </Link>
        </div>
      </form>
      <section className="panel" aria-labelledby="who-approves" aria-live="polite">
        <h2 id="who-approves">Who will approve?</h2>
        {!item.workflow_definition_id ? (
          <p>No approval is needed: fulfillment starts when you submit.</p>
        ) : preview.isPending ? (
          <Loading label="Working out the approvers…" />
        ) : preview.isError ? (
          <ErrorState error={preview.error} title="The approvers could not be worked out" onRetry={() => void preview.refetch()} />
        ) : (
          <ApproverPreview preview={preview.data} />
        )}
      </section>
    </div>
  );
}

export function RequestItemPage() {
  const { itemId = "" } = useParams();
  const item = useCatalogItem(itemId);
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/portal">Service portal</Link>
      </nav>
      {item.isPending ? <Loading label="Loading the item…" /> : null}
      {item.isError ? <ErrorState error={item.error} onRetry={() => void item.refetch()} /> : null}
      {item.data ? (
        <>
          <PageHeader title={item.data.name} description={item.data.description || item.data.category} />
          {item.data.active ? <RequestForm key={item.data.id} item={item.data} /> : <ErrorState error={new Error("This item is retired and takes no new requests.")} title="Not available" />}
        </>
      ) : null}
    </>
  );
}
