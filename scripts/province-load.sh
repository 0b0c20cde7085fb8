#!/usr/bin/env bash
# Issue 15, "Under load": 10,000 simulated desktops against two city server instances
# on one PostgreSQL, on this machine (loopback only). A benchmark: it prints a table
# (and writes it as JSON); it exits non-zero only when the setup or a correctness
# check fails, never because of a time.
#
#   bash scripts/province-load.sh [province-load flags, e.g. --duration 60 --desktops 2000]
#
# Builds the release server and generator, then under scripts/pg.sh (a throwaway
# PostgreSQL): seeds one schema with the demo org and LOAD_CASES demo cases (timed),
# creates LOAD_OFFICERS_PER_STATION extra officers in every level-3 unit (timed), starts
# two `serve` processes on it (127.0.0.1, random ports), waits until their assessment
# worker has replayed the seeded cases (a one-off backfill), runs `province-load` against
# both, stops them, and adds PostgreSQL's view of the run (per-table scans and writes,
# and per-statement times from pg_stat_statements, loaded through MINSHENG_PG_OPTIONS)
# and a summary of the servers' logs. Everything is kept in
# $CARGO_TARGET_DIR/province-load/<time>/ (result.json, table.md, server and seed logs).
#
# Environment: LOAD_CASES (default 20000), LOAD_OFFICERS_PER_STATION (default 2),
# CARGO_TARGET_DIR (default ./target).
set -euo pipefail
export NO_COLOR=1

say() { printf '[province-load] %s\n' "$*" >&2; }
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
SERVER="$CARGO_TARGET_DIR/release/minsheng-server"
GENERATOR="$CARGO_TARGET_DIR/release/province-load"

if [ "${PROVINCE_LOAD_STAGE:-}" != "inner" ]; then
  say "building the release server and the generator"
  cargo build --release -q -p minsheng-server --bin minsheng-server
  cargo build --release -q -p minsheng-tests --bin province-load
  for a in "$@"; do
    case "$a" in -h | --help) "$GENERATOR" --help; exit 0 ;; esac
  done
  # Refuse bad flags before PostgreSQL and seeding take minutes.
  "$GENERATOR" --servers http://127.0.0.1:1 "$@" --validate-only
  # Per-statement counts and times (planning included) for the report: the only
  # setting the benchmark adds to the throwaway cluster.
  export MINSHENG_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
  PROVINCE_LOAD_STAGE=inner exec bash scripts/pg.sh run bash "$0" "$@"
fi

: "${MINSHENG_TEST_DATABASE_URL:?run through scripts/pg.sh}"
URL="$MINSHENG_TEST_DATABASE_URL"
SCHEMA=province_load
CASES="${LOAD_CASES:-20000}"
PER_STATION="${LOAD_OFFICERS_PER_STATION:-2}"
OUT="$CARGO_TARGET_DIR/province-load/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
DB=(--database "$URL" --pg-schema "$SCHEMA")

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

corpus=()
if [ -f ../shared/data/corpus_messages.csv ]; then
  corpus=(--corpus ../shared/data/corpus_messages.csv)
fi
say "seeding schema $SCHEMA: demo org, users and $CASES cases"
t=$(now)
"$SERVER" seed-demo "${DB[@]}" --cases "$CASES" "${corpus[@]}" >"$OUT/seed.out" 2>"$OUT/seed.log"
SEED_S=$(since "$t")
say "seeded in $SEED_S s: $(tail -n 1 "$OUT/seed.out")"

# Extra officers in every level-3 unit (the demo has a head and two officers in each):
# the desktops share these accounts as a station's machines share a login.
say "creating $PER_STATION extra officers in every level-3 unit"
t=$(now)
python3 - "$PER_STATION" >"$OUT/users.tsv" <<'PY'
import json, sys
n = int(sys.argv[1])
org = json.load(open("data/demo/org.json"))
for u in org["units"]:
    if u["level"] == 3:
        for i in range(1, n + 1):
            print(f"load-{u['code'].lower()}-{i:02d}\t{u['name']}压测民警{i:02d}\t{u['code']}")
PY
USERS=0
while IFS=$'\t' read -r username name unit; do
  MINSHENG_PASSWORD=Demo@2026 "$SERVER" create-user "${DB[@]}" --username "$username" \
    --name "$name" --role officer --unit "$unit" >>"$OUT/users.out" 2>>"$OUT/users.log"
  USERS=$((USERS + 1))
done <"$OUT/users.tsv"
USERS_S=$(since "$t")
say "created $USERS users in $USERS_S s"

PIDS=()
URLS=()
stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 150); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap stop_servers EXIT

for i in 1 2; do
  "$SERVER" serve "${DB[@]}" --listen 127.0.0.1:0 >"$OUT/server-$i.out" 2>"$OUT/server-$i.log" &
  PIDS+=("$!")
done
for i in 1 2; do
  addr=""
  for _ in $(seq 1 600); do
    addr=$(sed -n 's/^listening on \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$OUT/server-$i.out" | head -n 1)
    [ -n "$addr" ] && break
    kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { cat "$OUT/server-$i.log" >&2; exit 2; }
    sleep 0.1
  done
  [ -n "$addr" ] || { say "server $i did not start"; cat "$OUT/server-$i.log" >&2; exit 2; }
  URLS+=("$addr")
done
say "servers: ${URLS[0]} (pid ${PIDS[0]}), ${URLS[1]} (pid ${PIDS[1]})"

# The postmaster, for PostgreSQL's CPU (its backends are its children).
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
PG_DATA="$("$PG_BIN/psql" "$URL" -tAc 'SHOW data_directory')"
PG_PID="$(head -n 1 "$PG_DATA/postmaster.pid")"
MAX_CONN="$("$PG_BIN/psql" "$URL" -tAc 'SHOW max_connections')"
say "PostgreSQL postmaster pid $PG_PID, max_connections $MAX_CONN"

# The servers' assessment worker replays every case once after seeding (the facts of
# 20,000 cases at once): a one-off backfill, not the steady state. Let it finish first,
# as a server that has been running would have.
say "waiting for the assessment worker to replay the seeded cases"
t=$(now)
behind=""
for _ in $(seq 1 1200); do
  behind="$("$PG_BIN/psql" "$URL" -tAc "SELECT (SELECT last FROM $SCHEMA.sync_counter WHERE id = 1)
    - (SELECT value FROM $SCHEMA.assess_meta WHERE key = 'facts_position')")"
  [ "$behind" -le 0 ] && break
  sleep 1
done
WARM_S=$(since "$t")
[ "$behind" -le 0 ] || { say "the assessment worker is still $behind changes behind after $WARM_S s"; exit 2; }
say "caught up in $WARM_S s"

# What the load asked of PostgreSQL: scans and writes per table, transactions.
pg_stats() {
  "$PG_BIN/psql" "$URL" -tA -F $'\t' -c "SELECT relname, seq_scan, coalesce(idx_scan, 0),
      n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE schemaname = '$SCHEMA'
    UNION ALL SELECT '(transactions: commit, rollback)', xact_commit, xact_rollback, 0, 0, 0
      FROM pg_stat_database WHERE datname = current_database() ORDER BY 1"
}
pg_stats >"$OUT/pg-stats-before.tsv"
"$PG_BIN/psql" "$URL" -qtAc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null

rc=0
"$GENERATOR" --servers "${URLS[0]},${URLS[1]}" --server-pids "${PIDS[0]},${PIDS[1]}" \
  --pg-pid "$PG_PID" --out "$OUT/result.json" \
  --note "seed-demo --cases $CASES into PostgreSQL: $SEED_S s" \
  --note "create-user x $USERS (officers, $PER_STATION per level-3 unit): $USERS_S s" \
  --note "assessment worker's first replay of the seeded cases (before the load): $WARM_S s" \
  --note "PostgreSQL max_connections $MAX_CONN; server pool 16 connections per instance" \
  "$@" | tee "$OUT/table.md" || rc=$?
stop_servers
sleep 1 # PostgreSQL publishes its statistics at most once a second.
pg_stats >"$OUT/pg-stats-after.tsv"
python3 - "$OUT/pg-stats-before.tsv" "$OUT/pg-stats-after.tsv" <<'PY' | tee -a "$OUT/table.md"
import sys
def read(p):
    return {r[0]: [int(x) for x in r[1:]] for r in (l.rstrip("\n").split("\t") for l in open(p)) if len(r) == 6}
before, after = read(sys.argv[1]), read(sys.argv[2])
rows = []
for name, a in after.items():
    b = before.get(name, [0] * 5)
    d = [x - y for x, y in zip(a, b)]
    if any(d):
        rows.append((name, d))
rows.sort(key=lambda r: -(r[1][0] + r[1][1]))
print("\nPostgreSQL during the run (pg_stat_user_tables deltas; the last row: transactions committed, rolled back):\n")
print("| table | seq scans | index scans | rows inserted | rows updated | rows deleted |")
print("|---|---:|---:|---:|---:|---:|")
for name, d in rows:
    print(f"| {name} | " + " | ".join(str(x) for x in d) + " |")
PY

# The statements that took PostgreSQL's time during the run (pg_stat_statements).
"$PG_BIN/psql" "$URL" -tA -F $'\t' -c "
  WITH s AS (SELECT * FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()))
  SELECT calls, round((total_exec_time + total_plan_time)::numeric, 0), round(total_plan_time::numeric, 0),
         round(((total_exec_time + total_plan_time) / NULLIF(calls, 0))::numeric, 3), rows,
         round((100 * (total_exec_time + total_plan_time) / sum(total_exec_time + total_plan_time) OVER ())::numeric, 1),
         left(regexp_replace(query, '\s+', ' ', 'g'), 140)
  FROM s ORDER BY total_exec_time + total_plan_time DESC LIMIT 15" >"$OUT/pg-statements.tsv" || true
"$PG_BIN/psql" "$URL" -tA -F $'\t' -c "SELECT sum(calls), round(sum(total_exec_time + total_plan_time)::numeric, 0),
  round(sum(total_plan_time)::numeric, 0) FROM pg_stat_statements" >"$OUT/pg-statements-total.tsv" || true
python3 - "$OUT/pg-statements.tsv" "$OUT/pg-statements-total.tsv" <<'PY' | tee -a "$OUT/table.md"
import sys
total = open(sys.argv[2]).read().strip().split("\t")
print(f"\nPostgreSQL statements during the run (pg_stat_statements): {total[0]} calls, "
      f"{int(total[1]) / 1000:.1f} s executing and planning, of which {int(total[2]) / 1000:.1f} s planning. The top 15:\n")
print("| calls | total ms | planning ms | mean ms | rows | share | statement |")
print("|---:|---:|---:|---:|---:|---:|---|")
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) == 7:
        q = f[6].replace("|", "\\|")
        print(f"| {f[0]} | {f[1]} | {f[2]} | {f[3]} | {f[4]} | {f[5]} % | `{q}` |")
PY

for i in 1 2; do
  log="$OUT/server-$i.log"
  say "server $i log: $(grep -c ' WARN ' "$log" || true) warnings, $(grep -c ' ERROR ' "$log" || true) errors"
  # The distinct messages, without time stamps and fields.
  grep -E ' (WARN|ERROR) ' "$log" | sed -E 's/^[^ ]+ +//; s/ [a-z_]+=[^ ]+//g' | sort | uniq -c |
    sort -rn | head -n 8 >&2 || true
done
say "kept in $OUT"
exit "$rc"
