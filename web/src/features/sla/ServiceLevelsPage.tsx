// Admin → Service levels: the tenant's business calendars and SLA policies on one page.
import { useState } from "react";

import { PageHeader } from "../../components/Page";
import { Notice } from "../../components/States";
import { CalendarsSection } from "./CalendarsSection";
import { PoliciesSection } from "./PoliciesSection";

export function ServiceLevelsPage() {
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="Service levels"
        description="When the service desk works (business calendars) and what it promises (SLA policies). Requests and changes carry a clock per target."
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      <CalendarsSection onNotice={setNotice} />
      <PoliciesSection onNotice={setNotice} />
    </>
  );
}
