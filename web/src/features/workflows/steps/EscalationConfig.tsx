// An approval step's reminders and escalation: how often to remind whoever has not decided, when and to whom the
// gate is escalated (once), and whether the escalation targets replace the approvers or join them.
import { CheckboxField, SelectField, TextField } from "../../../components/Field";
import { asNumber, asText, type ConfigProps, errorsAt } from "./fields";

const GROUP = "group:";

export function EscalationConfig({ config, problems, setConfig }: ConfigProps) {
  const target = asText(config.escalate_to);
  const kind = target.startsWith(GROUP) ? "group" : target;
  const pickTarget = (value: string) => setConfig("escalate_to", value === "" ? undefined : value === "group" ? GROUP : value);
  return (
    <fieldset className="fieldset">
      <legend>Reminders and escalation</legend>
      <TextField label="Remind every (seconds)" name="config.remind_after_seconds" inputMode="numeric" value={asText(config.remind_after_seconds)} onChange={(e) => setConfig("remind_after_seconds", asNumber(e.target.value))} error={errorsAt(problems, "config.remind_after_seconds")} />
      <TextField label="Escalate after (seconds)" name="config.escalate_after_seconds" inputMode="numeric" value={asText(config.escalate_after_seconds)} onChange={(e) => setConfig("escalate_after_seconds", asNumber(e.target.value))} error={errorsAt(problems, "config.escalate_after_seconds")} hint="Before the timeout, once" />
      <SelectField label="Escalate to" name="config.escalate_to" value={kind} onChange={(e) => pickTarget(e.target.value)} error={errorsAt(problems, "config.escalate_to")}>
        <option value="">Nobody</option>
        <option value="manager">The approvers' managers</option>
        <option value="group">A group</option>
        <option value="fallback">The tenant's fallback group</option>
      </SelectField>
      {kind === "group" ? (
        <TextField label="Escalation group (name or id)" name="config.escalate_to.group" value={target.slice(GROUP.length)} onChange={(e) => setConfig("escalate_to", `${GROUP}${e.target.value}`)} />
      ) : null}
      <CheckboxField label="Once escalated, only the escalation targets may decide" name="config.escalation_replaces" checked={config.escalation_replaces === true} onChange={(e) => setConfig("escalation_replaces", e.target.checked || undefined)} error={errorsAt(problems, "config.escalation_replaces")} />
    </fieldset>
  );
}
