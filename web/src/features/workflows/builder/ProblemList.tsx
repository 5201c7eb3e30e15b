// The builder's "Problems" section: live validation's state (checking, none, how many) and each problem, the ones
// of a step or an edge as a button selecting it on the canvas.
import { type FlowEdge, type StepNode, stepIdOf } from "../graph/flow";
import type { LiveValidation } from "./useLiveValidation";
import type { WorkflowDraft } from "./useWorkflowDraft";

function statusText(validation: LiveValidation): string {
  if (validation.checking) return "checking…";
  if (validation.count) return `(${validation.count})`;
  return validation.failed ? "(could not check)" : "none: the workflow is valid";
}

/** An edge by the step ids at its ends (`build → check`), or by its key when it is gone. */
function edgeEnds(edges: readonly FlowEdge[], nodes: readonly StepNode[], edgeId: string): string {
  const edge = edges.find((e) => e.id === edgeId);
  return edge ? `${stepIdOf(nodes, edge.source)} → ${stepIdOf(nodes, edge.target)}` : edgeId;
}

export function ProblemList({ draft, validation }: { draft: WorkflowDraft; validation: LiveValidation }) {
  const { problems } = validation;
  return (
    <section className="builder-problems" aria-labelledby="problems-title">
      <h2 id="problems-title">
        Problems{" "}
        <span role="status" aria-live="polite" className="muted">
          {statusText(validation)}
        </span>
      </h2>
      {validation.count ? (
        <ul className="problem-list">
          {Object.entries(problems.steps).map(([nodeId, list]) =>
            list.map((p) => (
              <li key={`${nodeId}:${p.field}:${p.message}`}>
                <button type="button" className="link-button" onClick={() => draft.select("node", nodeId)}>
                  Step {stepIdOf(draft.nodes, nodeId)}
                </button>
                {p.sub ? <code>{p.sub}</code> : null} {p.message}
              </li>
            )),
          )}
          {Object.entries(problems.edges).map(([edgeId, list]) =>
            list.map((p) => (
              <li key={`${edgeId}:${p.field}:${p.message}`}>
                <button type="button" className="link-button" onClick={() => draft.select("edge", edgeId)}>
                  Edge {edgeEnds(draft.edges, draft.nodes, edgeId)}
                </button>
                {p.sub ? <code>{p.sub}</code> : null} {p.message}
              </li>
            )),
          )}
          {problems.general.map((p) => (
            <li key={`${p.field}:${p.message}`}>
              <code>{p.field}</code> {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
