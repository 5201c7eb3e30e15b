// The fulfillment parts of a catalog item's editor: the fulfillment group of a manual item (picked by name when the
// viewer may read groups) and the parameter templates of a runbook fulfillment.
import { type Dispatch, type SetStateAction, useState } from "react";

import { useGroup } from "../../api/groups";
import { usePermission } from "../../app/session";
import { TextField } from "../../components/Field";
import { GroupPicker } from "../../components/GroupPicker";

export interface ParamRow {
  key: string;
  name: string;
  template: string;
}

let rowCounter = 0;
export function paramRows(config: Record<string, unknown>): ParamRow[] {
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

export function FulfillmentGroup({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }) {
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

export function RunbookParameters({ params, setParams, error }: { params: readonly ParamRow[]; setParams: Dispatch<SetStateAction<ParamRow[]>>; error: string | undefined }) {
  return (
    <fieldset className="fieldset">
      <legend>Runbook parameters</legend>
      <p className="field-hint">Templates may use the request's variables, for example {"{{ variables.size }}"}.</p>
      {error ? <p className="field-error">{error}</p> : null}
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
  );
}
