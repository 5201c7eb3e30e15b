// The Insights filters: time range, catalog item, approval definition and workflow; each change goes to the URL.
import { useSearchParams } from "react-router";

import { useDefinitions } from "../../api/approvals";
import { useCatalog } from "../../api/itsm";
import { SelectField } from "../../components/Field";
import { filtersToParams, type InsightsFilters as Filters, RANGES, type RangeKey } from "./filters";
import { useWorkflowChoices } from "./api";

type Choice = { id: string; name: string };

function Choices({ label, name, value, choices, all, onChange }: { label: string; name: string; value: string; choices: Choice[]; all: string; onChange: (v: string) => void }) {
  // An id from a shared link that is not in the first page of choices still shows as chosen.
  const known = !value || choices.some((c) => c.id === value);
  return (
    <SelectField label={label} name={name} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{all}</option>
      {known ? null : <option value={value}>{value.slice(0, 8)}…</option>}
      {choices.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </SelectField>
  );
}

export function InsightsFilters({ filters, automation }: { filters: Filters; automation: boolean }) {
  const [params, setParams] = useSearchParams();
  const catalog = useCatalog({ includeInactive: true });
  const definitions = useDefinitions();
  const workflows = useWorkflowChoices(automation);
  const items = catalog.data?.pages[0]?.items ?? [];
  const defs = definitions.data?.pages[0]?.items ?? [];

  function change(next: Partial<Filters>) {
    const query = filtersToParams({ ...filters, ...next });
    const groupBy = params.get("group_by");
    if (groupBy) query.set("group_by", groupBy);
    setParams(query);
  }

  return (
    <form className="filters" role="search" aria-label="Filter the insights" onSubmit={(e) => e.preventDefault()}>
      <SelectField label="Time range" name="range" value={filters.range} onChange={(e) => change({ range: e.target.value as RangeKey })}>
        {RANGES.map((r) => (
          <option key={r.key} value={r.key}>
            {r.label}
          </option>
        ))}
      </SelectField>
      <Choices label="Catalog item" name="catalog_item_id" value={filters.catalogItemId} all="All catalog items" choices={items} onChange={(v) => change({ catalogItemId: v })} />
      <Choices label="Approval definition" name="definition_id" value={filters.definitionId} all="All definitions" choices={defs} onChange={(v) => change({ definitionId: v })} />
      {automation ? (
        <Choices label="Workflow" name="workflow_id" value={filters.workflowId} all="All workflows" choices={workflows.data?.items ?? []} onChange={(v) => change({ workflowId: v })} />
      ) : null}
    </form>
  );
}
