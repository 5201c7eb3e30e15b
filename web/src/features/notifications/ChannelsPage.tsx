// Admin → Notification channels: list, create and edit (dialog), delete (confirmed), "Send test" with its result
// followed until delivered or failed; and every delivery with its attempts, last error and a retry for dead ones.
import { useEffect, useState } from "react";

import { describeError } from "../../api/problem";
import { ConfirmDialog, Dialog } from "../../components/Dialog";
import { SelectField } from "../../components/Field";
import { Badge, DateTime, PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import "../../components/automation.css";
import { type Channel, type Delivery, useChannels, useDeleteChannel, useDeliveries, useRetryDelivery, useTestChannel } from "./api";
import { UserName } from "../../components/UserPicker";
import { ChannelForm } from "./ChannelForm";
import { type ChannelType, channelSummary, testOutcome, TYPE_LABELS } from "./model";
import { Pager } from "../../components/Pager";

const DELIVERY_TONES: Record<string, "good" | "bad" | "warn" | "info"> = { sent: "good", dead: "bad", failed: "warn", queued: "info" };

/** The result of "Send test": its deliveries, asked again every 1.5 s until each is sent or dead. */
function TestResult({ channel, started, onDismiss }: { channel: Channel; started: Delivery[]; onDismiss: () => void }) {
  const [finished, setFinished] = useState(testOutcome(started).state !== "pending");
  const latest = useDeliveries({ channelId: channel.id }, { poll: finished ? false : 1500, enabled: !finished });
  const byId = new Map((latest.data?.items ?? []).map((d) => [d.id, d]));
  const current = started.map((d) => byId.get(d.id) ?? d);
  const outcome = testOutcome(current);
  useEffect(() => {
    if (outcome.state !== "pending") setFinished(true);
  }, [outcome.state]);
  return (
    <div className={outcome.state === "failed" ? "notice notice--warn" : "notice"} role="status" aria-live="polite" aria-label={`Test of ${channel.name}`}>
      <span>
        <strong>
          Test of {channel.name}: {outcome.state === "sent" ? "delivered" : outcome.state === "failed" ? "failed" : "sending…"}
        </strong>{" "}
        {outcome.message}
      </span>
      {finished || latest.isError ? (
        <button type="button" className="button button--ghost button--small" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

function Deliveries() {
  const [status, setStatus] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const deliveries = useDeliveries({ status, cursor: cursors[cursors.length - 1] ?? "" }, { poll: 10_000 });
  const retry = useRetryDelivery();
  const items = deliveries.data?.items ?? [];
  return (
    <section className="section" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <form className="filters" aria-label="Filter deliveries" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Status"
          name="delivery-status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value);
            setCursors([]);
          }}
        >
          <option value="">All</option>
          <option value="queued">Queued</option>
          <option value="sent">Sent</option>
          <option value="failed">Failed (retrying)</option>
          <option value="dead">Dead (gave up)</option>
        </SelectField>
      </form>
      {retry.error ? <ErrorState error={retry.error} title="The delivery could not be retried" /> : null}
      {deliveries.isPending ? <Loading label="Loading deliveries…" /> : null}
      {deliveries.isError ? <ErrorState error={deliveries.error} onRetry={() => void deliveries.refetch()} /> : null}
      {deliveries.data && !items.length ? <EmptyState title={status ? "No delivery with this status" : "Nothing sent yet"} /> : null}
      {items.length ? (
        <>
          <table className="table" aria-busy={deliveries.isFetching}>
            <caption className="visually-hidden">Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Message</th>
                <th scope="col">Channel → destination</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td data-label="Message">
                    <span className="cell-title">{d.subject}</span>
                    <span className="muted cell-sub">
                      <DateTime value={d.created_at} />
                    </span>
                  </td>
                  <td data-label="Channel → destination">
                    {d.channel_name} →{" "}
                    {d.recipient_user_id ? (
                      <UserName id={d.recipient_user_id} />
                    ) : (
                      <span className="pre-wrap">{d.destination}</span>
                    )}
                  </td>
                  <td data-label="Status">
                    <Badge tone={DELIVERY_TONES[d.status] ?? "neutral"}>{d.status}</Badge>
                    {d.last_error ? <span className="cell-error">{d.last_error}</span> : null}
                    {d.status === "failed" && d.next_attempt_at ? (
                      <span className="muted cell-sub">
                        next try <DateTime value={d.next_attempt_at} />
                      </span>
                    ) : null}
                  </td>
                  <td data-label="Attempts">
                    {d.attempts} / {d.max_attempts}
                  </td>
                  <td data-label="Actions" className="cell-actions">
                    {d.status === "dead" && d.job_id && d.channel_id ? (
                      <button
                        type="button"
                        className="button button--small"
                        disabled={retry.isPending}
                        onClick={() => retry.mutate(d.id)}
                        aria-label={`Retry “${d.subject}” to ${d.destination}`}
                      >
                        Retry
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager label="Pages of deliveries" cursors={cursors} setCursors={setCursors} next={deliveries.data?.next_cursor} />
        </>
      ) : null}
    </section>
  );
}

export function ChannelsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const channels = useChannels(cursors[cursors.length - 1]);
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [deleting, setDeleting] = useState<Channel | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tests, setTests] = useState<{ channel: Channel; deliveries: Delivery[] }[]>([]);
  const [testError, setTestError] = useState<string | null>(null);
  const test = useTestChannel();
  const remove = useDeleteChannel();
  const items = channels.data?.items ?? [];

  function sendTest(channel: Channel) {
    setTestError(null);
    test.mutate(channel.id, {
      onSuccess: (result) => setTests((list) => [{ channel, deliveries: result.deliveries }, ...list.filter((t) => t.channel.id !== channel.id)]),
      onError: (error) => setTestError(`Test of ${channel.name} failed: ${describeError(error)}`),
    });
  }

  return (
    <>
      <PageHeader
        title="Notification channels"
        description="Where notifications go: e-mail, webhooks, Apprise services and in-app inboxes. Failed deliveries are retried and listed below."
        actions={
          <button type="button" className="button button--primary" onClick={() => setEditing("new")}>
            New channel
          </button>
        }
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {testError ? (
        <p className="field-error" role="alert">
          {testError}
        </p>
      ) : null}
      {tests.map((t) => (
        <TestResult key={t.channel.id} channel={t.channel} started={t.deliveries} onDismiss={() => setTests((list) => list.filter((x) => x !== t))} />
      ))}
      {channels.isPending ? <Loading label="Loading channels…" /> : null}
      {channels.isError ? <ErrorState error={channels.error} onRetry={() => void channels.refetch()} /> : null}
      {channels.data && !items.length ? (
        <EmptyState
          title="No channels yet"
          action={
            <button type="button" className="button button--primary" onClick={() => setEditing("new")}>
              Create the first channel
            </button>
          }
        >
          <p>Workflow notification steps and the platform's own messages are sent through channels.</p>
        </EmptyState>
      ) : null}
      {items.length ? (
        <>
          <table className="table" aria-busy={channels.isFetching}>
            <caption className="visually-hidden">Notification channels</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Sends to</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((channel) => (
                <tr key={channel.id}>
                  <td data-label="Name">
                    <span className="cell-title">{channel.name}</span>
                    {channel.default ? <Badge tone="info">default e-mail</Badge> : null}
                  </td>
                  <td data-label="Type">{TYPE_LABELS[channel.type as ChannelType] ?? channel.type}</td>
                  <td data-label="Sends to" className="pre-wrap">
                    {channelSummary(channel.type, channel.config)}
                  </td>
                  <td data-label="Actions" className="cell-actions">
                    <div className="row-actions">
                      <button
                        type="button"
                        className="button button--small"
                        disabled={test.isPending && test.variables === channel.id}
                        onClick={() => sendTest(channel)}
                        aria-label={`Send test to ${channel.name}`}
                      >
                        Send test
                      </button>
                      <button type="button" className="button button--small" onClick={() => setEditing(channel)} aria-label={`Edit ${channel.name}`}>
                        Edit
                      </button>
                      <button type="button" className="button button--small button--ghost" onClick={() => setDeleting(channel)} aria-label={`Delete ${channel.name}`}>
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursors.length || channels.data?.next_cursor ? (
            <Pager label="Pages of channels" cursors={cursors} setCursors={setCursors} next={channels.data?.next_cursor} />
          ) : null}
        </>
      ) : null}
      <Deliveries />

      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing && editing !== "new" ? `Edit ${editing.name}` : "New channel"} wide>
        {editing ? (
          <ChannelForm
            key={editing === "new" ? "new" : editing.id}
            channel={editing === "new" ? undefined : editing}
            onCancel={() => setEditing(null)}
            onDone={(saved) => {
              setEditing(null);
              setNotice(`Channel ${saved.name} saved.`);
            }}
          />
        ) : null}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        onClose={() => setDeleting(null)}
        title={deleting ? `Delete ${deleting.name}?` : "Delete channel"}
        confirmLabel="Delete"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (!deleting) return;
          const name = deleting.name;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              setDeleting(null);
              setNotice(`Channel ${name} deleted.`);
            },
          });
        }}
      >
        <p>Workflows that notify through it will fail their notification step. Its past deliveries stay listed.</p>
      </ConfirmDialog>
    </>
  );
}
