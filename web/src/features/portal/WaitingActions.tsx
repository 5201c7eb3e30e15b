// A request waiting on its requester: a fulfiller asks a question (the request then awaits the requester, whose next
// comment puts it back in fulfillment) or resumes it; the requester sees that an answer is wanted.
import { type FormEvent, useState } from "react";

import { type RequestDetail, useAwaitRequester, useResumeRequest } from "../../api/itsm";
import { describeError } from "../../api/problem";
import { TextAreaField } from "../../components/Field";
import { useFormErrors } from "../../components/FormErrors";

function AskRequester({ request, onDone }: { request: RequestDetail; onDone: (message: string) => void }) {
  const [question, setQuestion] = useState("");
  const ask = useAwaitRequester(request.id);
  const errors = useFormErrors(ask.error, ["comment"]);
  function submit(event: FormEvent) {
    event.preventDefault();
    ask.mutate(question.trim(), { onSuccess: (done) => onDone(`${done.number} now awaits its requester.`) });
  }
  return (
    <form onSubmit={submit} noValidate aria-label="Ask the requester">
      <TextAreaField
        label="Question for the requester"
        name="comment"
        rows={2}
        value={question}
        onChange={(e) => setQuestion(e.target.value)}
        error={errors.fields.comment ?? errors.general[0]}
        hint="The request waits for their answer; SLA clocks pause if its policy says so."
      />
      <div className="form-actions">
        <button type="submit" className="button" disabled={ask.isPending}>
          {ask.isPending ? "Asking…" : "Ask the requester"}
        </button>
      </div>
    </form>
  );
}

function Resume({ request, onDone }: { request: RequestDetail; onDone: (message: string) => void }) {
  const resume = useResumeRequest(request.id);
  return (
    <div className="form-actions">
      <button type="button" className="button" disabled={resume.isPending} onClick={() => resume.mutate(undefined, { onSuccess: (done) => onDone(`${done.number} is back in fulfillment.`) })}>
        {resume.isPending ? "Resuming…" : "Resume fulfillment"}
      </button>
      {resume.isError ? (
        <p className="field-error" role="alert">
          {describeError(resume.error)}
        </p>
      ) : null}
    </div>
  );
}

export function WaitingActions({ request, isFulfiller, isRequester, onDone }: { request: RequestDetail; isFulfiller: boolean; isRequester: boolean; onDone: (message: string) => void }) {
  if (request.status === "awaiting_requester") {
    return (
      <>
        {isRequester ? <p className="notice">An answer from you is wanted: add a comment below and fulfillment goes on.</p> : null}
        {isFulfiller ? <Resume request={request} onDone={onDone} /> : null}
      </>
    );
  }
  return request.status === "in_fulfillment" && isFulfiller ? <AskRequester request={request} onDone={onDone} /> : null;
}
