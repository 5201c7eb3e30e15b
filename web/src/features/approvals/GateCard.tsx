// One automation approval gate to decide: the workflow and execution it belongs to, the step, the inputs and the
// rendered parameters of the runbook steps that run once it is approved, the votes so far, and Approve / Reject
// (with a comment) when the API would accept my decision (`gateVerdict`).
import { Link } from "react-router";

import { useCurrentUser, usePermission } from "../../app/session";
import { DateTime } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { Person, StatusBadge } from "../../components/RecordParts";
import { age } from "../../components/age";
import { type Gate, useDecideGate, useGate, useMyGateIds } from "../../api/approvals";
import { DecisionForm, type OnDecided } from "./DecisionForm";
import { GateHistory } from "./GateHistory";
import { roleLabel } from "../../components/causes";
import { displayParameter } from "../../components/values";
import { approvalCount, approverLabel, gateChain, gateDecisions, gateSubject, gateVerdict } from "./gate";

function Facts({ values, empty }: { values: Record<string, unknown>; empty: string }) {
  const names = Object.keys(values);
  if (!names.length) return <p className="muted">{empty}</p>;
  return (
    <dl className="facts">
      {names.map((name) => (
        <div key={name} style={{ display: "contents" }}>
          <dt>{name}</dt>
          <dd className="pre-wrap">{displayParameter(values[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The gate records the runbooks' names and the versions that run when it opens, so every approver sees them. */
function RunbookName({ id, name, version }: { id: string | null; name: string | null; version: number | null }) {
  const pinned = version ? <strong> v{version}</strong> : null;
  if (name)
    return (
      <>
        runbook “{name}”{pinned}
      </>
    );
  return id ? (
    <span className="mono">
      runbook {id.slice(0, 8)}
      {pinned}
    </span>
  ) : (
    <span className="muted">an unknown runbook</span>
  );
}

function GateDecision({ gate, label, onDecided }: { gate: Gate; label: string; onDecided?: OnDecided | undefined }) {
  const decide = useDecideGate();
  return (
    <DecisionForm
      label={label}
      pending={decide.isPending}
      error={decide.error}
      onDecided={onDecided}
      decide={(outcome, comment) =>
        decide.mutateAsync({ id: gate.id, outcome, comment }).then((decided) => {
          const still = decided.status === "pending" ? " It waits for more approvals." : "";
          return `${outcome === "approve" ? "Approved" : "Rejected"}: ${label}.${still}`;
        })
      }
    />
  );
}

export function GateDetails({
  gate,
  onDecided,
  headingLevel = 2,
  listedAsMine,
}: {
  gate: Gate;
  onDecided?: (message: string, refused?: boolean) => void;
  headingLevel?: 2 | 3;
  /** Whether the API lists this gate as mine to decide (the inbox only shows such gates). */
  listedAsMine?: boolean | undefined;
}) {
  const me = useCurrentUser();
  const canReadUsers = usePermission("users.read");
  const Heading = headingLevel === 2 ? "h2" : "h3";
  const subject = gateSubject(gate.subject, gate);
  // The execution view is open to its starter and to whoever may read every execution.
  const canOpenExecution = usePermission("executions.read_all") || gate.started_by === me.id;
  const verdict = gateVerdict(gate, me.id, listedAsMine);
  const chain = gateChain(gate);
  const decisions = gateDecisions(gate);
  const label = gate.message || `Automation approval ${gate.step_id}`;
  return (
    <article className="inbox-item" aria-label={label}>
      <Heading>{label}</Heading>
      <p className="muted">
        Automation gate · waiting {age(gate.created_at)} · caused by{" "}
        {chain.length ? (
          chain.map((c, i) => (
            <span key={c.userId}>
              {i ? ", " : ""}
              <Person id={c.userId} canReadUsers={canReadUsers} /> ({roleLabel(c.role)})
            </span>
          ))
        ) : (
          <span className="muted">nobody (an inbound webhook)</span>
        )}
        {gate.status !== "pending" ? (
          <>
            {" "}
            · <StatusBadge status={gate.status} />
          </>
        ) : null}
      </p>
      <dl className="facts">
        <div style={{ display: "contents" }}>
          <dt>Workflow</dt>
          <dd>
            {subject.workflow ? (
              <>
                {subject.workflow.name}
                {subject.workflow.version ? <span className="muted"> (version {subject.workflow.version})</span> : null}
              </>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Execution</dt>
          <dd className="mono">
            {subject.executionId && canOpenExecution ? (
              <Link to={`/executions/${subject.executionId}`}>{subject.executionId}</Link>
            ) : (
              (subject.executionId ?? "—")
            )}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Step</dt>
          <dd>
            {subject.stepId ?? gate.step_id}
            {gate.attempt > 1 ? <span className="muted"> (attempt {gate.attempt})</span> : null}
          </dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Approvers</dt>
          <dd>{gate.approvers.length ? gate.approvers.map(approverLabel).join(", ") : "—"}</dd>
        </div>
        <div style={{ display: "contents" }}>
          <dt>Approvals</dt>
          <dd>
            {approvalCount(gate)} of {gate.min_approvals} needed
          </dd>
        </div>
      </dl>
      <h3 className="subheading">Inputs</h3>
      <Facts values={subject.inputs} empty="The execution has no inputs." />
      <h3 className="subheading">Once approved</h3>
      {subject.nextSteps.length ? (
        <ul className="plain-list" aria-label="Steps that run once approved">
          {subject.nextSteps.map((step) => (
            <li key={step.stepId}>
              <p>
                Step <strong>{step.stepId}</strong> runs <RunbookName id={step.runbookId} name={step.runbook} version={step.runbookVersion} /> with exactly:
              </p>
              <Facts values={step.parameters} empty="No parameters." />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No runbook step follows this gate directly.</p>
      )}
      <GateHistory gate={gate} />
      {decisions.length ? (
        <details>
          <summary>Decisions so far ({decisions.length})</summary>
          <ul className="plain-list">
            {decisions.map((d, i) => (
              <li key={`${d.userId}-${i}`}>
                {d.user} {d.decision}
                {d.onBehalfOf ? " (as a delegate)" : ""} · <DateTime value={d.at} />
                {d.comment ? <>: “{d.comment}”</> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {verdict.canDecide ? (
        <GateDecision gate={gate} label={label} onDecided={onDecided} />
      ) : (
        <p className="refusal-note" role="note">
          {verdict.reason}
        </p>
      )}
    </article>
  );
}

/**
 * A gate loaded by id, kept fresh while shown. In the inbox (`inInbox`) the API already listed it as mine to
 * decide; elsewhere (its own page) the list of my gates says whether to offer the decision.
 */
export function GateCard({
  id,
  onDecided,
  headingLevel = 2,
  inInbox = false,
}: {
  id: string;
  onDecided?: (message: string, refused?: boolean) => void;
  headingLevel?: 2 | 3;
  inInbox?: boolean;
}) {
  const gate = useGate(id, { poll: true });
  const mine = useMyGateIds(!inInbox);
  if (gate.isPending || (!inInbox && mine.isPending)) return <Loading label="Loading the approval…" />;
  if (gate.isError) return <ErrorState error={gate.error} title="This approval could not be loaded" onRetry={() => void gate.refetch()} />;
  const listedAsMine = inInbox ? true : mine.data ? mine.data.has(gate.data.id) : undefined;
  return <GateDetails gate={gate.data} headingLevel={headingLevel} listedAsMine={listedAsMine} {...(onDecided ? { onDecided } : {})} />;
}
