#!/usr/bin/env bash
# Side-by-side: minsheng-nlp (Rust) vs the scikit-learn baseline on exactly the
# same k folds (written by `minsheng-nlp cv --folds-out`).
# Usage: scripts/nlp/compare.sh [DATA_DIR] [SEED]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${1:-$root/../shared/data}"
seed="${2:-42}"
folds=5
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target-nlp}"

if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q scikit-learn jieba numpy
fi
cargo build -q --release -p minsheng-nlp --manifest-path "$root/Cargo.toml"
nlp="$CARGO_TARGET_DIR/release/minsheng-nlp"
py="$here/.venv/bin/python"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

rows=()
run() { # name data label_column [corpus]
  local name="$1" file="$2" column="$3" corpus="${4:-}"
  local extra=() rust base
  [ -n "$corpus" ] && extra=(--corpus "$corpus")
  if [ "$name" = duplicates ]; then
    rust=$("$nlp" cv --data "$file" --task duplicates --folds "$folds" --seed "$seed" --folds-out "$tmp/$name.csv" "${extra[@]}" | tail -1)
    base=$("$py" "$here/baseline.py" --data "$file" --task duplicates --folds "$tmp/$name.csv" "${extra[@]}" | tail -1)
  else
    rust=$("$nlp" cv --data "$file" --task "$name" --label-column "$column" --folds "$folds" --seed "$seed" --folds-out "$tmp/$name.csv" | tail -1)
    base=$("$py" "$here/baseline.py" --data "$file" --task "$name" --label-column "$column" --folds "$tmp/$name.csv" | tail -1)
  fi
  rows+=("rust minsheng-nlp|$rust" "sklearn baseline|$base")
}

for task in police_related category request_type unit_type; do
  run "$task" "$data/police_labeled.csv" "$task"
done
run category7 "$data/gov_category7.csv" label
run duplicates "$data/duplicate_pairs.csv" "" "$data/corpus_messages.csv"

printf '\n%-18s %-15s %6s %9s %9s %9s %9s\n' system task n accuracy macro_f1 precision recall
for row in "${rows[@]}"; do
  who="${row%%|*}"; line="${row#*|}"
  get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$line"; }
  printf '%-18s %-15s %6s %9s %9s %9s %9s\n' "$who" "$(get task)" "$(get n)" "$(get accuracy)" "$(get macro_f1)$(get f1 | sed 's/^/f1=/' | grep -v '^f1=$' || true)" "$(get precision)" "$(get recall)"
done
echo "(5-fold stratified CV, seed $seed; duplicates: F1-best threshold chosen on the training folds)"
