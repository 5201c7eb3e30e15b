// What fulfils a request, as pinned at submit: the runbook or workflow, its version and the rendered parameters.
import { type Fulfillment, fulfillmentLabel } from "./fulfillment";
import { VariableList } from "./RecordParts";

export function FulfillmentSummary({ fulfillment }: { fulfillment: Fulfillment | null | undefined }) {
  if (!fulfillment) return null;
  return (
    <div className="fulfillment" aria-label="Fulfillment">
      <p>
        <strong>Fulfillment:</strong> {fulfillmentLabel(fulfillment)}
        {(fulfillment.runs ?? 0) > 1 ? <span className="muted"> · {fulfillment.runs} runs</span> : null}
      </p>
      {fulfillment.type !== "manual" && fulfillment.parameters ? (
        <>
          <p className="field-hint">It runs with these parameters:</p>
          <VariableList values={fulfillment.parameters} />
        </>
      ) : null}
      {fulfillment.error ? (
        <p className="field-error" role="note">
          It cannot start: {fulfillment.error}
        </p>
      ) : null}
    </div>
  );
}
