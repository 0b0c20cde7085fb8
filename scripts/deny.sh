#!/usr/bin/env bash
# cargo deny (advisories, licences, bans, sources; policy in deny.toml), offline: these
# machines cannot reach GitHub, so the RustSec database comes from the snapshot bundle in
# ../shared/advisory-db (override with ADVISORY_DB_BUNDLE). cargo-deny is installed by
# scripts/setup.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The snapshot sits in the workplace's shared folder next to the checkout (a clone
# elsewhere, e.g. under /tmp, finds it at the workplace's own path).
BUNDLE="${ADVISORY_DB_BUNDLE:-}"
if [ -z "$BUNDLE" ]; then
  for cand in "$ROOT/../shared/advisory-db/rustsec-advisory-db.bundle" /work/shared/advisory-db/rustsec-advisory-db.bundle; do
    if [ -f "$cand" ]; then BUNDLE="$cand"; break; fi
  done
fi
BUNDLE="${BUNDLE:-$ROOT/../shared/advisory-db/rustsec-advisory-db.bundle}"
# The folder cargo-deny derives from db-urls = ["https://github.com/rustsec/advisory-db"]
# under db-path = "target/advisory-dbs" (deny.toml).
DB="target/advisory-dbs/advisory-db-3157b0e258782691"

command -v cargo-deny >/dev/null || { echo "[deny] cargo-deny is missing: run scripts/setup.sh" >&2; exit 1; }
if [ -f "$BUNDLE" ]; then
  # (Re)clone when the bundle's commit is not the one checked out.
  want="$(git bundle list-heads "$BUNDLE" | awk 'NR == 1 { print $1 }')"
  have="$(git -C "$DB" rev-parse HEAD 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    echo "[deny] advisory database from $BUNDLE"
    rm -rf "$DB"
    mkdir -p "$(dirname "$DB")"
    git -c init.defaultBranch=main clone -q "$BUNDLE" "$DB"
  fi
elif [ ! -d "$DB/.git" ]; then
  echo "[deny] no advisory database: $BUNDLE is missing (set ADVISORY_DB_BUNDLE)" >&2
  exit 1
fi
echo "[deny] advisory database at $(git -C "$DB" log -1 --format='%h %cs')"

# Every platform's crates, so --offline can resolve the whole graph.
cargo fetch --locked -q
cargo deny --offline --locked check --hide-inclusion-graph
