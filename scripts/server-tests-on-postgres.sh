#!/usr/bin/env bash
# Runs the server's whole test suite again with every test server on PostgreSQL
# (MINSHENG_TEST_BACKEND=postgres; a fresh schema each), reusing the test binaries that
# `cargo test --workspace` already built.
#
# `cargo test -p minsheng-server` would unify features for that package alone and so build
# a second copy of every dependency and of all ~40 server test binaries (about 7 GB): on a
# CI machine with little disk that is what ran out. Asking cargo for the workspace's test
# executables (nothing is rebuilt) and running the server's ones in the package directory,
# as cargo does, runs the same tests with one build.
#
# Usage: bash scripts/pg.sh run bash scripts/server-tests-on-postgres.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${MINSHENG_TEST_DATABASE_URL:?run this under scripts/pg.sh run}"

mapfile -t binaries < <(
  cargo test --workspace --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("executable"):
        continue
    if not m.get("profile", {}).get("test"):
        continue
    if m["manifest_path"].endswith("/crates/server/Cargo.toml"):
        print(m["executable"])
'
)

if [ "${#binaries[@]}" -lt 2 ]; then
  echo "server-tests-on-postgres: cargo listed ${#binaries[@]} server test binaries; expected the unit tests and the integration tests" >&2
  exit 1
fi

echo "server-tests-on-postgres: ${#binaries[@]} test binaries, every test server on PostgreSQL"
export MINSHENG_TEST_BACKEND=postgres
failed=()
cd crates/server
for binary in "${binaries[@]}"; do
  echo
  echo "     Running $(basename "$binary")"
  "$binary" || failed+=("$(basename "$binary")")
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "server-tests-on-postgres: failed: ${failed[*]}" >&2
  exit 101
fi
