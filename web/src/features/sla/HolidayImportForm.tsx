// Holidays from an iCalendar (.ics) file: every event's dates (yearly rules expanded) become closed dates.
import { type FormEvent, useRef, useState } from "react";

import { type BusinessCalendar, useImportHolidays } from "../../api/sla";
import { CheckboxField } from "../../components/Field";
import { FormSummary, useFocusOnError, useFormErrors } from "../../components/FormErrors";

const FIELDS = ["ics", "replace"];

export function HolidayImportForm({ calendar, onDone, onCancel }: { calendar: BusinessCalendar; onDone: (saved: BusinessCalendar) => void; onCancel: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [replace, setReplace] = useState(false);
  const [missing, setMissing] = useState(false);
  const importing = useImportHolidays();
  const form = useRef<HTMLFormElement>(null);
  const errors = useFormErrors(importing.error, FIELDS);
  useFocusOnError(importing.error, form);
  const fileError = missing ? "Choose an .ics file." : errors.fields.ics;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setMissing(true);
      return;
    }
    const ics = await file.text();
    importing.mutate({ id: calendar.id, ics, replace }, { onSuccess: onDone });
  }

  return (
    <form ref={form} onSubmit={(e) => void submit(e)} noValidate aria-label={`Import holidays into ${calendar.name}`}>
      <FormSummary errors={errors} title="No holidays were imported" />
      <div className={fileError ? "field field--invalid" : "field"}>
        <label htmlFor="sla-ics-file">iCalendar file</label>
        <input
          id="sla-ics-file"
          name="ics"
          type="file"
          accept=".ics,text/calendar"
          aria-invalid={fileError ? true : undefined}
          aria-describedby={fileError ? "sla-ics-file-error" : "sla-ics-file-hint"}
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setMissing(false);
          }}
        />
        <p id="sla-ics-file-hint" className="field-hint">
          A public-holiday feed (up to 80,000 characters). Each event&apos;s dates are closed; yearly rules count for the next three years.
        </p>
        {fileError ? (
          <p id="sla-ics-file-error" className="field-error">
            {fileError}
          </p>
        ) : null}
      </div>
      <CheckboxField label="Replace the calendar's holidays (instead of adding to them)" name="replace" checked={replace} onChange={(e) => setReplace(e.target.checked)} error={errors.fields.replace} />
      <div className="form-actions">
        <button type="submit" className="button button--primary" disabled={importing.isPending}>
          {importing.isPending ? "Importing…" : "Import holidays"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
