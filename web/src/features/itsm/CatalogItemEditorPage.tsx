// ITSM admin → one catalog item: its fields (§4) and owner group, the request form's variables (add, remove, reorder),
// the approval definition, and fulfillment (manual, or a runbook with parameter templates).
import { type FormEvent, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { usePermission } from "../../app/session";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { useDefinitions } from "../../api/approvals";
import "../../components/portal.css";
import { type CatalogItem, useCatalogItem, useRunbookChoices, useSaveCatalogItem } from "../../api/itsm";
import { fromDraft, toDraft, toFormVariables, type VariableDraft } from "../../components/forms";
import { FormFieldsEditor, VARIABLE_FIELDS } from "./FormFieldsEditor";
import { FulfillmentGroup, type ParamRow, paramRows, RunbookParameters } from "./FulfillmentFields";
import { OwnerGroupField } from "./OwnerGroupField";
import { SlaPolicyField } from "./SlaPolicyField";

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
  const [slaPolicyId, setSlaPolicyId] = useState(item?.sla_policy_id ?? "");
  const [ownerGroupId, setOwnerGroupId] = useState(item?.owner_group_id ?? "");
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
      "sla_policy_id",
      "owner_group_id",
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
      sla_policy_id: slaPolicyId || null,
      owner_group_id: ownerGroupId || null, // a PUT replaces the item: sending it keeps the owner
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
      <OwnerGroupField value={ownerGroupId} onChange={setOwnerGroupId} error={errors.fields.owner_group_id} />

      <FormFieldsEditor drafts={drafts} setDrafts={setDrafts} errors={errors.fields} />

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
          <RunbookParameters params={params} setParams={setParams} error={errors.fields["fulfillment_config.parameters"]} />
        </>
      ) : null}
      <h2>Service level</h2>
      <SlaPolicyField value={slaPolicyId} onChange={setSlaPolicyId} error={errors.fields.sla_policy_id} />
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
