#!/usr/bin/env bash
# Fuzz the HTTP API with schemathesis for a bounded time and fail on any 500.
#
# Starts `tenantplane serve --no-worker` on a free loopback port against a fresh database, signs in with an
# admin API token from `bootstrap` + `create-api-token`, runs schemathesis (check: not_a_server_error), stops
# the server and drops the database. No job worker runs, so nothing the fuzzer saves is ever executed or sent.
#
# Traffic stays on this machine: when `unshare` can make a network namespace (root, or unprivileged user
# namespaces), the server and the fuzzer run inside one that has only loopback, so even a host name the
# fuzzer invents for a notification channel is never looked up in DNS. Without it, the two routes that
# resolve host names at save (notification channels) are left out.
#
# Usage: scripts/fuzz-api.sh [extra schemathesis options]
#   FUZZ_MAX_TIME      seconds of fuzzing (default 300, at most 600)
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 10)
#   FUZZ_SEED          a seed to replay a run
#   FUZZ_REPORT_DIR    where the reports go (default test-artifacts/fuzz)
#   FUZZ_DATABASE_URL  a PostgreSQL server URL to create the fresh database on
#                      (default: the local server's socket in /var/run/postgresql, else the embedded one)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.venv/bin"
MAX_TIME="${FUZZ_MAX_TIME:-300}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-10}"
REPORT_DIR="${FUZZ_REPORT_DIR:-$ROOT/test-artifacts/fuzz}"
if (( MAX_TIME > 600 )); then MAX_TIME=600; fi

EXCLUDE=()
if [[ -z "${FUZZ_IN_NETNS:-}" ]]; then
  [[ -x "$BIN/tenantplane" ]] || make install
  [[ -x "$BIN/schemathesis" ]] || "$BIN/pip" install --quiet schemathesis
  for enter in "unshare --net" "unshare --map-root-user --net"; do
    if $enter true 2>/dev/null; then
      exec $enter env FUZZ_IN_NETNS=1 "$0" "$@"
    fi
  done
  echo "fuzz-api: no network namespace available; leaving out the routes that resolve host names" >&2
  EXCLUDE=(--exclude-path-regex '^/api/notifications/channels')
else
  ip link set lo up 2>/dev/null || true
fi

WORK="$(mktemp -d)"
PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DB_NAME="tp_fuzz_$(date +%s)_$$"
SERVER_URL="${FUZZ_DATABASE_URL:-}"
if [[ -z "$SERVER_URL" && -S /var/run/postgresql/.s.PGSQL.5432 ]]; then
  SERVER_URL="postgresql://postgres@/postgres?host=/var/run/postgresql"
fi

database() {  # database create|drop: the fresh database on SERVER_URL
  "$BIN/python" - "$1" "$SERVER_URL" "$DB_NAME" <<'EOF'
import sys
import psycopg
from psycopg import sql
action, url, name = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
EOF
}

SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n "$SERVER_URL" ]]; then database drop || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export TENANTPLANE_DATA_DIR="$WORK/data" TENANTPLANE_LOG_LEVEL=WARNING TENANTPLANE_LOG_FORMAT=console
export TENANTPLANE_SECRET_KEY="fuzz-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
if [[ -n "$SERVER_URL" ]]; then
  database create
  export TENANTPLANE_DATABASE_URL="$("$BIN/python" -c '
import sys
from sqlalchemy.engine import make_url
print(make_url(sys.argv[1]).set(drivername="postgresql+psycopg", database=sys.argv[2]).render_as_string(False))
' "$SERVER_URL" "$DB_NAME")"
fi
"$BIN/tenantplane" migrate >/dev/null
PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
"$BIN/tenantplane" bootstrap --tenant fuzz --admin-email admin@fuzz.example.com --admin-password "$PASSWORD" >/dev/null
TOKEN="$("$BIN/tenantplane" create-api-token --tenant fuzz --email admin@fuzz.example.com --name fuzz | tail -n 1)"

"$BIN/tenantplane" serve --host 127.0.0.1 --port "$PORT" --no-worker >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

mkdir -p "$REPORT_DIR"
fuzz() {  # fuzz SECONDS [schemathesis options]
  local seconds="$1"
  shift
  "$BIN/schemathesis" run "http://127.0.0.1:$PORT/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$seconds" \
    --workers 2 \
    --request-timeout 20 \
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    --report junit --report-dir "$REPORT_DIR" \
    "${EXCLUDE[@]}" "$@"
}
# Changing users and revoking tokens can demote or lock out the fuzzer's own admin (every later request would
# then be a 403), so those two operations get the last tenth of the time, on their own.
SELF=(--exclude-operation-id update_user_api_users__user_id__patch
  --exclude-operation-id revoke_api_token_api_auth_api_tokens__token_id__delete)
status=0
fuzz $(( MAX_TIME * 9 / 10 )) "${SELF[@]}" "$@" || status=$?
fuzz $(( MAX_TIME / 10 + 1 )) --include-operation-id update_user_api_users__user_id__patch \
  --include-operation-id revoke_api_token_api_auth_api_tokens__token_id__delete "$@" || status=$?

# The server's own count of answers and of 5xx ones (by route), from its metrics.
curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk '
  /^tenantplane_http_requests_total\{/ {
    total += $NF
    if ($0 ~ /status="5/) print "fuzz-api: 5xx: " $0
    if ($0 ~ /status="500"/) errors += $NF
  }
  END { printf "fuzz-api: server answered %d requests, %d with a 500 status\n", total, errors }'
echo "fuzz-api: $(grep -c "Traceback\|unhandled error" "$WORK/server.log" || true) unhandled errors in the server log"
cp "$WORK/server.log" "$REPORT_DIR/server.log"
exit "$status"
