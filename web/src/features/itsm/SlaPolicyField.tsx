// The SLA policy of a catalog item: its requests carry that policy's clocks (policies are written by tenant admins).
import { useSlaPolicies } from "../../api/sla";
import { SelectField } from "../../components/Field";

export function SlaPolicyField({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }) {
  const policies = useSlaPolicies();
  const items = policies.data?.items ?? [];
  return (
    <SelectField
      label="SLA policy"
      name="sla_policy_id"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      hint={policies.isError ? "The SLA policies could not be loaded." : "Empty: its requests carry no SLA clocks."}
    >
      <option value="">No SLA policy</option>
      {value && !items.some((p) => p.id === value) ? <option value={value}>Current policy ({value.slice(0, 8)})</option> : null}
      {items.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name}
        </option>
      ))}
    </SelectField>
  );
}
