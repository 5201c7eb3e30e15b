// The landing page: who I am, my roles and tenant, and for operators the dead jobs that need a look.
import { Link } from "react-router";

import { visibleNavigation } from "../../app/navigation";
import { useCurrentUser, usePermission } from "../../app/session";
import { Badge, PageHeader } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { useDeadJobCount } from "../jobs/api";
import { ROLE_DESCRIPTIONS } from "../roles/api";

function DeadJobs() {
  const dead = useDeadJobCount({ enabled: true });
  if (dead.isPending) return <Loading label="Counting dead jobs…" />;
  if (dead.isError) return <ErrorState error={dead.error} onRetry={() => void dead.refetch()} />;
  const { count, more } = dead.data;
  return (
    <>
      <p className={count ? "metric metric--bad" : "metric"}>
        <span className="metric-value">{more ? `${count}+` : count}</span>
        <span className="metric-label">{count === 1 && !more ? "dead job" : "dead jobs"}</span>
      </p>
      <p>
        {count
          ? "Jobs that used up their attempts. Look at their errors and retry them once the cause is fixed."
          : "No job has used up its attempts."}
      </p>
      <Link to={count ? "/admin/jobs?status=dead" : "/admin/jobs"}>{count ? "Review dead jobs" : "View jobs"}</Link>
    </>
  );
}

export function DashboardPage() {
  const me = useCurrentUser();
  const seesJobs = usePermission("jobs.read");
  const shortcuts = visibleNavigation(me.permissions).flatMap((s) => s.items).filter((i) => i.to !== "/");

  return (
    <>
      <PageHeader title="Dashboard" description={`Welcome, ${me.display_name}.`} />
      <div className="cards">
        <section className="card" aria-labelledby="card-me">
          <h2 id="card-me">You</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{me.display_name}</dd>
            <dt>Email</dt>
            <dd>{me.email}</dd>
            <dt>Roles</dt>
            <dd>
              {me.roles.length ? (
                <ul className="badges">
                  {me.roles.map((role) => (
                    <li key={role}>
                      <Badge tone={role === "admin" ? "info" : "neutral"}>{role}</Badge>
                      {ROLE_DESCRIPTIONS[role] ? <span className="visually-hidden">: {ROLE_DESCRIPTIONS[role]}</span> : null}
                    </li>
                  ))}
                </ul>
              ) : (
                <span className="muted">No roles: you can submit requests.</span>
              )}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="card-tenant">
          <h2 id="card-tenant">Tenant</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{me.tenant_name}</dd>
            <dt>Slug</dt>
            <dd>
              <code>{me.tenant_slug}</code>
            </dd>
          </dl>
        </section>
        {seesJobs ? (
          <section className="card" aria-labelledby="card-jobs">
            <h2 id="card-jobs">Job queue</h2>
            <DeadJobs />
          </section>
        ) : null}
        {shortcuts.length ? (
          <section className="card" aria-labelledby="card-admin">
            <h2 id="card-admin">Administration</h2>
            <ul className="link-list">
              {shortcuts.map((item) => (
                <li key={item.to}>
                  <Link to={item.to}>{item.label}</Link>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </div>
    </>
  );
}
