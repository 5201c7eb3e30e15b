// One step on the canvas (builder and execution view): its type, id and name, its problems or its live status,
// and a handle above (incoming edges) and below (outgoing edges) to draw edges between.
import { Handle, type NodeProps, Position } from "@xyflow/react";

import { stepLabel } from "./graph/catalog";
import type { StepNode } from "./graph/flow";

export function StepNodeView({ data, selected, isConnectable }: NodeProps<StepNode>) {
  const label = stepLabel(data.type);
  const problems = data.problems ?? [];
  const classes = ["step-node", `step-node--${data.type}`];
  if (selected) classes.push("step-node--selected");
  if (problems.length) classes.push("step-node--invalid");
  if (data.status) classes.push(`step-node--status-${data.status}`);
  return (
    <div className={classes.join(" ")} data-step-id={data.stepId} data-status={data.status} title={problems.join("\n") || undefined}>
      <Handle type="target" position={Position.Top} isConnectable={isConnectable} aria-label={`Into ${data.stepId}`} />
      <div className="step-node-type">
        <span>{label}</span>
        {data.status ? <span className={`step-status step-status--${data.status}`}>{data.status.replace("_", " ")}</span> : null}
        {problems.length ? (
          <span className="step-node-problems" aria-label={`${problems.length} ${problems.length === 1 ? "problem" : "problems"}`}>
            ⚠ {problems.length}
          </span>
        ) : null}
      </div>
      <div className="step-node-title">{data.name || data.stepId}</div>
      {data.name ? <div className="step-node-id">{data.stepId}</div> : null}
      {data.detail ? <div className="step-node-detail">{data.detail}</div> : null}
      <Handle type="source" position={Position.Bottom} isConnectable={isConnectable} aria-label={`Out of ${data.stepId}`} />
    </div>
  );
}

export const nodeTypes = { step: StepNodeView };
