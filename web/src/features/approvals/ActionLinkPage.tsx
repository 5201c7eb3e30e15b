// The confirmation page of a signed approve / reject link from an approval notice. Opening it decides nothing: it
// shows what is approved and posts the decision only when the button is pressed. Works without signing in.
import { type FormEvent, type ReactNode, useState } from "react";
import { useParams } from "react-router";

import { useActionLink, useDecideByLink } from "../../api/actionLinks";
import { ApiError } from "../../api/problem";
import { TextAreaField } from "../../components/Field";
import { DateTime, usePageTitle } from "../../components/Page";
import { Loading } from "../../components/States";
import { linkRefusal } from "./actionLink";
import { ActionSubject } from "./ActionSubject";

function Frame({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title);
  return (
    <div className="signin">
      <main className="signin-card action-card" id="main">
        <div className="brand brand--large">
          <span className="brand-mark" aria-hidden="true">
            T
          </span>
          <span className="brand-name">Tenant Plane</span>
        </div>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}

export function ActionLinkPage() {
  const { token = "" } = useParams();
  const link = useActionLink(token);
  const decide = useDecideByLink(token);
  const [comment, setComment] = useState("");

  if (link.isPending) return <Frame title="Approval"><Loading label="Opening the link…" /></Frame>;
  if (decide.data) {
    const done = decide.data.decision === "approved" ? "Approved" : "Rejected";
    return (
      <Frame title={done}>
        <p className="notice" role="status">
          {done}: {decide.data.subject.title}. Status now: {decide.data.status}.
        </p>
      </Frame>
    );
  }
  if (link.error) {
    return (
      <Frame title="This link cannot be used">
        <p className="field-error" role="alert">
          {linkRefusal(link.error)}
        </p>
      </Frame>
    );
  }
  const data = link.data;
  const approving = data.decision === "approved";
  const fieldError =
    decide.error instanceof ApiError && decide.error.status === 422
      ? (decide.error.problem.errors?.find((e) => e.field.endsWith("comment"))?.message ?? decide.error.problem.detail)
      : undefined;
  const refused = decide.error && !fieldError ? linkRefusal(decide.error) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    decide.mutate(comment.trim());
  }

  return (
    <Frame title={approving ? "Approve?" : "Reject?"}>
      <p>
        For {data.person}; this link works once, until <DateTime value={data.expires_at} />.
      </p>
      <ActionSubject subject={data.subject} />
      <form onSubmit={submit} noValidate aria-label={approving ? "Approve" : "Reject"}>
        <TextAreaField
          id="action-comment"
          label="Comment"
          name="comment"
          rows={3}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          error={fieldError}
          hint={approving ? "Optional." : "Required to reject."}
        />
        {refused ? (
          <p className="field-error" role="alert">
            {refused}
          </p>
        ) : null}
        <button type="submit" className={`button ${approving ? "button--primary" : "button--danger"}`} disabled={decide.isPending}>
          {approving ? "Approve" : "Reject"}
        </button>
      </form>
    </Frame>
  );
}
