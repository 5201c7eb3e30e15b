// The landing page: my pending approvals (ITSM steps and automation gates), my open requests, recent executions,
// who I am, my tenant, and for operators the dead jobs.
import { Link } from "react-router";

import { visibleNavigation } from "../../app/navigation";
import { useCurrentUser, usePermission } from "../../app/session";
import { Badge, PageHeader } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { useInbox } from "../../api/approvals";
import { useExecutions } from "../../api/executions";
import { useRequests } from "../../api/itsm";
import { StatusBadge } from "../../components/RecordParts";
import "../../components/portal.css";
import { useDeadJobCount } from "../../api/jobs";
import { ROLE_DESCRIPTIONS } from "../../api/roles";

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

function MyApprovals() {
  const inbox = useInbox();
  if (inbox.isPending) return <Loading label="Counting your approvals…" />;
  if (inbox.isError) return <ErrorState error={inbox.error} onRetry={() => void inbox.refetch()} />;
  const first = inbox.data.pages[0];
  const count = first?.items.length ?? 0;
  const more = Boolean(first?.next_cursor);
  return (
    <>
      <p className={count ? "metric metric--warn" : "metric"}>
        <span className="metric-count">{more ? `${count}+` : count}</span>
        <span className="metric-label">{count === 1 && !more ? "approval waiting for you" : "approvals waiting for you"}</span>
      </p>
      <Link to="/approvals">{count ? "Decide them" : "Open the approvals inbox"}</Link>
    </>
  );
}

function RecentExecutions() {
  const executions = useExecutions({});
  if (executions.isPending) return <Loading label="Loading recent executions…" />;
  if (executions.isError) return <ErrorState error={executions.error} onRetry={() => void executions.refetch()} />;
  const recent = executions.data.items.slice(0, 5);
  return (
    <>
      {recent.length ? (
        <ul className="link-list" aria-label="Recent executions">
          {recent.map((e) => (
            <li key={e.id}>
              <Link to={`/executions/${e.id}`}>{e.name ?? `${e.kind} ${e.id.slice(0, 8)}`}</Link> <StatusBadge status={e.status} />
            </li>
          ))}
        </ul>
      ) : (
        <p>No workflow has run yet.</p>
      )}
      <Link to="/executions">All executions</Link>
    </>
  );
}

const OPEN = new Set(["pending_approval", "in_fulfillment"]);

function MyOpenRequests() {
  const requests = useRequests({ scope: "mine" });
  if (requests.isPending) return <Loading label="Loading your requests…" />;
  if (requests.isError) return <ErrorState error={requests.error} onRetry={() => void requests.refetch()} />;
  const open = requests.data.pages.flatMap((p) => p.items).filter((r) => OPEN.has(r.status));
  return (
    <>
      {open.length ? (
        <ul className="link-list" aria-label="Open requests">
          {open.slice(0, 5).map((r) => (
            <li key={r.id}>
              <Link to={`/portal/requests/${r.id}`}>{r.number}</Link> <StatusBadge status={r.status} />
            </li>
          ))}
        </ul>
      ) : (
        <p>You have no open request.</p>
      )}
      <Link to={open.length > 5 ? "/portal/requests" : "/portal"}>{open.length > 5 ? "All my requests" : "Request something"}</Link>
    </>
  );
}

export function DashboardPage() {
  const me = useCurrentUser();
  const seesJobs = usePermission("jobs.read");
  const runsAutomation = usePermission("workflows.manage");
  const shortcuts = visibleNavigation(me.permissions)
    .filter((s) => s.label === "Administration" || s.label === "ITSM")
    .flatMap((s) => s.items);

  return (
    <>
      <PageHeader title="Dashboard" description={`Welcome, ${me.display_name}.`} />
      <div className="cards">
        <section className="card" aria-labelledby="card-approvals">
          <h2 id="card-approvals">My approvals</h2>
          <MyApprovals />
        </section>
        <section className="card" aria-labelledby="card-requests">
          <h2 id="card-requests">My open requests</h2>
          <MyOpenRequests />
        </section>
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
        {runsAutomation ? (
          <section className="card" aria-labelledby="card-executions">
            <h2 id="card-executions">Recent executions</h2>
            <RecentExecutions />
          </section>
        ) : null}
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
