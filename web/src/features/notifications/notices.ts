// Pure helpers of the caller's in-app notifications (the inbox): the unread badge and the header link's name,
// and whether a notification's link is a path of this app.
import { age } from "../../components/age";


/** How many unread notifications the header counts at most; more shows as "99+". */
export const UNREAD_COUNT_LIMIT = 99;

/** The badge text: "" for none, the count, or "99+" when there are more than one page can count. */
export function unreadBadge(count: number, more: boolean): string {
  if (more || count > UNREAD_COUNT_LIMIT) return `${UNREAD_COUNT_LIMIT}+`;
  return count > 0 ? String(count) : "";
}

/** The header link's accessible name: "Notifications", "Notifications, 3 unread", "Notifications, 99+ unread". */
export function notificationsLinkName(count: number, more: boolean): string {
  const badge = unreadBadge(count, more);
  return badge ? `Notifications, ${badge} unread` : "Notifications";
}

/** A link the app can follow itself: a path of this site ("/portal/requests/…"), never another origin. */
export function appPath(link: string | null | undefined): string | null {
  if (!link) return null;
  const path = link.trim();
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return null;
  return path;
}

/** How old a notification is, for its list entry: "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ageLabel(iso: string, now: number = Date.now()): string {
  const words = age(iso, now);
  return words === "just now" ? words : `${words} ago`;
}
