// The side panel's form for one selected step: its id and name, its type's config (a form per type), an edge to
// another step, and delete. Problems from live validation show beside the field their path names.
import { useState } from "react";

import { SelectField, TextField } from "../../../components/Field";
import { stepLabel } from "../graph/catalog";
import type { StepNodeData } from "../graph/flow";
import type { LocatedProblem } from "../graph/problems";
import { ApprovalConfig } from "./ApprovalConfig";
import { DelayConfig } from "./DelayConfig";
import { asText, errorsAt, problemsElsewhere, withKey } from "./fields";
import { NotificationConfig } from "./NotificationConfig";
import { RunbookConfig } from "./RunbookConfig";

function ConnectTo({ otherSteps, onConnect }: { otherSteps: { nodeId: string; stepId: string }[]; onConnect: (targetNodeId: string) => void }) {
  const [target, setTarget] = useState("");
  return (
    <div className="panel-connect">
      <SelectField label="Add an edge from this step to" name="connect-target" value={target} onChange={(e) => setTarget(e.target.value)}>
        <option value="">Choose a step…</option>
        {otherSteps.map((s) => (
          <option key={s.nodeId} value={s.nodeId}>
            {s.stepId}
          </option>
        ))}
      </SelectField>
      <button
        type="button"
        className="button button--small"
        disabled={!target}
        onClick={() => {
          onConnect(target);
          setTarget("");
        }}
      >
        Add edge
      </button>
    </div>
  );
}

export function StepPanel({
  data,
  problems,
  otherSteps,
  onChange,
  onDelete,
  onConnect,
  behindApproval = false,
}: {
  data: StepNodeData;
  problems: readonly LocatedProblem[];
  otherSteps: { nodeId: string; stepId: string }[];
  /** An approval step comes before this one on some path: a runbook step may not run "latest" then. */
  behindApproval?: boolean;
  onChange: (patch: Partial<StepNodeData>) => void;
  onDelete: () => void;
  onConnect: (targetNodeId: string) => void;
}) {
  const elsewhere = problemsElsewhere(data.type, problems);
  const setConfig = (key: string, value: unknown) => onChange({ config: withKey(data.config, key, value) });
  return (
    <section className="builder-panel" aria-labelledby="step-panel-title">
      <h2 id="step-panel-title">
        {stepLabel(data.type)} step <span className="muted">{data.stepId}</span>
      </h2>
      {elsewhere.length ? (
        <ul className="panel-problems" aria-label="Problems of this step">
          {elsewhere.map((p) => (
            <li key={`${p.field}:${p.message}`}>{p.message}</li>
          ))}
        </ul>
      ) : null}
      <TextField label="Step id" name="step-id" value={data.stepId} onChange={(e) => onChange({ stepId: e.target.value })} error={errorsAt(problems, "id")} hint="A slug other steps' expressions use: steps.<id>.outputs" required />
      <TextField label="Display name" name="step-name" value={data.name} onChange={(e) => onChange({ name: e.target.value })} error={errorsAt(problems, "name")} />
      {data.type === "runbook" ? <RunbookConfig config={data.config} problems={problems} setConfig={setConfig} behindApproval={behindApproval} /> : null}
      {data.type === "approval" ? <ApprovalConfig config={data.config} problems={problems} setConfig={setConfig} /> : null}
      {data.type === "condition" ? (
        <TextField
          label="Expression"
          name="config.expression"
          value={asText(data.config.expression)}
          onChange={(e) => setConfig("expression", e.target.value)}
          error={errorsAt(problems, "config.expression")}
          hint="True or false, e.g. inputs.env == 'prod' or steps.check.outputs.ok == 'yes'. Needs a 'true' and a 'false' edge."
          required
        />
      ) : null}
      {data.type === "notification" ? <NotificationConfig config={data.config} problems={problems} setConfig={setConfig} /> : null}
      {data.type === "delay" ? <DelayConfig config={data.config} problems={problems} onChange={(config) => onChange({ config })} /> : null}
      <ConnectTo otherSteps={otherSteps} onConnect={onConnect} />
      <div className="form-actions">
        <button type="button" className="button button--danger" onClick={onDelete}>
          Delete step
        </button>
      </div>
    </section>
  );
}
