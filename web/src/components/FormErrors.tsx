// Turning a failed mutation into inline field errors plus a summary, and moving focus to the first problem.
import { type RefObject, useEffect, useMemo } from "react";

import { ApiError, type FormErrors, formErrors, networkProblem } from "../api/problem";

const NONE: FormErrors = { fields: {}, general: [] };

/** The form errors of `error` (a mutation's), for a form with `fields`. */
export function useFormErrors(error: unknown, fields: readonly string[]): FormErrors {
  return useMemo(() => {
    if (!error) return NONE;
    if (error instanceof ApiError) return formErrors(error.problem, fields);
    return formErrors(networkProblem(), fields);
    // `fields` is a constant list per form, so the error alone decides.
  }, [error]);
}

/** After a failed submit, focus the first invalid control (or the summary when no field is named). */
export function useFocusOnError(error: unknown, form: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    if (!error || !form.current) return;
    const target =
      form.current.querySelector<HTMLElement>('[aria-invalid="true"]') ??
      form.current.querySelector<HTMLElement>("[data-invalid] input") ??
      form.current.querySelector<HTMLElement>(".form-summary");
    if (!target) return;
    target.focus({ preventScroll: true });
    // Centre it: in a dialog, the sticky header would hide a field scrolled just into view.
    target.scrollIntoView({ block: "center" });
  }, [error, form]);
}

export function FormSummary({ errors, title = "Please check the form" }: { errors: FormErrors; title?: string }) {
  const fieldCount = Object.keys(errors.fields).length;
  if (!errors.general.length && !fieldCount) return null;
  return (
    <div className="form-summary" role="alert" tabIndex={-1}>
      <p className="form-summary-title">{errors.general.length ? errors.general[0] : title}</p>
      {errors.general.length > 1 ? (
        <ul>
          {errors.general.slice(1).map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
      {fieldCount ? (
        <p>{fieldCount === 1 ? "One field needs attention." : `${fieldCount} fields need attention.`}</p>
      ) : null}
    </div>
  );
}
