// A gate's reminders and escalation (who was reminded, to whom it was escalated and why), oldest first.
import { DateTime } from "../../components/Page";
import type { Gate } from "../../api/approvals";
import { gateHistory } from "./gate";

export function GateHistory({ gate }: { gate: Gate }) {
  const entries = gateHistory(gate.history);
  if (!entries.length) return null;
  return (
    <>
      <h3 className="subheading">Reminders and escalation</h3>
      <ul className="plain-list" aria-label="Reminders and escalation">
        {entries.map((entry, i) => (
          <li key={`${entry.kind}-${i}`} data-kind={entry.kind}>
            {entry.text}
            {entry.at ? (
              <>
                {" "}
                · <DateTime value={entry.at} />
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}
