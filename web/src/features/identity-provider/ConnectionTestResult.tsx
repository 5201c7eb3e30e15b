// What "Test connection" found: the issuer's endpoints and signing keys, or the problem in words.
import type { ConnectionTest } from "./api";
import { testSummary } from "./model";

export function ConnectionTestResult({ result }: { result: ConnectionTest }) {
  return (
    <div className={result.ok ? "notice" : "notice notice--warn"} role="status" aria-label="Connection test">
      <p>{testSummary(result)}</p>
      {result.ok ? (
        <dl className="details">
          <dt>Authorization endpoint</dt>
          <dd className="mono">{result.authorization_endpoint}</dd>
          <dt>Token endpoint</dt>
          <dd className="mono">{result.token_endpoint}</dd>
          <dt>JWKS</dt>
          <dd className="mono">{result.jwks_uri}</dd>
        </dl>
      ) : null}
    </div>
  );
}
