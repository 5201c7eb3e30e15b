// The tenant's fallback group: who takes over a leaver's pending approvals (none: the tenant's admins).
import { SelectField } from "../../components/Field";
import { useGroups } from "../../api/groups";

export function FallbackGroupField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  const groups = useGroups("");
  const items = groups.data?.items ?? [];
  // A group beyond the first page (or deleted) still shows, so the admin sees what is set now.
  const known = !value || items.some((g) => g.id === value);
  return (
    <SelectField
      label="Fallback approvers"
      name="fallback_group_id"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      hint="When a user is deactivated, every pending approval only they could decide goes to this group (with a note why). Without one it goes to the tenant's admins."
      error={error}
    >
      <option value="">The tenant's admins</option>
      {known ? null : <option value={value}>{`Group ${value}`}</option>}
      {items.map((g) => (
        <option key={g.id} value={g.id}>
          {g.name}
        </option>
      ))}
    </SelectField>
  );
}
