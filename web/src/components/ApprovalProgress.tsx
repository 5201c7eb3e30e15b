// An approval instance's steps, each with its status and the decisions taken (requests, changes, the approver's card).
import type { Instance } from "../api/approvals";
import { DateTime } from "./Page";
import { StatusBadge } from "./RecordParts";

/** The engine's reasons are lower-case clauses ("escalated to … after 60 s without a decision"). */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

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
          {step.rerouted ? <p className="field-hint">Re-routed: {step.rerouted}</p> : null}
          {step.escalation ? <p className="field-hint" data-kind="escalation">{sentence(step.escalation)}</p> : null}
        </li>
      ))}
    </ol>
  );
}
