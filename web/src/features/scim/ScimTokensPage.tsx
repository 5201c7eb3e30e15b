// Admin → SCIM provisioning: the tokens an identity provider uses to keep users and groups (create, list, revoke).
import { useState } from "react";

import { PageHeader } from "../../components/Page";
import { EmptyState, ErrorState, Loading, Notice } from "../../components/States";
import { type ScimToken, type ScimTokenCreated, useRevokeScimToken, useScimTokens } from "./api";
import { CreatedToken, NewTokenForm } from "./NewTokenForm";
import { ScimTokenTable } from "./ScimTokenTable";

export function ScimTokensPage() {
  const tokens = useScimTokens();
  const revoke = useRevokeScimToken();
  const [created, setCreated] = useState<ScimTokenCreated | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function onRevoke(token: ScimToken) {
    if (!window.confirm(`Revoke “${token.name}”? The identity provider using it stops provisioning at once.`)) return;
    revoke.mutate(token.id, { onSuccess: () => setNotice(`Token “${token.name}” revoked.`) });
  }

  return (
    <>
      <PageHeader
        title="SCIM provisioning"
        description="Your identity provider (Okta, Entra ID, Keycloak) creates, updates and deactivates users and groups here through SCIM 2.0 with one of these tokens."
      />
      <Notice message={notice} onDismiss={() => setNotice(null)} />
      {revoke.isError ? <ErrorState error={revoke.error} title="The token was not revoked" /> : null}
      {created ? <CreatedToken token={created} origin={window.location.origin} /> : null}
      <NewTokenForm onCreated={setCreated} />
      {tokens.isPending ? <Loading label="Loading tokens…" /> : null}
      {tokens.isError ? <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} /> : null}
      {tokens.data && !tokens.data.items.length ? <EmptyState title="No SCIM tokens yet" /> : null}
      {tokens.data?.items.length ? (
        <ScimTokenTable tokens={tokens.data.items} revoking={revoke.isPending ? (revoke.variables ?? null) : null} onRevoke={onRevoke} />
      ) : null}
    </>
  );
}
