// What a signed action link decides, as its approver sees it before deciding: the record or the gate, its facts,
// variables, and what runs once it is approved (the pinned runbook version with its rendered parameters).
import type { ActionSubject as Subject } from "../../api/actionLinks";

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function ActionSubject({ subject }: { subject: Subject }) {
  const variables = Object.entries(subject.variables ?? {});
  return (
    <section aria-label="What is decided">
      <h2>{subject.title}</h2>
      {subject.message ? <p className="action-message">{subject.message}</p> : null}
      <dl className="facts">
        {(subject.facts ?? []).map((fact) => (
          <div key={fact.label}>
            <dt>{fact.label}</dt>
            <dd>{fact.value}</dd>
          </div>
        ))}
      </dl>
      {variables.length ? (
        <>
          <h3>Variables</h3>
          <dl className="facts" aria-label="Variables">
            {variables.map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{show(value)}</dd>
              </div>
            ))}
          </dl>
        </>
      ) : null}
      {(subject.next_steps ?? []).length ? (
        <>
          <h3>Runs once approved</h3>
          <ul aria-label="Runs once approved">
            {(subject.next_steps ?? []).map((step) => (
              <li key={step.step_id}>
                {step.runbook ?? "runbook"}
                {step.runbook_version ? ` v${step.runbook_version}` : ""} ({step.step_id}) with{" "}
                <code>{JSON.stringify(step.parameters ?? {})}</code>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
