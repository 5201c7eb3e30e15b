// One SLA policy: its targets, the calendar of its business-time targets, the warning threshold and the change types
// it holds (catalog items pick their policy in the item editor).
import { type FormEvent, useMemo, useRef, useState } from "react";

import { type SlaPolicy, useBusinessCalendars, useSavePolicy } from "../../api/sla";
import { CheckboxField, SelectField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { CHANGE_TYPES, policyBody, policyDraft, type TargetDraft } from "./model";
import { TARGET_FIELDS, TargetsEditor } from "./TargetsEditor";

export function PolicyForm({ policy, onDone, onCancel }: { policy?: SlaPolicy | undefined; onDone: (saved: SlaPolicy) => void; onCancel: () => void }) {
  const initial = useMemo(() => policyDraft(policy), [policy]);
  const [name, setName] = useState(initial.name);
  const [calendarId, setCalendarId] = useState(initial.calendarId);
  const [warnPercent, setWarnPercent] = useState(initial.warnPercent);
  const [targets, setTargets] = useState<TargetDraft[]>(initial.targets);
  const [changeTypes, setChangeTypes] = useState<string[]>(initial.changeTypes);
  const [pauseOnRequester, setPauseOnRequester] = useState(initial.pauseOnRequester);
  const calendars = useBusinessCalendars();
  const save = useSavePolicy();
  const form = useRef<HTMLFormElement>(null);
  const fields = useMemo(
    () => ["name", "calendar_id", "warn_percent", "change_types", "pause_on_requester", "targets", ...targets.flatMap((_, i) => [`targets.${i}`, ...TARGET_FIELDS.map((f) => `targets.${i}.${f}`)])],
    [targets],
  );
  const errors = useFormErrors(save.error, fields);
  useFocusOnError(save.error, form);
  const calendarItems = calendars.data?.items ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = policyBody({ name, calendarId, warnPercent, targets, changeTypes, pauseOnRequester });
    save.mutate({ id: policy?.id, body }, { onSuccess: onDone });
  }

  const toggle = (type: string, on: boolean) => setChangeTypes((all) => (on ? [...all, type] : all.filter((t) => t !== type)));
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={policy ? `Edit ${policy.name}` : "New SLA policy"}>
      <FormSummary errors={errors} title="The policy was not saved" />
      <TextField label="Name" name="name" required value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} />
      <SelectField
        label="Business calendar"
        name="calendar_id"
        value={calendarId}
        onChange={(e) => setCalendarId(e.target.value)}
        error={errors.fields.calendar_id}
        hint={calendars.isError ? "The calendars could not be loaded." : "Business-time targets count only its open hours."}
      >
        <option value="">No calendar (wall-clock targets only)</option>
        {calendarId && !calendarItems.some((c) => c.id === calendarId) ? <option value={calendarId}>Current calendar ({calendarId.slice(0, 8)})</option> : null}
        {calendarItems.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.time_zone})
          </option>
        ))}
      </SelectField>
      <TextField label="Warn at (% of each target)" name="warn_percent" inputMode="numeric" value={warnPercent} onChange={(e) => setWarnPercent(e.target.value)} error={errors.fields.warn_percent} hint="The owners are warned once this share of a target has passed." />
      <TargetsEditor targets={targets} setTargets={setTargets} errors={errors.fields} />
      <CheckboxField
        label="Pause fulfilment and resolution while a request awaits its requester"
        name="pause_on_requester"
        checked={pauseOnRequester}
        onChange={(e) => setPauseOnRequester(e.target.checked)}
        error={errors.fields.pause_on_requester}
      />
      <fieldset className={errors.fields.change_types ? "fieldset field--invalid" : "fieldset"} aria-label="Change types">
        <legend>Change types held to this policy</legend>
        {errors.fields.change_types ? <p className="field-error">{errors.fields.change_types}</p> : null}
        <ul className="checklist">
          {CHANGE_TYPES.map((type) => (
            <li key={type}>
              <label>
                <input type="checkbox" name="change_types" value={type} checked={changeTypes.includes(type)} onChange={(e) => toggle(type, e.target.checked)} /> {type}
              </label>
            </li>
          ))}
        </ul>
        <p className="field-hint">Each change type has at most one policy.</p>
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : policy ? "Save policy" : "Create policy"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
