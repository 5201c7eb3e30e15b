// Insights: trends, decision times, outcomes, pending ages, bottlenecks, fulfilment and SLA compliance for the
// items the user may see (a service owner: the items their groups own), and automation figures for operators.
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";

import { ApiError } from "../../api/problem";

import { usePermission } from "../../app/session";
import { PageHeader } from "../../components/Page";
import { ErrorState } from "../../components/States";
import { useTrends } from "./api";
import { ExecutionsChart, StepDurationsChart } from "./AutomationCharts";
import { FailuresTable, GateWaitsTable } from "./AutomationTables";
import { BottleneckTable } from "./BottleneckTable";
import { DecisionTimeChart } from "./DecisionTimeChart";
import { filtersFromParams, type InsightsQuery, toApiQuery } from "./filters";
import { FulfillmentTable } from "./FulfillmentTable";
import { InsightsFilters } from "./InsightsFilters";
import { OutcomesChart } from "./OutcomesChart";
import { PendingAgeChart } from "./PendingAgeChart";
import { SlaComplianceChart } from "./SlaComplianceChart";
import { TrendChart } from "./TrendChart";
import "./insights.css";

export function InsightsPage() {
  const [params] = useSearchParams();
  const readsExecutions = usePermission("executions.read_all");
  const managesWorkflows = usePermission("workflows.manage");
  const automation = readsExecutions && managesWorkflows;
  const search = params.toString();
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(search)), [search]);
  const query = useMemo(() => toApiQuery(filters, new Date()), [filters]);
  // The trends share their cache with the trend chart; a 403 (an item the user's groups do not own) is said once.
  const trends = useTrends(query);
  const forbidden = trends.error instanceof ApiError && trends.error.status === 403;

  return (
    <>
      <PageHeader
        title="Insights"
        description="How approvals, fulfilment and service levels are going. Service owners see the catalog items their groups own."
      />
      <InsightsFilters filters={filters} automation={automation} />
      {forbidden ? (
        <>
          <ErrorState error={trends.error} title="These figures are not yours to see" />
          <p>
            <Link to="/insights">Show the figures of all the items you may see</Link>
          </p>
        </>
      ) : (
        <Figures query={query} automation={automation} />
      )}
    </>
  );
}

function Figures({ query, automation }: { query: InsightsQuery; automation: boolean }) {
  return (
    <>
      <h2 className="insight-section">Approvals and requests</h2>
      <div className="insight-grid">
        <TrendChart query={query} />
        <DecisionTimeChart query={query} />
        <OutcomesChart query={query} />
        <PendingAgeChart query={query} />
        <SlaComplianceChart query={query} />
        <BottleneckTable query={query} />
        <FulfillmentTable query={query} />
      </div>
      {automation ? (
        <>
          <h2 className="insight-section">Automation</h2>
          <div className="insight-grid">
            <ExecutionsChart query={query} />
            <StepDurationsChart query={query} />
            <FailuresTable query={query} />
            <GateWaitsTable query={query} />
          </div>
        </>
      ) : null}
    </>
  );
}
