#!/usr/bin/env bash
# Contract fuzzing: Schemathesis (from PyPI, in a project-local venv) against a demo server
# on loopback, once per role, through the server's own OpenAPI document. Every response must
# not be a server error, must have a documented status code and must match its documented
# schema. Zero failures pass.
#
# Environment:
#   FUZZ_EXAMPLES  examples per operation and phase (default 5: keeps the stage within
#                  two minutes on 2 cores as operations grow; deeper runs set more)
#   FUZZ_SEED      Hypothesis seed (default fixed, so a run repeats; any integer explores anew)
#   FUZZ_ROLES     space-separated demo users (default: admin clerk supervisor officer — every
#                  admin route, the widest reader, a branch and a station; who may call
#                  what is the route matrix's job, crates/server/tests/route_matrix.rs)
#   FUZZ_JOBS      roles fuzzed at the same time (default 2)
#   FUZZ_KEEP      1: keep the work directory (database, server log, reports) for a look
#   FUZZ_CHECKS    Schemathesis checks (default below); e.g. add positive_data_acceptance,
#                  negative_data_rejection to look for schemas looser or stricter than the server
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[fuzz] %s\n' "$*"; }
die() { printf '[fuzz] %s\n' "$*" >&2; exit 1; }

SCHEMATHESIS_VERSION="4.32.5"
EXAMPLES="${FUZZ_EXAMPLES:-5}"
SEED="${FUZZ_SEED:-20260823}"
ROLES="${FUZZ_ROLES:-admin clerk supervisor officer}"
JOBS="${FUZZ_JOBS:-2}"
CHECKS="${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance}"
PASSWORD="Demo@2026" # the demo seed's password (crates/server/src/seed)
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
VENV="$TARGET_DIR/schemathesis-venv"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# --- Schemathesis in a venv of the system Python (python3-venv from apt when missing) ---
venv_ok() {
  if command -v dpkg-query >/dev/null; then
    # Debian's python3 makes venvs only with python3-venv (ensurepip) installed.
    dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q 'install ok installed'
  else
    python3 -c 'import ensurepip, venv' 2>/dev/null
  fi
}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON="$(command -v python3 || true)"
if [ -z "$PYTHON" ] || ! venv_ok; then
  say "installing python3-venv (apt)"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  PYTHON=/usr/bin/python3
fi
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check \
    -c scripts/fuzz/constraints.txt "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- the server, built like the tests build it (debug, shared target dir) ---
# `--workspace`: the feature set `cargo test --workspace` built with, so after the test
# stage this compiles nothing (`-p minsheng-server` alone rebuilt the crate).
say "cargo build --workspace --bin minsheng-server"
cargo build -q --workspace --bin minsheng-server
SERVER_BIN="$TARGET_DIR/debug/minsheng-server"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/minsheng-fuzz.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${FUZZ_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "seeding a demo database (300 cases)"
"$SERVER_BIN" seed-demo --db "$WORK/demo.db" --cases 300 >"$WORK/seed.log" 2>&1 \
  || { tail -n 20 "$WORK/seed.log" >&2; die "seeding failed"; }

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT/api/v1"
# No SMS gateway and no webhook secret: SMS wait in the outbox, the webhook answers 401.
env -u MINSHENG_SMS_URL -u MINSHENG_SMS_WEBHOOK_SECRET -u MINSHENG_MODEL \
  "$SERVER_BIN" serve --db "$WORK/demo.db" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS --max-time 2 "$BASE/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/server.log" >&2; die "the server exited"; }
  sleep 0.2
done
curl -fsS --max-time 2 "$BASE/health" >/dev/null || die "the server did not answer $BASE/health"
curl -fsS "$BASE/openapi.json" -o "$WORK/openapi.json"

# Logs every role in before any run (a run fuzzes POST /auth/login, which throttles, and the
# admin's run edits users; access tokens last 15 minutes, the stage takes less) and writes
# the run configuration with dictionaries of the demo data's real ids.
"$PYTHON" scripts/fuzz/prepare.py "$BASE" "$WORK" $ROLES || die "preparing the runs failed"
declare -A TOKENS
while read -r role token; do TOKENS[$role]="$token"; done <"$WORK/tokens"

# One run per role, FUZZ_JOBS at a time (the server serves them all; runs do not depend on
# each other's data). Each writes its log and exit code; summaries print in role order.
fuzz_role() {
  local role="$1" start=$SECONDS rc=0
  # From the work directory: Schemathesis keeps a cache in the current directory.
  (cd "$WORK" && "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run "$BASE/openapi.json" \
    --header "Authorization: Bearer ${TOKENS[$role]}" \
    --checks "$CHECKS" \
    --max-examples "$EXAMPLES" --seed "$SEED" --workers 1 --no-shrink \
    --report junit --report-dir "$WORK/reports-$role" \
    >"$WORK/schemathesis-$role.log" 2>&1) || rc=$?
  echo "$rc $((SECONDS - start))" >"$WORK/rc-$role"
}

say "schemathesis $SCHEMATHESIS_VERSION as: $ROLES ($EXAMPLES examples per operation and phase, seed $SEED, $JOBS at a time)"
pids=()
for role in $ROLES; do
  if [ "${#pids[@]}" -ge "$JOBS" ]; then
    wait -n "${pids[@]}" || true
    # Keep the runs still going (the server is a child too: never wait for it here).
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    pids=(${alive[@]+"${alive[@]}"})
  fi
  fuzz_role "$role" &
  pids+=("$!")
done
wait "${pids[@]}" || true

failed=()
for role in $ROLES; do
  read -r rc took <"$WORK/rc-$role" || { rc=1; took=0; }
  # The run's summary: operations, test cases, failures.
  sed -n '/^=* SUMMARY =*$/,$p' "$WORK/schemathesis-$role.log" \
    | grep -E 'Selected|Tested|generated|passed|failures|errors|❌|🚫' | sed "s/^/[fuzz] $role: /" || true
  say "$role: exit $rc in $took s"
  if [ "$rc" -ne 0 ]; then
    failed+=("$role")
    cat "$WORK/schemathesis-$role.log" >&2
  fi
done

if grep -q 'panicked' "$WORK/server.log"; then
  grep -B2 -A8 'panicked' "$WORK/server.log" >&2
  failed+=("server panics")
fi
if [ "${#failed[@]}" -gt 0 ]; then
  FUZZ_KEEP=1
  die "failures for: ${failed[*]} (work directory $WORK)"
fi
say "all roles passed"
