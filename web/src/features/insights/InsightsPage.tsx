// Insights: trends, decision times, outcomes, pending ages, bottlenecks, fulfilment and SLA compliance for the
// items the user may see (a service owner: the items their groups own), and automation figures for operators.
import { useMemo } from "react";
import { useSearchParams } from "react-router";

import { usePermission } from "../../app/session";
import { PageHeader } from "../../components/Page";
import { ExecutionsChart, StepDurationsChart } from "./AutomationCharts";
import { FailuresTable, GateWaitsTable } from "./AutomationTables";
import { BottleneckTable } from "./BottleneckTable";
import { DecisionTimeChart } from "./DecisionTimeChart";
import { filtersFromParams, toApiQuery } from "./filters";
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

  return (
    <>
      <PageHeader
        title="Insights"
        description="How approvals, fulfilment and service levels are going. Service owners see the catalog items their groups own."
      />
      <InsightsFilters filters={filters} automation={automation} />
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
