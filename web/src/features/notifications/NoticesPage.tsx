// Notifications: the signed-in user's own in-app inbox, newest first ("Load more"). Unread entries are marked;
// opening an entry's link or pressing "Mark read" marks it read, and "Mark all read" clears the lot.
import { useId, useState } from "react";
import { Link } from "react-router";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { ageLabel, appPath } from "./notices";
import { type Notice as Notification, useMarkAllNoticesRead, useMarkNoticeRead, useNotices, useUnreadCount } from "./noticesApi";
import { PreferencesPanel } from "./PreferencesPanel";
import "./notices.css";

const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function NoticeItem({ notice, onOpen, onMarkRead, marking }: { notice: Notification; onOpen: () => void; onMarkRead: () => void; marking: boolean }) {
  const headingId = useId();
  const unread = notice.read_at == null;
  const path = appPath(notice.link);
  return (
    <li className={unread ? "inbox-item inbox-item--unread" : "inbox-item"}>
      <article aria-labelledby={headingId}>
        <div className="inbox-item-head">
          <h2 id={headingId} className="inbox-item-subject">
            {unread ? <span className="visually-hidden">Unread: </span> : null}
            {notice.subject}
          </h2>
          {unread ? (
            <span className="badge badge--info" aria-hidden="true">
              Unread
            </span>
          ) : null}
          <time className="inbox-item-age muted" dateTime={notice.created_at} title={fullDate.format(new Date(notice.created_at))}>
            {ageLabel(notice.created_at)}
          </time>
        </div>
        {notice.body ? <p className="inbox-item-body">{notice.body}</p> : null}
        {path || unread ? (
          <div className="inbox-item-actions">
            {path ? (
              <Link to={path} className="button button--small button--primary" aria-label={`Open: ${notice.subject}`} onClick={onOpen}>
                Open
              </Link>
            ) : null}
            {unread ? (
              <button type="button" className="button button--small" disabled={marking} aria-label={`Mark read: ${notice.subject}`} onClick={onMarkRead}>
                Mark read
              </button>
            ) : null}
          </div>
        ) : null}
      </article>
    </li>
  );
}

export function NoticesPage() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const notices = useNotices(unreadOnly);
  const unread = useUnreadCount();
  const markRead = useMarkNoticeRead();
  const markAll = useMarkAllNoticesRead();
  const items = notices.data?.pages.flatMap((page) => page.items) ?? [];
  const anyUnread = (unread.data?.count ?? 0) > 0 || items.some((n) => n.read_at == null);

  return (
    <>
      <PageHeader
        title="Notifications"
        description="What needs your attention: approvals waiting for you, changes to your requests, messages sent to you."
        actions={
          <button
            type="button"
            className="button"
            disabled={!anyUnread || markAll.isPending}
            onClick={() =>
              markAll.mutate(undefined, {
                onSuccess: ({ marked }) => setMessage(marked === 1 ? "1 notification marked read." : `${marked} notifications marked read.`),
              })
            }
          >
            {markAll.isPending ? "Marking…" : "Mark all read"}
          </button>
        }
      />
      <PreferencesPanel />
      <div className="inbox-filter" role="group" aria-label="Show">
        <button type="button" className="button button--small" aria-pressed={!unreadOnly} onClick={() => setUnreadOnly(false)}>
          All
        </button>
        <button type="button" className="button button--small" aria-pressed={unreadOnly} onClick={() => setUnreadOnly(true)}>
          Unread only
        </button>
      </div>
      <Notice message={message} onDismiss={() => setMessage(null)} />
      {markAll.error ? <ErrorState error={markAll.error} title="They could not be marked read" /> : null}
      {markRead.error ? <ErrorState error={markRead.error} title="It could not be marked read" /> : null}
      {notices.isPending ? <Loading label="Loading notifications…" /> : null}
      {notices.isError ? <ErrorState error={notices.error} title="Your notifications could not be loaded" onRetry={() => void notices.refetch()} /> : null}
      {notices.data && !items.length ? (
        unreadOnly ? (
          <EmptyState
            title="You are all caught up"
            action={
              <button type="button" className="button" onClick={() => setUnreadOnly(false)}>
                Show all notifications
              </button>
            }
          >
            <p>Nothing unread. Earlier notifications stay under “All”.</p>
          </EmptyState>
        ) : (
          <EmptyState title="No notifications yet">
            <p>You will be told here when an approval waits for you or one of your requests changes.</p>
          </EmptyState>
        )
      ) : null}
      {items.length ? (
        <ul className="inbox-list" aria-label="Notifications" aria-busy={notices.isFetching}>
          {items.map((notice) => (
            <NoticeItem
              key={notice.id}
              notice={notice}
              marking={markRead.isPending && markRead.variables === notice.id}
              onOpen={() => {
                if (notice.read_at == null) markRead.mutate(notice.id);
              }}
              onMarkRead={() => markRead.mutate(notice.id)}
            />
          ))}
        </ul>
      ) : null}
      {notices.hasNextPage ? (
        <div className="pager">
          <button type="button" className="button" disabled={notices.isFetchingNextPage} onClick={() => void notices.fetchNextPage()}>
            {notices.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      ) : null}
    </>
  );
}
