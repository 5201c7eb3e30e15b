// The group that owns a catalog item: its members (service owners) see the item's figures on the Insights page.
import { useGroups } from "../../api/groups";
import { SelectField } from "../../components/Field";

export function OwnerGroupField({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }) {
  const groups = useGroups("");
  const items = groups.data?.items ?? [];
  return (
    <SelectField
      label="Owner group"
      name="owner_group_id"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      hint={groups.isError ? "The groups could not be loaded." : "Its members see this item's figures in Insights. Empty: only admins do."}
    >
      <option value="">No owner group</option>
      {value && !items.some((g) => g.id === value) ? <option value={value}>Current group ({value.slice(0, 8)})</option> : null}
      {items.map((g) => (
        <option key={g.id} value={g.id}>
          {g.name}
        </option>
      ))}
    </SelectField>
  );
}
