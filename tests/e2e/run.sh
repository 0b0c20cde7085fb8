#!/usr/bin/env bash
# End-to-end tests through the real desktop app: tauri-driver + WebKitWebDriver drive the
# debug build of minsheng-desktop against a real city server seeded with demo data.
#
# Usage: bash tests/e2e/run.sh            (scripts/test.sh runs it under xvfb-run)
# Env:   CARGO_TARGET_DIR   where the app and server are built (default: <repo>/target)
#        E2E_SHOTS          screenshot folder (default: $CARGO_TARGET_DIR/e2e-shots)
#        E2E_CASES          demo cases to seed (default 300)
#        E2E_KEEP=1         keep the temp dir (server DB, logs, app home) for inspection
#        E2E_SKIP_BUILD=1   use the binaries already built
#        E2E_SPECS          spec files to run, relative to tests/e2e (default: specs/, i.e. all),
#                           e.g. E2E_SPECS=specs/intake_desk.test.js
#
# Phases: (1) build the UI, the app and the server, install the Node deps; (2) under a display
# (xvfb-run when DISPLAY is unset) and a private D-Bus session with an unlocked keyring, seed a
# fresh DB, start the server and tauri-driver, and run the specs. The specs stop and restart
# the server themselves (to go offline); every process started here is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_DIR="$ROOT/tests/e2e"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export PATH="$CARGO_HOME/bin:$PATH"

say() { printf '[e2e] %s\n' "$*"; }
die() { printf '[e2e] %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Phase 2: runs inside xvfb + dbus-run-session (re-entered below with E2E_PHASE=run).
# ---------------------------------------------------------------------------------------
run_phase() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/minsheng-e2e.XXXXXX")"
  export E2E_WORK="$WORK"
  DRIVER_PID=""
  cleanup() {
    local rc=$?
    set +e
    # The specs record every server they start; stop whatever is still running.
    if [ -f "$WORK/pids" ]; then
      while read -r pid; do kill "$pid" 2>/dev/null; done <"$WORK/pids"
    fi
    if [ -n "$DRIVER_PID" ]; then
      kill "$DRIVER_PID" 2>/dev/null
      wait "$DRIVER_PID" 2>/dev/null
    fi
    if [ "$rc" -ne 0 ]; then
      for log in "$WORK"/server*.log "$WORK/driver.log"; do
        [ -f "$log" ] || continue
        echo "[e2e] --- tail of $log"
        tail -n 25 "$log"
      done
      # Last, so a log that keeps only the end of the output still names what failed.
      if [ -f "$WORK/specs.log" ]; then
        echo "[e2e] --- failing tests"
        sed -n '/failing tests:/,$p' "$WORK/specs.log" | tail -n 60
      fi
    fi
    if [ "${E2E_KEEP:-0}" = 1 ]; then
      say "kept $WORK"
    else
      rm -rf "$WORK"
    fi
    exit "$rc"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # A private home: the app's cache, settings and WebKit data start empty every run.
  # The keyring (refresh token, cache key) lives in this D-Bus session's own gnome-keyring.
  export HOME="$WORK/home" XDG_RUNTIME_DIR="$WORK/runtime"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  printf 'minsheng-e2e' | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null

  say "seeding a demo DB with ${E2E_CASES:-300} cases"
  export E2E_DB="$WORK/city.db"
  # Run from the repo root so the default corpus path (../shared/data/...) resolves.
  (cd "$ROOT" && "$E2E_SERVER_BIN" seed-demo --db "$E2E_DB" --cases "${E2E_CASES:-300}") \
    >"$WORK/seed.log" 2>&1 || { tail -n 20 "$WORK/seed.log" >&2; die "seed-demo failed"; }
  tail -n 1 "$WORK/seed.log" | sed 's/^/[e2e] /'

  free_port() {
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  }
  E2E_SERVER_PORT="$(free_port)"
  E2E_DRIVER_PORT="$(free_port)"
  E2E_NATIVE_PORT="$(free_port)"
  export E2E_SERVER_PORT E2E_DRIVER_PORT
  export E2E_SERVER_URL="http://127.0.0.1:$E2E_SERVER_PORT"
  # The app reads its city server from here; tauri-driver passes its environment on.
  export MINSHENG_SERVER_URL="$E2E_SERVER_URL"

  say "starting tauri-driver on port $E2E_DRIVER_PORT"
  tauri-driver --port "$E2E_DRIVER_PORT" --native-port "$E2E_NATIVE_PORT" >"$WORK/driver.log" 2>&1 &
  DRIVER_PID=$!
  local i
  for i in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$E2E_DRIVER_PORT/status" >/dev/null 2>&1; then break; fi
    kill -0 "$DRIVER_PID" 2>/dev/null || die "tauri-driver exited: $(tail -n 5 "$WORK/driver.log")"
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$E2E_DRIVER_PORT/status" >/dev/null || die "tauri-driver did not answer /status"

  mkdir -p "$E2E_SHOTS"
  say "running specs (screenshots: $E2E_SHOTS)"
  cd "$E2E_DIR"
  # E2E_SPECS: unquoted on purpose, several files may be given.
  # shellcheck disable=SC2086
  node --test --test-concurrency=1 --test-reporter=spec ${E2E_SPECS:-specs/} 2>&1 | tee "$WORK/specs.log"
}

if [ "${E2E_PHASE:-build}" = run ]; then
  run_phase
  exit 0
fi

# ---------------------------------------------------------------------------------------
# Phase 1: build and install what the run needs.
# ---------------------------------------------------------------------------------------
for tool in cargo node npm curl gnome-keyring-daemon dbus-run-session; do
  command -v "$tool" >/dev/null || die "$tool is required (bash scripts/setup.sh --e2e)"
done
command -v tauri-driver >/dev/null || die "tauri-driver is missing: bash scripts/setup.sh --e2e"
[ -x /usr/bin/WebKitWebDriver ] || die "WebKitWebDriver is missing (apt package webkit2gtk-driver)"

if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  # ui/dist is compiled into the app: rebuild it when missing or older than any UI source.
  [ -d "$ROOT/ui/node_modules" ] || (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
  ui_sources=("$ROOT/ui/src" "$ROOT/ui/public" "$ROOT/ui/index.html" "$ROOT/ui/package-lock.json")
  if [ ! -f "$ROOT/ui/dist/index.html" ] ||
    [ -n "$(find "${ui_sources[@]}" -newer "$ROOT/ui/dist/index.html" -print -quit)" ]; then
    say "building ui/dist"
    npm --prefix "$ROOT/ui" run build >/dev/null
    touch "$ROOT/ui/dist/index.html"
  fi
  # The app and the server, the development SMS gateway and the NLP trainer (for the specs
  # that follow an SMS out of the server, lib/smsgw.js, or need the intake desk's
  # suggestions, E2E_MODEL). One `--workspace` build: the same feature set as
  # `cargo test --workspace`, so after the test stage nothing but the app is compiled again.
  say "cargo build (desktop app, server, sms-devgw, minsheng-nlp) into $TARGET"
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build --workspace \
    --bin minsheng-desktop --bin minsheng-server --bin sms-devgw --bin minsheng-nlp)
fi
export E2E_APP="$TARGET/debug/minsheng-desktop"
export E2E_SERVER_BIN="$TARGET/debug/minsheng-server"
[ -x "$E2E_APP" ] || die "missing $E2E_APP"
[ -x "$E2E_SERVER_BIN" ] || die "missing $E2E_SERVER_BIN"
export E2E_DEVGW_BIN="$TARGET/debug/sms-devgw"

# A suggestion model for the specs that start their server with `--model` (E2E_MODEL):
# trained once into $TARGET/e2e-model (debug build, ~6 s) from the shared labelled data,
# else the NLP crate's small fixture; trained again when the trainer or the data is newer.
NLP_BIN="$TARGET/debug/minsheng-nlp"
MODEL_DIR="$TARGET/e2e-model"
MODEL_DATA="$ROOT/../shared/data/police_labeled.csv"
[ -f "$MODEL_DATA" ] || MODEL_DATA="$ROOT/crates/nlp/tests/fixtures/train.csv"
if [ -x "$NLP_BIN" ]; then
  if [ ! -f "$MODEL_DIR/manifest.json" ] || [ "$NLP_BIN" -nt "$MODEL_DIR/manifest.json" ] ||
    [ "$MODEL_DATA" -nt "$MODEL_DIR/manifest.json" ]; then
    say "training the suggestion model into $MODEL_DIR"
    rm -rf "$MODEL_DIR"
    "$NLP_BIN" train --data "$MODEL_DATA" --out "$MODEL_DIR" --org "$ROOT/data/demo/org.json" --cv-folds 0 \
      >"$TARGET/e2e-model.log" 2>&1 || { tail -n 20 "$TARGET/e2e-model.log" >&2; die "model training failed"; }
  fi
  export E2E_MODEL="$MODEL_DIR"
fi

# Node deps: `npm ci` only when the lockfile changed. Install scripts are not needed
# (they would fetch browser drivers we do not use).
stamp="$E2E_DIR/node_modules/.minsheng-lock-stamp"
lock_hash="$( (sha256sum "$E2E_DIR/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
  say "npm ci in tests/e2e"
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
  echo "$lock_hash" >"$stamp"
fi

export E2E_SHOTS="${E2E_SHOTS:-$TARGET/e2e-shots}"
rm -rf "$E2E_SHOTS"
export E2E_PHASE=run
if [ -z "${DISPLAY:-}" ]; then
  command -v xvfb-run >/dev/null || die "no DISPLAY and no xvfb-run"
  exec xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash "${BASH_SOURCE[0]}"
fi
exec dbus-run-session -- bash "${BASH_SOURCE[0]}"
