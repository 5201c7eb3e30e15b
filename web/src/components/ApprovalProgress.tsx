// An approval instance's steps, each with its status and the decisions taken (requests, changes, the approver's card).
import type { Instance } from "../api/approvals";
import { DateTime } from "./Page";
import { StatusBadge } from "./RecordParts";

export function ApprovalProgress({ instance }: { instance: Instance }) {
  return (
    <ol className="ladder" aria-label="Approval steps">
      {instance.step_results.map((step) => (
        <li key={`${step.order}-${step.name}`}>
          <p>
            <strong>{step.name}</strong> <StatusBadge status={step.status} />
          </p>
          {step.decisions.map((d) => (
            <p key={`${d.user_id}-${d.at}`} className="field-hint">
              {d.outcome} <DateTime value={d.at} />
              {d.comment ? `: “${d.comment}”` : ""}
            </p>
          ))}
          {step.reason ? <p className="field-hint">{step.reason}</p> : null}
        </li>
      ))}
    </ol>
  );
}
