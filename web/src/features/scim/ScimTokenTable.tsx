// The tenant's SCIM tokens: name, prefix, created, last used, state, and Revoke for the active ones.
import { Badge } from "../../components/Page";
import type { ScimToken } from "./api";
import { sortTokens, tokenState } from "./tokens";

function when(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : "Never";
}

export function ScimTokenTable({
  tokens,
  revoking,
  onRevoke,
}: {
  tokens: readonly ScimToken[];
  revoking: string | null;
  onRevoke: (token: ScimToken) => void;
}) {
  return (
    <table className="table">
      <caption className="visually-hidden">SCIM tokens</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Token</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">State</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {sortTokens(tokens).map((token) => (
          <tr key={token.id}>
            <td data-label="Name">{token.name}</td>
            <td data-label="Token">
              <code>{token.prefix}…</code>
            </td>
            <td data-label="Created">{when(token.created_at)}</td>
            <td data-label="Last used">{when(token.last_used_at)}</td>
            <td data-label="State">
              {tokenState(token) === "active" ? <Badge tone="good">Active</Badge> : <Badge tone="bad">Revoked</Badge>}
            </td>
            <td data-label="Actions" className="cell-actions">
              {tokenState(token) === "active" ? (
                <button
                  type="button"
                  className="button button--small button--danger"
                  disabled={revoking === token.id}
                  onClick={() => onRevoke(token)}
                  aria-label={`Revoke ${token.name}`}
                >
                  {revoking === token.id ? "Revoking…" : "Revoke"}
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
