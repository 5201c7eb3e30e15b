// Approve / reject with a comment, for an ITSM approval step and an automation gate alike: the comment field shows
// the API's 422 beside it, a refusal (403 four-eyes or not an approver, 409 already decided) is said in the API's
// own words, on the form and to the page (the decided card may leave the list before the form could show it).
import { type FormEvent, type ReactNode, useEffect, useId, useState } from "react";

import { ApiError, describeError } from "../../api/problem";
import { TextAreaField } from "../../components/Field";

export type Outcome = "approve" | "reject";
export type OnDecided = (message: string, refused?: boolean) => void;

/** The refusal to show for a failed decision: the API's own words for 403 (four-eyes, not an approver) and 409. */
export function refusal(error: unknown): string {
  if (error instanceof ApiError && (error.status === 403 || error.status === 409)) {
    const lead = error.status === 409 ? "Already decided" : "You may not decide this";
    return `${lead}: ${error.problem.detail ?? error.problem.title}`;
  }
  return describeError(error);
}

export function DecisionForm({
  label,
  decide,
  pending,
  error,
  onDecided,
  children,
}: {
  /** What is decided, e.g. "REQ0000012 · Laptop": the form's name and the start of the messages. */
  label: string;
  /** Sends the decision; resolves to the message to announce. */
  decide: (outcome: Outcome, comment: string) => Promise<string>;
  pending: boolean;
  error: unknown;
  onDecided?: OnDecided | undefined;
  /** Shown beside the buttons. */
  children?: ReactNode;
}) {
  const [comment, setComment] = useState("");
  const id = useId();
  const fieldError =
    error instanceof ApiError && error.status === 422
      ? (error.problem.errors?.find((e) => e.field === "comment" || e.field.endsWith(".comment"))?.message ?? error.problem.detail)
      : undefined;
  const otherError = error && !fieldError ? refusal(error) : null;
  useEffect(() => {
    if (fieldError) document.getElementById(`${id}-comment`)?.focus();
  }, [fieldError, id]);

  function act(outcome: Outcome) {
    decide(outcome, comment.trim())
      .then((message) => onDecided?.(message))
      .catch((failure: unknown) => {
        if (failure instanceof ApiError && (failure.status === 403 || failure.status === 409)) onDecided?.(`${label}: ${refusal(failure)}`, true);
      });
  }

  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        act("approve");
      }}
      noValidate
      aria-label={`Decide ${label}`}
    >
      <TextAreaField
        id={`${id}-comment`}
        label="Comment"
        name="comment"
        rows={2}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        error={fieldError}
        hint="Optional to approve, required to reject."
      />
      {otherError ? (
        <p className="field-error" role="alert">
          {otherError}
        </p>
      ) : null}
      <div className="form-actions form-actions--wrap">
        <button type="submit" className="button button--primary" disabled={pending}>
          Approve
        </button>
        <button type="button" className="button button--danger" disabled={pending} onClick={() => act("reject")}>
          Reject
        </button>
        {children}
      </div>
    </form>
  );
}
