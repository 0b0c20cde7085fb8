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
    "$nlp" cv --data "$file" --task "$name" --label-column "$column" --folds "$folds" --seed "$seed" --folds-out "$tmp/$name.csv" >"$tmp/$name.rust"
    "$py" "$here/baseline.py" --data "$file" --task "$name" --label-column "$column" --folds "$tmp/$name.csv" >"$tmp/$name.base"
    rust=$(tail -1 "$tmp/$name.rust")
    base=$(tail -1 "$tmp/$name.base")
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

# Per-class recall of the rare classes (fewer than 20 labelled rows), both systems.
printf '\n%-12s %-16s %4s %12s %12s\n' task class n "rust recall" "sklearn"
for task in category unit_type; do
  grep '^  class' "$tmp/$task.rust" | while read -r _ class n recall _; do
    n="${n#n=}"
    [ "$n" -lt 20 ] || continue
    base=$(grep "^  class $class " "$tmp/$task.base" | sed -n 's/.*recall=\([^ ]*\).*/\1/p')
    printf '%-12s %-16s %4s %12s %12s\n' "$task" "$class" "$n" "${recall#recall=}" "$base"
  done
done
