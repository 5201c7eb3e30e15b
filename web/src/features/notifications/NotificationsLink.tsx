// The header's way to the inbox: a "Notifications" link with the unread count (polled) as a visible badge and in
// its accessible name ("Notifications, 3 unread").
import { NavLink } from "react-router";

import { notificationsLinkName, unreadBadge } from "./notices";
import { useUnreadCount } from "./noticesApi";
import "./notices.css";

export function NotificationsLink() {
  const unread = useUnreadCount();
  const count = unread.data?.count ?? 0;
  const more = unread.data?.more ?? false;
  const badge = unreadBadge(count, more);
  return (
    <NavLink to="/notifications" className="button button--ghost notifications-link" aria-label={notificationsLinkName(count, more)}>
      <svg className="notifications-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
        <path
          d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 15.5a2.5 2.5 0 0 0 5 0h-5Z"
          fill="currentColor"
        />
      </svg>
      <span className="notifications-label">Notifications</span>
      {badge ? (
        <span className="unread-badge" aria-hidden="true">
          {badge}
        </span>
      ) : null}
    </NavLink>
  );
}
