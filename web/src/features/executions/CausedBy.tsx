// "Caused by": why an execution ran and who caused it (each person with their part), or "(nobody)" for an inbound
// webhook's run. Everyone named here is held to the four-eyes rule on the execution's approval gates.
import { usePermission } from "../../app/session";
import { Person } from "../../components/RecordParts";
import { causeLabel, roleLabel } from "../../components/causes";

export interface CauserLike {
  user_id: string;
  role: string;
}

export function CausedBy({ cause, chain }: { cause: string | null | undefined; chain: CauserLike[] }) {
  const canReadUsers = usePermission("users.read");
  return (
    <span data-testid="caused-by">
      {causeLabel(cause)}{" "}
      {chain.length ? (
        <>
          (
          {chain.map((c, i) => (
            <span key={c.user_id}>
              {i ? ", " : ""}
              <Person id={c.user_id} canReadUsers={canReadUsers} /> — {roleLabel(c.role)}
            </span>
          ))}
          )
        </>
      ) : (
        <span className="muted">(nobody)</span>
      )}
    </span>
  );
}
