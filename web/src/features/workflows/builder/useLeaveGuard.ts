// Leaving the builder with unsaved changes asks first (in the app, and on reload or closing the tab); leaving
// after a save or an archive does not.
import { useEffect, useRef } from "react";
import { useBlocker } from "react-router";

export function useLeaveGuard(dirty: boolean) {
  const leaving = useRef(false);
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);
  return {
    blocker,
    /** The next navigation leaves without asking. */
    leaveFreely: () => {
      leaving.current = true;
    },
  };
}
