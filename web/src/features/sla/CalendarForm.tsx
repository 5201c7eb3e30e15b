// One business calendar: its name, time zone, open hours per weekday and closed dates (the API checks them all).
import { type FormEvent, useMemo, useRef, useState } from "react";

import { type BusinessCalendar, useSaveCalendar } from "../../api/sla";
import { TextAreaField, TextField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";
import { calendarBody, calendarDraft, WEEKDAY_NAMES, WEEKDAYS } from "./model";

const FIELDS = ["name", "time_zone", "working_hours", ...WEEKDAYS.map((day) => `working_hours.${day}`), "holidays"];

function useTimeZones(): string[] {
  return useMemo(() => (typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []), []);
}

export function CalendarForm({ calendar, onDone, onCancel }: { calendar?: BusinessCalendar | undefined; onDone: (saved: BusinessCalendar) => void; onCancel: () => void }) {
  const [draft, setDraft] = useState(() => calendarDraft(calendar));
  const save = useSaveCalendar();
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(save.error, FIELDS);
  useFocusOnError(save.error, form);
  const zones = useTimeZones();

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate({ id: calendar?.id, body: calendarBody(draft) }, { onSuccess: onDone });
  }

  return (
    <form ref={form} onSubmit={submit} noValidate aria-label={calendar ? `Edit ${calendar.name}` : "New business calendar"}>
      <FormSummary errors={errors} title="The calendar was not saved" />
      <TextField label="Name" name="name" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} error={errors.fields.name} />
      <TextField
        label="Time zone"
        name="time_zone"
        required
        list="sla-time-zones"
        autoComplete="off"
        value={draft.timeZone}
        onChange={(e) => setDraft({ ...draft, timeZone: e.target.value })}
        error={errors.fields.time_zone}
        hint="An IANA zone such as Europe/Berlin: hours and holidays are local to it."
      />
      <datalist id="sla-time-zones">
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <fieldset className={errors.fields.working_hours ? "fieldset field--invalid" : "fieldset"} aria-label="Working hours">
        <legend>Working hours</legend>
        {errors.fields.working_hours ? <p className="field-error">{errors.fields.working_hours}</p> : null}
        {WEEKDAYS.map((day) => (
          <TextField
            key={day}
            label={WEEKDAY_NAMES[day]}
            name={`working_hours.${day}`}
            autoComplete="off"
            placeholder="closed"
            value={draft.hours[day]}
            onChange={(e) => setDraft({ ...draft, hours: { ...draft.hours, [day]: e.target.value } })}
            error={errors.fields[`working_hours.${day}`]}
          />
        ))}
        <p className="field-hint">Open intervals such as 09:00-12:00, 13:00-17:00 (24:00 ends the day); empty means closed.</p>
      </fieldset>
      <TextAreaField
        label="Holidays"
        name="holidays"
        rows={4}
        className="code-input"
        value={draft.holidays}
        onChange={(e) => setDraft({ ...draft, holidays: e.target.value })}
        error={errors.fields.holidays}
        hint="Closed dates (2026-12-25), one per line. After saving, an iCalendar file can add more."
      />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : calendar ? "Save calendar" : "Create calendar"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
