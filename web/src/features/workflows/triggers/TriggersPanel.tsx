// The "Triggers" section of a saved workflow's builder page: what starts the workflow besides "Run" (a schedule, a
// webhook, an ITSM event). A list with an enabled switch, add/edit in a dialog (the API's messages beside the
// fields they name), delete after a confirmation, and a new webhook's secret URL shown once with a curl example.
import "./triggers.css";

import { type FormEvent, useMemo, useRef, useState } from "react";

import { describeError } from "../../../api/problem";
import { ConfirmDialog, Dialog } from "../../../components/Dialog";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../../components/FormErrors";
import { usePermission } from "../../../app/session";
import { DateTime } from "../../../components/Page";
import { Person } from "../../../components/RecordParts";
import { EmptyState, ErrorState, Loading, Notice } from "../../../components/States";
import { type Trigger, useCatalogOptions, useCreateTrigger, useDeleteTrigger, useTriggers, useUpdateTrigger } from "./api";
import {
  curlExample,
  emptyForm,
  EVENT_LABELS,
  formOf,
  formToBody,
  ITSM_EVENTS,
  KIND_LABELS,
  TRIGGER_FIELDS,
  TRIGGER_KINDS,
  type TriggerForm,
  type TriggerKind,
  timeZones,
  triggerSummary,
  webhookUrl,
} from "./format";

type Editing = { mode: "add" } | { mode: "edit"; trigger: Trigger };

export function TriggersPanel({ workflowId }: { workflowId: string }) {
  const canReadUsers = usePermission("users.read");
  const triggers = useTriggers(workflowId);
  const update = useUpdateTrigger(workflowId);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [deleting, setDeleting] = useState<Trigger | null>(null);
  const [hookUrl, setHookUrl] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ message: string; tone: "good" | "warn" } | null>(null);
  const items = triggers.data?.items ?? [];
  const namesItems = items.some((t) => t.kind === "itsm_event" && t.config.catalog_item_id);
  const catalog = useCatalogOptions(namesItems || editing !== null);
  const catalogNames = useMemo(() => Object.fromEntries((catalog.data?.items ?? []).map((i) => [i.id, i.name])), [catalog.data]);

  function toggle(trigger: Trigger) {
    update.mutate(
      { id: trigger.id, body: { enabled: !trigger.enabled } },
      {
        onSuccess: (t) => setNotice({ message: `${KIND_LABELS[t.kind as TriggerKind] ?? t.kind} trigger ${t.enabled ? "enabled" : "disabled"}.`, tone: "good" }),
        onError: (error) => setNotice({ message: `Not changed: ${describeError(error)}`, tone: "warn" }),
      },
    );
  }

  return (
    <section className="builder-triggers" aria-labelledby="triggers-title">
      <div className="triggers-header">
        <h2 id="triggers-title">Triggers</h2>
        <button type="button" className="button button--small" onClick={() => setEditing({ mode: "add" })}>
          Add trigger
        </button>
      </div>
      <p className="muted">What starts this workflow besides Run: a schedule, a webhook, or an ITSM event. It always runs the latest saved version.</p>
      <Notice message={notice?.message ?? null} tone={notice?.tone ?? "good"} onDismiss={() => setNotice(null)} />
      {triggers.isPending ? <Loading label="Loading the triggers…" /> : null}
      {triggers.isError ? <ErrorState error={triggers.error} onRetry={() => void triggers.refetch()} /> : null}
      {triggers.isSuccess && !items.length ? <EmptyState title="No triggers">This workflow only starts when someone runs it.</EmptyState> : null}
      {items.length ? (
        <table className="table triggers-table" aria-busy={triggers.isFetching}>
          <caption className="visually-hidden">Triggers</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Starts the workflow</th>
              <th scope="col">Next fire</th>
              <th scope="col">Last fired</th>
              <th scope="col" title="Who created or last changed it: four-eyes keeps them off the gates of a schedule's runs">
                Owner
              </th>
              <th scope="col">Enabled</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((trigger) => {
              const summary = triggerSummary(trigger, catalogNames);
              const inputs = trigger.config.inputs as Record<string, unknown> | undefined;
              return (
                <tr key={trigger.id} aria-label={`${KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}: ${summary}`}>
                  <td data-label="Kind">{KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}</td>
                  <td data-label="Starts the workflow">
                    <span className="cell-title">{summary}</span>
                    {inputs && Object.keys(inputs).length ? <code className="muted cell-sub">inputs {JSON.stringify(inputs)}</code> : null}
                  </td>
                  <td data-label="Next fire">
                    {trigger.kind === "schedule" ? (
                      trigger.enabled ? (
                        <DateTime value={trigger.next_fire_at} />
                      ) : (
                        <span className="muted">disabled</span>
                      )
                    ) : (
                      <span className="muted">on {trigger.kind === "webhook" ? "request" : "event"}</span>
                    )}
                  </td>
                  <td data-label="Last fired">{trigger.last_fired_at ? <DateTime value={trigger.last_fired_at} /> : <span className="muted">never</span>}</td>
                  <td data-label="Owner">
                    <Person id={trigger.owner_id ?? null} canReadUsers={canReadUsers} />
                  </td>
                  <td data-label="Enabled">
                    <input
                      type="checkbox"
                      role="switch"
                      className="trigger-switch"
                      aria-label={`Enabled: ${summary}`}
                      checked={trigger.enabled}
                      disabled={update.isPending && update.variables.id === trigger.id}
                      onChange={() => toggle(trigger)}
                    />
                  </td>
                  <td data-label="Actions" className="cell-actions">
                    <button type="button" className="button button--small button--ghost" onClick={() => setEditing({ mode: "edit", trigger })}>
                      Edit
                    </button>
                    <button type="button" className="button button--small button--ghost" onClick={() => setDeleting(trigger)}>
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}

      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing?.mode === "edit" ? "Edit the trigger" : "Add a trigger"} wide>
        {editing ? (
          <TriggerFormView
            workflowId={workflowId}
            editing={editing}
            catalog={catalog.data?.items ?? []}
            catalogLoading={catalog.isPending && catalog.fetchStatus !== "idle"}
            onCancel={() => setEditing(null)}
            onDone={(trigger) => {
              setEditing(null);
              if (trigger.url) setHookUrl(webhookUrl(window.location.origin, trigger.url));
              else setNotice({ message: editing.mode === "edit" ? "Trigger saved." : "Trigger added.", tone: "good" });
            }}
          />
        ) : null}
      </Dialog>

      <Dialog open={hookUrl !== null} onClose={() => setHookUrl(null)} title="Webhook created" wide>
        {hookUrl ? <WebhookCreated url={hookUrl} onClose={() => setHookUrl(null)} /> : null}
      </Dialog>

      {deleting ? <DeleteDialog workflowId={workflowId} trigger={deleting} summary={triggerSummary(deleting, catalogNames)} onClose={() => setDeleting(null)} onDeleted={() => setNotice({ message: "Trigger deleted.", tone: "good" })} /> : null}
    </section>
  );
}

function TriggerFormView({
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
  const zones = useMemo(() => timeZones(form.timezone, Intl.supportedValuesOf("timeZone")), [form.timezone]);

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
      {form.kind === "schedule" ? (
        <div className="field-row">
          <TextField
            label="Cron expression"
            name="config.cron"
            className="mono"
            value={form.cron}
            onChange={(e) => set({ cron: e.target.value })}
            error={errors.fields["config.cron"]}
            hint="Five fields: minute hour day-of-month month day-of-week, e.g. */5 * * * * or 0 2 * * 6"
            required
          />
          <SelectField label="Time zone" name="config.timezone" value={form.timezone} onChange={(e) => set({ timezone: e.target.value })} error={errors.fields["config.timezone"]}>
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </SelectField>
        </div>
      ) : null}
      {form.kind === "webhook" ? (
        <p className="muted">Saving creates a secret URL: a POST with a JSON body to it starts the workflow, the body becoming <code>trigger.payload</code>. The URL is shown once, right after saving.</p>
      ) : null}
      {form.kind === "itsm_event" ? (
        <div className="field-row">
          <SelectField label="Event" name="config.event" value={form.event} onChange={(e) => set({ event: e.target.value })} error={errors.fields["config.event"]}>
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
              error={errors.fields["config.catalog_item_id"]}
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
      ) : null}
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

function WebhookCreated({ url, onClose }: { url: string; onClose: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  function copy() {
    const failed = "Could not copy: select the URL and copy it by hand.";
    // The clipboard API exists only in secure contexts (https, localhost).
    if (!("clipboard" in navigator)) {
      setCopied(failed);
      return;
    }
    navigator.clipboard.writeText(url).then(
      () => setCopied("Copied."),
      () => setCopied(failed),
    );
  }
  return (
    <div className="webhook-created">
      <p className="webhook-once" role="note">
        <strong>This URL is shown only once.</strong> Copy it now: only its hash is stored, so it cannot be shown again. Anyone who has it can start the workflow; if it leaks, delete this trigger and add a new one.
      </p>
      <div className="webhook-url">
        <TextField label="Webhook URL" name="webhook-url" className="mono" value={url} readOnly onFocus={(e) => e.target.select()} />
        <button type="button" className="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" aria-live="polite" className="muted">
        {copied}
      </p>
      <p>Try it:</p>
      <pre className="webhook-curl" aria-label="curl example">
        <code>{curlExample(url)}</code>
      </pre>
      <div className="form-actions">
        <button type="button" className="button button--primary" onClick={onClose}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

function DeleteDialog({ workflowId, trigger, summary, onClose, onDeleted }: { workflowId: string; trigger: Trigger; summary: string; onClose: () => void; onDeleted: () => void }) {
  const remove = useDeleteTrigger(workflowId);
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Delete this trigger?"
      confirmLabel="Delete"
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() =>
        remove.mutate(trigger.id, {
          onSuccess: () => {
            onDeleted();
            onClose();
          },
        })
      }
    >
      <p>
        {KIND_LABELS[trigger.kind as TriggerKind] ?? trigger.kind}: {summary}. It stops starting the workflow{trigger.kind === "webhook" ? " and its URL stops working" : ""}; executions it already started
        are kept.
      </p>
    </ConfirmDialog>
  );
}
