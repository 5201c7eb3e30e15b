// One approval step's timers: its timeout and what it does, how often whoever has not decided is reminded, and after
// how long and to whom the step is escalated (once; the targets join the approvers or replace them).
import { CheckboxField, SelectField, TextField } from "../../components/Field";
import type { LadderStep, OnTimeout } from "./ladder";

const GROUP = "group:";

export function StepTimers({ step, index, error, onChange }: { step: LadderStep; index: number; error: (name: string) => string | undefined; onChange: (patch: Partial<LadderStep>) => void }) {
  const kind = step.escalate_to.startsWith(GROUP) ? "group" : step.escalate_to;
  const pick = (value: string) => onChange({ escalate_to: value === "group" ? GROUP : value });
  return (
    <>
      <TextField
        label="Timeout (seconds)"
        name={`steps.${index}.timeout`}
        inputMode="numeric"
        value={step.timeout}
        onChange={(e) => onChange({ timeout: e.target.value })}
        error={error("timeout")}
        hint="Empty: wait for a decision as long as it takes."
      />
      {step.timeout.trim() ? (
        <SelectField label="On timeout" name={`steps.${index}.on_timeout`} value={step.on_timeout} onChange={(e) => onChange({ on_timeout: e.target.value as OnTimeout | "" })} error={error("on_timeout")}>
          <option value="">Escalate (default)</option>
          <option value="reject">Reject</option>
          <option value="skip">Skip the step</option>
          <option value="escalate">Escalate</option>
        </SelectField>
      ) : null}
      <TextField label="Remind every (seconds)" name={`steps.${index}.remind_after`} inputMode="numeric" value={step.remind_after} onChange={(e) => onChange({ remind_after: e.target.value })} error={error("remind_after")} hint="Empty: no reminders." />
      <TextField label="Escalate after (seconds)" name={`steps.${index}.escalate_after`} inputMode="numeric" value={step.escalate_after} onChange={(e) => onChange({ escalate_after: e.target.value })} error={error("escalate_after")} hint="Once, before the timeout. Empty: never." />
      {step.escalate_after.trim() ? (
        <>
          <SelectField label="Escalate to" name={`steps.${index}.escalate_to`} value={kind} onChange={(e) => pick(e.target.value)} error={error("escalate_to")}>
            <option value="">Choose…</option>
            <option value="manager">The approvers' managers</option>
            <option value="group">A group</option>
            <option value="fallback">The tenant's fallback group</option>
          </SelectField>
          {kind === "group" ? (
            <TextField label="Escalation group (name or id)" name={`steps.${index}.escalate_to.group`} value={step.escalate_to.slice(GROUP.length)} onChange={(e) => onChange({ escalate_to: `${GROUP}${e.target.value}` })} />
          ) : null}
          <CheckboxField label="Once escalated, only the escalation targets may decide" name={`steps.${index}.escalation_replaces`} checked={step.escalation_replaces} onChange={(e) => onChange({ escalation_replaces: e.target.checked })} error={error("escalation_replaces")} />
        </>
      ) : null}
    </>
  );
}
