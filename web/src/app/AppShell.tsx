// The frame around every signed-in page: header (tenant, notifications with the unread count, user, sign out), navigation filtered by the user's
// permissions (a menu button on narrow screens), a skip link, and focus moved to the page on navigation.
import { useEffect, useId, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";

import { NotificationsLink } from "../features/notifications/NotificationsLink";
import { useSignOut } from "../api/session";
import { Loading } from "../components/States";
import { visibleNavigation } from "./navigation";
import { useCurrentUser } from "./session";

export function AppShell() {
  const me = useCurrentUser();
  const location = useLocation();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  const navId = useId();

  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  const sections = visibleNavigation(me.permissions);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="button button--ghost menu-button"
          aria-expanded={menuOpen}
          aria-controls={navId}
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            T
          </span>
          <span className="brand-name">Tenant Plane</span>
        </div>
        <p className="tenant-name" title={`Tenant: ${me.tenant_slug}`}>
          <span className="visually-hidden">Tenant: </span>
          {me.tenant_name}
        </p>
        <div className="user-menu">
          <NotificationsLink />
          <span className="user-name" title={me.email}>
            {me.display_name}
          </span>
          <button
            type="button"
            className="button button--ghost"
            disabled={signOut.isPending}
            onClick={() =>
              signOut.mutate(undefined, {
                onSettled: () => void navigate("/sign-in?signed_out=1", { replace: true }),
              })
            }
          >
            Sign out
          </button>
        </div>
      </header>
      <div className="shell-body">
        <nav id={navId} className={menuOpen ? "sidebar sidebar--open" : "sidebar"} aria-label="Main">
          {sections.map((section) => (
            <div className="nav-section" key={section.label ?? "main"}>
              {section.label ? <p className="nav-heading">{section.label}</p> : null}
              <ul>
                {section.items.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} end={item.end ?? false} className="nav-link">
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" ref={main} tabIndex={-1} className="content">
          {/* Signing out unmounts the page first: its polling stops, and clearing the cache refetches nothing. */}
          {signOut.isIdle || signOut.isError ? <Outlet /> : <Loading label="Signing out…" />}
        </main>
      </div>
    </div>
  );
}
