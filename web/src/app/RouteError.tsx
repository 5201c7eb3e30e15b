// Shown when a page throws while rendering: a way back instead of a blank screen.
import { isRouteErrorResponse, Link, useRouteError } from "react-router";

export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : "Unknown error";
  return (
    <div className="fullscreen-state">
      <div className="state state--error" role="alert">
        <p className="state-title">Something went wrong on this page</p>
        <p>{message}</p>
        <p>
          <Link to="/">Go to the dashboard</Link> or reload the page.
        </p>
      </div>
    </div>
  );
}
