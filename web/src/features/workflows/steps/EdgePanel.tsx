// The side panel's form for one selected edge: when it is taken (an outcome word of the step it leaves, or an
// expression), and delete. Problems from live validation show beside the condition.
import { useState } from "react";

import { SelectField, TextField } from "../../../components/Field";
import { isExpression, isStepType, OUTCOME_WORDS_BY_STEP_TYPE } from "../graph/catalog";
import type { EdgeData } from "../graph/flow";
import type { LocatedProblem } from "../graph/problems";
import { errorsAt } from "./fields";

export function EdgePanel({
  data,
  fromStep,
  toStep,
  problems,
  onChange,
  onDelete,
}: {
  data: EdgeData;
  fromStep: { stepId: string; type: string } | undefined;
  toStep: { stepId: string } | undefined;
  problems: readonly LocatedProblem[];
  onChange: (condition: string | null) => void;
  onDelete: () => void;
}) {
  const words = fromStep && isStepType(fromStep.type) ? OUTCOME_WORDS_BY_STEP_TYPE[fromStep.type] : [];
  const expression = isExpression(data.condition) || (data.condition !== null && !words.includes(data.condition));
  const [custom, setCustom] = useState(expression);
  const choice = custom ? "__expression" : (data.condition ?? "");
  const elsewhere = problems.filter((p) => p.sub !== "condition");
  return (
    <section className="builder-panel" aria-labelledby="edge-panel-title">
      <h2 id="edge-panel-title">
        Edge {fromStep?.stepId ?? "?"} → {toStep?.stepId ?? "?"}
      </h2>
      {elsewhere.length ? (
        <ul className="panel-problems" aria-label="Problems of this edge">
          {elsewhere.map((p) => (
            <li key={`${p.field}:${p.message}`}>{p.message}</li>
          ))}
        </ul>
      ) : null}
      <SelectField
        label="Taken when"
        name="edge-condition"
        value={choice}
        onChange={(e) => {
          const value = e.target.value;
          setCustom(value === "__expression");
          if (value === "__expression") onChange("");
          else onChange(value || null);
        }}
        error={custom ? undefined : errorsAt(problems, "condition")}
      >
        <option value="">the step succeeds (no condition)</option>
        {words.map((word) => (
          <option key={word} value={word}>
            {word}
          </option>
        ))}
        <option value="__expression">an expression is true…</option>
      </SelectField>
      {custom ? (
        <TextField label="Expression" name="edge-expression" value={data.condition ?? ""} onChange={(e) => onChange(e.target.value)} error={errorsAt(problems, "condition")} hint="e.g. steps.build.outputs.changed == 'yes'" />
      ) : null}
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={onDelete}>
          Delete edge
        </button>
      </div>
    </section>
  );
}
