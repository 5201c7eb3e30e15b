// ITSM admin → one catalog item: its fields (§4), the request form's variables (add, remove, reorder), the
// approval definition, and fulfillment (manual, or a runbook with parameter templates).
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { usePermission } from "../../app/session";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { useDefinitions } from "../../api/approvals";
import { GroupPicker } from "../../components/GroupPicker";
import { useGroup } from "../../api/groups";
import "../../components/portal.css";
import { type CatalogItem, useCatalogItem, useRunbookChoices, useSaveCatalogItem } from "../../api/itsm";
import { emptyDraft, fromDraft, moveItem, toDraft, toFormVariables, VARIABLE_TYPES, type VariableDraft, type VariableType } from "../../components/forms";

const VARIABLE_FIELDS = ["name", "label", "type", "required", "choices", "default", "help"];

interface ParamRow {
  key: string;
  name: string;
  template: string;
}

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

let rowCounter = 0;
function paramRows(config: Record<string, unknown>): ParamRow[] {
  const params = config.parameters;
  if (typeof params !== "object" || params === null) return [];
  return Object.entries(params as Record<string, unknown>).map(([name, template]) => {
    rowCounter += 1;
    return { key: `param-${rowCounter}`, name, template: typeof template === "string" ? template : JSON.stringify(template) };
  });
}

function GroupName({ id }: { id: string }) {
  const group = useGroup(id);
  if (group.isPending) return <span className="muted">…</span>;
  if (group.isError) return <span className="mono">{id}</span>;
  return <>{group.data.name}</>;
}

function FulfillmentGroup({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }) {
  const canReadUsers = usePermission("users.read");
  const [picking, setPicking] = useState(false);
  if (!canReadUsers)
    return <TextField label="Fulfillment group id" name="fulfillment_group" value={value} onChange={(e) => onChange(e.target.value)} error={error} hint="Optional: the group whose members work these requests." />;
  return (
    <fieldset className={error ? "fieldset field--invalid" : "fieldset"} data-invalid={error ? true : undefined}>
      <legend>Fulfillment group</legend>
      {value && !picking ? (
        <p className="manager-current">
          <GroupName id={value} />{" "}
          <button type="button" className="button button--small" onClick={() => setPicking(true)}>
            Change
          </button>{" "}
          <button type="button" className="button button--small button--ghost" onClick={() => onChange("")}>
            Clear
          </button>
        </p>
      ) : (
        <GroupPicker
          label="Find the group that fulfils it (optional)"
          onPick={(group) => {
            onChange(group.id);
            setPicking(false);
          }}
        />
      )}
      {error ? <p className="field-error">{error}</p> : null}
    </fieldset>
  );
}

function ItemForm({ item }: { item?: CatalogItem }) {
  const [name, setName] = useState(item?.name ?? "");
  const [description, setDescription] = useState(item?.description ?? "");
  const [category, setCategory] = useState(item?.category ?? "General");
  const [active, setActive] = useState(item?.active ?? true);
  const [drafts, setDrafts] = useState<VariableDraft[]>(() => toFormVariables(item?.variables ?? []).map(toDraft));
  const [definitionId, setDefinitionId] = useState(item?.workflow_definition_id ?? "");
  // `workflow` (an automation workflow) is edited elsewhere: this editor keeps it and its config as they are.
  const [fulfillmentType, setFulfillmentType] = useState(item?.fulfillment_type ?? "manual");
  const [runbookId, setRunbookId] = useState(typeof item?.fulfillment_config.runbook_id === "string" ? item.fulfillment_config.runbook_id : "");
  const [params, setParams] = useState<ParamRow[]>(() => paramRows(item?.fulfillment_config ?? {}));
  const [fulfillmentGroup, setFulfillmentGroup] = useState(item?.fulfillment_group ?? "");
  const canReadRunbooks = usePermission("runbooks.manage");
  const runbooks = useRunbookChoices(canReadRunbooks && fulfillmentType === "runbook");
  const definitions = useDefinitions();
  const save = useSaveCatalogItem();
  const navigate = useNavigate();
  const form = useRef<HTMLFormElement>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const fields = useMemo(
    () => [
      "name",
      "description",
      "category",
      "active",
      "variables",
      "workflow_definition_id",
      "fulfillment_type",
      "fulfillment_config.runbook_id",
      "fulfillment_config.parameters",
      "fulfillment_config",
      "fulfillment_group",
      ...drafts.flatMap((_, i) => [`variables.${i}`, ...VARIABLE_FIELDS.map((f) => `variables.${i}.${f}`)]),
    ],
    [drafts],
  );
  const errors = useFormErrors(save.error, fields);
  useFocusOnError(save.error, form);
  const definitionItems = definitions.data?.pages.flatMap((p) => p.items).filter((d) => d.status === "active") ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    const fulfillment_config =
      fulfillmentType === "runbook"
        ? { runbook_id: runbookId.trim(), parameters: Object.fromEntries(params.filter((p) => p.name.trim()).map((p) => [p.name.trim(), p.template])) }
        : fulfillmentType === "workflow"
          ? (item?.fulfillment_config ?? {})
          : {};
    const body = {
      name: name.trim(),
      description: description.trim(),
      category: category.trim(),
      active,
      variables: drafts.map(fromDraft),
      workflow_definition_id: definitionId || null,
      fulfillment_type: fulfillmentType as "manual" | "runbook" | "workflow",
      fulfillment_config,
      fulfillment_group: fulfillmentGroup.trim() || null,
    };
    save.mutate(item ? { id: item.id, body } : { body }, {
      onSuccess: (saved) => {
        if (!item) void navigate(`/itsm/catalog/${saved.id}`, { replace: true });
        else setNotice("Item saved.");
      },
    });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="Catalog item" className="panel">
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <FormSummary errors={errors} title="The item was not saved" />
      <TextField label="Name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} required />
      <TextAreaField label="Description" name="description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} error={errors.fields.description} />
      <TextField label="Category" name="category" value={category} onChange={(e) => setCategory(e.target.value)} error={errors.fields.category} required />
      <CheckboxField label="Active (shown in the portal)" name="active" checked={active} onChange={(e) => setActive(e.target.checked)} error={errors.fields.active} />

      <h2>Request form</h2>
      {errors.fields.variables ? <p className="field-error">{errors.fields.variables}</p> : null}
      {drafts.length ? null : <p className="muted">No fields: the request needs nothing but a click.</p>}
      <ol className="ladder ladder--editor" aria-label="Form fields in order">
        {drafts.map((draft, index) => (
          <li key={draft.key}>
            <VariableEditor
              draft={draft}
              index={index}
              count={drafts.length}
              errors={errors.fields}
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

      <h2>Approval</h2>
      <SelectField
        label="Approval definition"
        name="workflow_definition_id"
        value={definitionId}
        onChange={(e) => setDefinitionId(e.target.value)}
        error={errors.fields.workflow_definition_id}
        hint={definitions.isError ? "The approval definitions could not be loaded." : "Empty: requests go straight to fulfillment."}
      >
        <option value="">No approval</option>
        {definitionId && !definitionItems.some((d) => d.id === definitionId) ? <option value={definitionId}>Current definition ({definitionId.slice(0, 8)})</option> : null}
        {definitionItems.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name} (v{d.version})
          </option>
        ))}
      </SelectField>

      <h2>Fulfillment</h2>
      <SelectField label="Fulfillment" name="fulfillment_type" value={fulfillmentType} onChange={(e) => setFulfillmentType(e.target.value)} error={errors.fields.fulfillment_type}>
        <option value="manual">Manual (a fulfiller does it)</option>
        <option value="runbook">Runbook (runs automatically)</option>
        {item?.fulfillment_type === "workflow" ? <option value="workflow">Automation workflow (kept as configured)</option> : null}
      </SelectField>
      {fulfillmentType === "manual" ? <FulfillmentGroup value={fulfillmentGroup} onChange={setFulfillmentGroup} error={errors.fields.fulfillment_group} /> : null}
      {fulfillmentType === "runbook" ? (
        <>
          {canReadRunbooks ? (
            <SelectField label="Runbook" name="fulfillment_config.runbook_id" value={runbookId} onChange={(e) => setRunbookId(e.target.value)} error={errors.fields["fulfillment_config.runbook_id"] ?? errors.fields.fulfillment_config}>
              <option value="">{runbooks.isPending ? "Loading runbooks…" : "Choose a runbook"}</option>
              {(runbooks.data?.items ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </SelectField>
          ) : (
            <TextField label="Runbook id" name="fulfillment_config.runbook_id" value={runbookId} onChange={(e) => setRunbookId(e.target.value)} error={errors.fields["fulfillment_config.runbook_id"] ?? errors.fields.fulfillment_config} />
          )}
          <fieldset className="fieldset">
            <legend>Runbook parameters</legend>
            <p className="field-hint">Templates may use the request's variables, for example {"{{ variables.size }}"}.</p>
            {errors.fields["fulfillment_config.parameters"] ? <p className="field-error">{errors.fields["fulfillment_config.parameters"]}</p> : null}
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Parameter</th>
                  <th scope="col">Template</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {params.map((row, i) => (
                  <tr key={row.key}>
                    <td data-label="Parameter">
                      <input aria-label={`Parameter ${i + 1} name`} value={row.name} onChange={(e) => setParams((all) => all.map((p, j) => (j === i ? { ...p, name: e.target.value } : p)))} />
                    </td>
                    <td data-label="Template">
                      <input aria-label={`Parameter ${i + 1} template`} value={row.template} onChange={(e) => setParams((all) => all.map((p, j) => (j === i ? { ...p, template: e.target.value } : p)))} />
                    </td>
                    <td data-label="Actions">
                      <button type="button" className="button button--small button--danger" onClick={() => setParams((all) => all.filter((_, j) => j !== i))} aria-label={`Remove parameter ${row.name || i + 1}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button
              type="button"
              className="button button--small"
              onClick={() => {
                rowCounter += 1;
                setParams((all) => [...all, { key: `param-${rowCounter}`, name: "", template: "" }]);
              }}
            >
              Add parameter
            </button>
          </fieldset>
        </>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : item ? "Save item" : "Create item"}
        </button>
        <Link to="/itsm/catalog" className="button button--ghost">
          Back to the list
        </Link>
      </div>
    </form>
  );
}

export function CatalogItemEditorPage() {
  const { itemId } = useParams();
  const isNew = !itemId || itemId === "new";
  const item = useCatalogItem(isNew ? undefined : itemId);
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/itsm/catalog">Catalog items</Link>
      </nav>
      <PageHeader title={isNew ? "New catalog item" : (item.data?.name ?? "Catalog item")} />
      {isNew ? <ItemForm /> : null}
      {!isNew && item.isPending ? <Loading label="Loading the item…" /> : null}
      {!isNew && item.isError ? <ErrorState error={item.error} onRetry={() => void item.refetch()} /> : null}
      {!isNew && item.data ? <ItemForm key={item.data.id} item={item.data} /> : null}
    </>
  );
}
