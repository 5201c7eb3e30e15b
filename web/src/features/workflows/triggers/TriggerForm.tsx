// The add/edit form of a trigger: its kind (when adding), a schedule's cron and time zone, an ITSM event and
// catalog item, the inputs it starts the workflow with, and the API's messages beside the fields they name.
import { type FormEvent, useMemo, useRef, useState } from "react";

import { CheckboxField, SelectField, TextAreaField, TextField } from "../../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../../components/FormErrors";
import { type Trigger, useCreateTrigger, useUpdateTrigger } from "./api";
import { emptyForm, EVENT_LABELS, formOf, formToBody, ITSM_EVENTS, KIND_LABELS, TRIGGER_FIELDS, TRIGGER_KINDS, type TriggerForm, type TriggerKind, timeZones } from "./format";

export type Editing = { mode: "add" } | { mode: "edit"; trigger: Trigger };

type FieldsProps = { form: TriggerForm; set: (patch: Partial<TriggerForm>) => void; errors: Record<string, string | undefined> };

function ScheduleFields({ form, set, errors }: FieldsProps) {
  const zones = useMemo(() => timeZones(form.timezone, Intl.supportedValuesOf("timeZone")), [form.timezone]);
  return (
    <div className="field-row">
      <TextField
        label="Cron expression"
        name="config.cron"
        className="mono"
        value={form.cron}
        onChange={(e) => set({ cron: e.target.value })}
        error={errors["config.cron"]}
        hint="Five fields: minute hour day-of-month month day-of-week, e.g. */5 * * * * or 0 2 * * 6"
        required
      />
      <SelectField label="Time zone" name="config.timezone" value={form.timezone} onChange={(e) => set({ timezone: e.target.value })} error={errors["config.timezone"]}>
        {zones.map((zone) => (
          <option key={zone} value={zone}>
            {zone}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

function ItsmEventFields({ form, set, errors, catalog, catalogLoading }: FieldsProps & { catalog: readonly { id: string; name: string }[]; catalogLoading: boolean }) {
  return (
    <div className="field-row">
      <SelectField label="Event" name="config.event" value={form.event} onChange={(e) => set({ event: e.target.value })} error={errors["config.event"]}>
        {ITSM_EVENTS.map((event) => (
          <option key={event} value={event}>
            {`When ${EVENT_LABELS[event]}`}
          </option>
        ))}
      </SelectField>
      {form.event.startsWith("itsm.request.") ? (
        <SelectField
          label="Catalog item"
          name="config.catalog_item_id"
          value={form.catalogItemId}
          onChange={(e) => set({ catalogItemId: e.target.value })}
          error={errors["config.catalog_item_id"]}
          hint={catalogLoading ? "Loading the catalog…" : undefined}
        >
          <option value="">Any catalog item</option>
          {form.catalogItemId && !catalog.some((i) => i.id === form.catalogItemId) ? <option value={form.catalogItemId}>{form.catalogItemId}</option> : null}
          {catalog.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name}
            </option>
          ))}
        </SelectField>
      ) : null}
    </div>
  );
}

export function TriggerFormView({
  workflowId,
  editing,
  catalog,
  catalogLoading,
  onCancel,
  onDone,
}: {
  workflowId: string;
  editing: Editing;
  catalog: readonly { id: string; name: string }[];
  catalogLoading: boolean;
  onCancel: () => void;
  onDone: (trigger: Trigger) => void;
}) {
  const browserZone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", []);
  const [form, setForm] = useState<TriggerForm>(() => (editing.mode === "edit" ? formOf(editing.trigger) : emptyForm("schedule", browserZone)));
  const [inputsError, setInputsError] = useState<string | undefined>();
  const create = useCreateTrigger(workflowId);
  const update = useUpdateTrigger(workflowId);
  const mutation = editing.mode === "edit" ? update : create;
  const errors = useFormErrors(mutation.error, TRIGGER_FIELDS);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusOnError(mutation.error, formRef);

  const set = (patch: Partial<TriggerForm>) => setForm((f) => ({ ...f, ...patch }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = formToBody(form);
    if ("inputsError" in result) {
      setInputsError(result.inputsError);
      return;
    }
    setInputsError(undefined);
    if (editing.mode === "edit") {
      update.mutate({ id: editing.trigger.id, body: { config: result.body.config } }, { onSuccess: onDone });
    } else {
      create.mutate(result.body, { onSuccess: onDone });
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-label={editing.mode === "edit" ? "Edit the trigger" : "Add a trigger"}>
      <FormSummary errors={errors} title="The trigger was not saved" />
      {editing.mode === "add" ? (
        <SelectField label="Kind" name="kind" value={form.kind} onChange={(e) => set({ kind: e.target.value as TriggerKind })} error={errors.fields.kind}>
          {TRIGGER_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KIND_LABELS[kind]}
            </option>
          ))}
        </SelectField>
      ) : (
        <p>
          Kind: <strong>{KIND_LABELS[form.kind]}</strong>
        </p>
      )}
      {form.kind === "schedule" ? <ScheduleFields form={form} set={set} errors={errors.fields} /> : null}
      {form.kind === "webhook" ? (
        <p className="muted">Saving creates a secret URL: a POST with a JSON body to it starts the workflow, the body becoming <code>trigger.payload</code>. The URL is shown once, right after saving.</p>
      ) : null}
      {form.kind === "itsm_event" ? <ItsmEventFields form={form} set={set} errors={errors.fields} catalog={catalog} catalogLoading={catalogLoading} /> : null}
      <TextAreaField
        label="Inputs (JSON, optional)"
        name="config.inputs"
        rows={3}
        className="mono"
        value={form.inputs}
        onChange={(e) => set({ inputs: e.target.value })}
        error={inputsError ?? errors.fields["config.inputs"]}
        hint={form.kind === "itsm_event" ? 'e.g. {"user": "{{ request.variables.username }}"}' : 'e.g. {"env": "prod"}'}
      />
      {editing.mode === "add" ? <CheckboxField label="Enabled" name="enabled" checked={form.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : editing.mode === "edit" ? "Save trigger" : "Add trigger"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
