// /executions/:executionId: the workflow's graph (the version the execution pinned), read-only, with each step's
// live status (SSE → refetch), a panel per step (outputs, attempts, times, log), the pending approval gates with
// approve/reject, and Cancel / Retry when the API would accept them.
import "@xyflow/react/dist/style.css";
import "../workflows/workflows.css";

import { Background, Controls, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";

import { describeError } from "../../api/problem";
import { useCurrentUser, usePermission } from "../../app/session";
import { Badge, DateTime, PageHeader } from "../../components/Page";
import { ErrorState, Loading, Notice } from "../../components/States";
import { useRunbookOptions, useWorkflow } from "../workflows/api";
import { executionStatusTone, versionLabel } from "../../components/status";
import { type ApiGraph, type FlowEdge, runsByStep, type StepNode, stepDetail, toFlow } from "../workflows/graph";
import { nodeTypes } from "../workflows/StepNode";
import {
  type Execution,
  type Gate,
  RETRYABLE,
  type StepRun,
  UNFINISHED,
  useCancelExecution,
  useExecution,
  useExecutionEvents,
  useExecutionGates,
  useRetryExecution,
} from "../../api/executions";
import { useMyGateIds } from "../../api/approvals";
import { GateDetails } from "../approvals/GateCard";
import { ExecutionFacts } from "./ExecutionFacts";

export function ExecutionPage() {
  const { executionId = "" } = useParams();
  const execution = useExecution(executionId);
  const running = Boolean(execution.data && UNFINISHED.includes(execution.data.status));
  useExecutionEvents(executionId, running);
  if (execution.isPending) return <Loading label="Loading the execution…" />;
  if (execution.isError) return <ErrorState error={execution.error} onRetry={() => void execution.refetch()} />;
  return (
    <ReactFlowProvider>
      <ExecutionView execution={execution.data} />
    </ReactFlowProvider>
  );
}

function ExecutionView({ execution }: { execution: Execution }) {
  const me = useCurrentUser();
  const canManage = usePermission("workflows.manage");
  const isWorkflow = execution.kind === "workflow";
  const workflow = useWorkflow(execution.workflow_id, execution.workflow_version ?? undefined, { enabled: isWorkflow && canManage });
  const unfinished = UNFINISHED.includes(execution.status);
  const gates = useExecutionGates(execution.id, isWorkflow && execution.status === "waiting");
  const cancel = useCancelExecution(execution.id);
  const retry = useRetryExecution(execution.id);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const runs = useMemo(() => runsByStep(execution.steps), [execution.steps]);

  // Without the definition (no workflows.manage), the step runs alone, in order, make the graph.
  const graph: ApiGraph = useMemo(
    () =>
      workflow.data
        ? { steps: workflow.data.steps, edges: workflow.data.edges }
        : { steps: execution.steps.map((s) => ({ id: s.step_id ?? s.name, type: s.type, name: s.name })), edges: [] },
    [workflow.data, execution.steps],
  );
  const flow = useMemo(() => toFlow(graph), [graph]);
  const runbooks = useRunbookOptions(usePermission("runbooks.manage") && isWorkflow);
  const runbookNames = useMemo(() => Object.fromEntries((runbooks.data?.items ?? []).map((r) => [r.id, r.name])), [runbooks.data]);
  const nodes: StepNode[] = flow.nodes.map((n) => {
    const status = runs[n.data.stepId]?.status ?? "pending";
    const detail = workflow.data ? stepDetail(n.data.type, n.data.config, runbookNames) : undefined;
    return {
      ...n,
      selected: n.data.stepId === selected,
      ariaLabel: `Step ${n.data.stepId}: ${status}`,
      data: { ...n.data, status, ...(detail ? { detail } : {}) },
    };
  });
  const edges: FlowEdge[] = flow.edges;
  const canCancel = unfinished && (execution.started_by === me.id || canManage);
  const canRetry = isWorkflow && RETRYABLE.includes(execution.status) && canManage;
  const selectedRun = selected ? runs[selected] : undefined;

  return (
    <>
      <PageHeader
        title={isWorkflow ? "Workflow execution" : "Runbook execution"}
        description={
          <>
            <Link to="/executions">All executions</Link> · {execution.name ?? (isWorkflow ? "workflow" : "runbook")}
            {execution.workflow_version ? ` (v${execution.workflow_version})` : ""}
            {execution.runbook_version ? ` (runbook version ${execution.runbook_version})` : ""}
          </>
        }
        actions={
          <>
            {isWorkflow && canManage && execution.workflow_id ? (
              <Link className="button" to={`/workflows/${execution.workflow_id}`}>
                Open workflow
              </Link>
            ) : null}
            {canRetry ? (
              <button type="button" className="button" disabled={retry.isPending} onClick={() => retry.mutate(undefined, { onSuccess: () => setNotice("Retrying from the failed steps.") })}>
                Retry
              </button>
            ) : null}
            {canCancel ? (
              <button type="button" className="button button--danger" disabled={cancel.isPending || Boolean(execution.cancel_requested_at)} onClick={() => cancel.mutate(undefined, { onSuccess: () => setNotice("Cancellation requested.") })}>
                {execution.cancel_requested_at ? "Cancelling…" : "Cancel"}
              </button>
            ) : null}
          </>
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {cancel.isError ? <p className="field-error" role="alert">{describeError(cancel.error)}</p> : null}
      {retry.isError ? <p className="field-error" role="alert">{describeError(retry.error)}</p> : null}
      <ExecutionFacts execution={execution} />
      {gates.data?.length ? <GatePanels gates={gates.data} /> : null}
      {gates.isError ? <p className="field-error">{describeError(gates.error)}</p> : null}
      <div className="builder">
        <div className="builder-canvas" aria-label="Execution graph" role="region">
          <ReactFlow<StepNode, FlowEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            nodesDraggable={false}
            nodesConnectable={false}
            edgesFocusable={false}
            deleteKeyCode={null}
            onNodeClick={(_, node) => setSelected(node.data.stepId)}
            onPaneClick={() => setSelected(null)}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            minZoom={0.3}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        <aside className="builder-side" aria-label="Step details">
          {selected ? (
            <StepRunPanel stepId={selected} run={selectedRun} />
          ) : (
            <section className="builder-panel">
              <h2>Step details</h2>
              <p className="muted">Select a step on the graph or in the table below to see its outputs, attempts, times and log.</p>
            </section>
          )}
        </aside>
      </div>
      <StepTable steps={execution.steps} onSelect={setSelected} />
    </>
  );
}

function StepTable({ steps, onSelect }: { steps: StepRun[]; onSelect: (stepId: string) => void }) {
  return (
    <table className="table step-runs">
      <caption>Steps</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Runbook version</th>
          <th scope="col">Started</th>
          <th scope="col">Finished</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((step) => {
          const id = step.step_id ?? step.name;
          return (
            <tr key={`${id}-${step.position}`} data-step-id={id}>
              <td data-label="Step">
                <button type="button" className="link-button" onClick={() => onSelect(id)} aria-label={`Details of step ${id}`}>
                  {id}
                </button>
                {step.name && step.name !== id ? <span className="muted"> {step.name}</span> : null}
              </td>
              <td data-label="Type">{step.type}</td>
              <td data-label="Status">
                <Badge tone={executionStatusTone(step.status)}>{step.status.replace("_", " ")}</Badge>
              </td>
              <td data-label="Attempts">{step.attempts ?? 0}</td>
              <td data-label="Runbook version">{step.type === "runbook" && step.step_id ? versionLabel(step.runbook_version) : ""}</td>
              <td data-label="Started">
                <DateTime value={step.started_at} />
              </td>
              <td data-label="Finished">
                <DateTime value={step.finished_at} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function StepRunPanel({ stepId, run }: { stepId: string; run: StepRun | undefined }) {
  return (
    <section className="builder-panel" aria-labelledby="run-panel-title">
      <h2 id="run-panel-title">Step {stepId}</h2>
      {!run ? (
        <p className="muted">This step has not been reached.</p>
      ) : (
        <>
          <dl className="execution-facts">
            <div>
              <dt>Status</dt>
              <dd>
                <Badge tone={executionStatusTone(run.status)}>{run.status.replace("_", " ")}</Badge>
              </dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>{run.attempts ?? 0}</dd>
            </div>
            {run.type === "runbook" ? (
              <div>
                <dt>Runbook version</dt>
                <dd>{run.runbook_version ? `v${run.runbook_version}` : "resolved when the step starts"}</dd>
              </div>
            ) : null}
            <div>
              <dt>Started</dt>
              <dd>
                <DateTime value={run.started_at} />
              </dd>
            </div>
            <div>
              <dt>Finished</dt>
              <dd>
                <DateTime value={run.finished_at} />
              </dd>
            </div>
            {run.exit_code !== null && run.exit_code !== undefined ? (
              <div>
                <dt>Exit code</dt>
                <dd>{run.exit_code}</dd>
              </div>
            ) : null}
          </dl>
          {run.reason ? <p>{run.reason}</p> : null}
          {run.runbook_execution_id ? (
            <p>
              <Link to={`/executions/${run.runbook_execution_id}`}>Open the runbook execution</Link> for its actions.
            </p>
          ) : null}
          <h3 className="h4">Outputs</h3>
          {Object.keys(run.outputs).length ? <pre className="step-outputs">{JSON.stringify(run.outputs, null, 2)}</pre> : <p className="muted">No outputs.</p>}
          <h3 className="h4">Log</h3>
          {run.log ? (
            <pre className="step-log" tabIndex={0} aria-label={`Log of step ${stepId}`}>
              {run.log}
            </pre>
          ) : run.runbook_execution_id ? (
            <RunbookLog executionId={run.runbook_execution_id} stepId={stepId} />
          ) : (
            <p className="muted">No log.</p>
          )}
        </>
      )}
    </section>
  );
}

/** A runbook step's log is the log of the runbook execution it started: each action's output, in order. */
function RunbookLog({ executionId, stepId }: { executionId: string; stepId: string }) {
  const child = useExecution(executionId);
  if (child.isPending) return <Loading label="Loading the runbook's log…" />;
  if (child.isError) return <ErrorState error={child.error} onRetry={() => void child.refetch()} />;
  const text = child.data.steps
    .filter((action) => action.log)
    .map((action) => `── ${action.name} (${action.status})\n${action.log}`)
    .join("\n");
  return text ? (
    <pre className="step-log" tabIndex={0} aria-label={`Log of step ${stepId}`}>
      {text}
    </pre>
  ) : (
    <p className="muted">The runbook wrote no log.</p>
  );
}

/** The execution's waiting gates, each as in the inbox: what it approves, and a decision only if the API would take it. */
function GatePanels({ gates }: { gates: Gate[] }) {
  const mine = useMyGateIds(true);
  return (
    <>
      {gates.map((gate) => (
        <GateDetails key={gate.id} gate={gate} listedAsMine={mine.data ? mine.data.has(gate.id) : undefined} />
      ))}
    </>
  );
}
