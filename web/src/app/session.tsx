// The signed-in user for everything inside the app shell, and the guards that depend on it.
import { createContext, type ReactNode, useContext } from "react";
import { Navigate, useLocation } from "react-router";

import { can, type Me, useMe } from "../api/session";
import { ErrorState, Loading } from "../components/States";
import { ForbiddenPage } from "./ForbiddenPage";

const MeContext = createContext<Me | null>(null);

/** The signed-in user; only for components rendered inside <RequireSignIn>. */
export function useCurrentUser(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useCurrentUser() outside <RequireSignIn>");
  return me;
}

export function usePermission(permission: string): boolean {
  return can(useCurrentUser(), permission);
}

export function RequireSignIn({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) {
    return (
      <div className="fullscreen-state">
        <Loading label="Loading Tenant Plane…" />
      </div>
    );
  }
  if (me.isError) {
    return (
      <div className="fullscreen-state">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} title="Tenant Plane could not load" />
      </div>
    );
  }
  if (!me.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return <MeContext.Provider value={me.data}>{children}</MeContext.Provider>;
}

/** Renders `children` only for users holding `permission`; others see why they cannot. */
export function RequirePermission({ permission, children }: { permission: string; children: ReactNode }) {
  return usePermission(permission) ? <>{children}</> : <ForbiddenPage permission={permission} />;
}
