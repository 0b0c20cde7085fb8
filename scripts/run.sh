#!/usr/bin/env bash
# Builds everything, starts the city server with demo data and opens the desktop app.
# Environment: MINSHENG_LISTEN (default 127.0.0.1:8686) — address the server listens on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[run] %s\n' "$*"; }

bash scripts/setup.sh

say "cargo build --release (server + NLP + desktop)"
cargo build --release -p minsheng-server -p minsheng-nlp -p minsheng-desktop

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
SERVER_BIN="$TARGET_DIR/release/minsheng-server"
DEVGW_BIN="$TARGET_DIR/release/sms-devgw"
APP_BIN="$TARGET_DIR/release/minsheng-desktop"
[ -x "$SERVER_BIN" ] || { echo "[run] $SERVER_BIN was not built (does crates/server define the binary?)" >&2; exit 1; }

LISTEN="${MINSHENG_LISTEN:-127.0.0.1:8686}"
host="${LISTEN%:*}"
port="${LISTEN##*:}"
# A wildcard listen address is not something a client can connect to.
case "$host" in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
URL="http://${host}:${port}"
DB="var/demo.db"
mkdir -p var

# Suggestion model: trained once from the shared labelled data when it is there; without
# it the server runs without suggestions (everything else works).
MODEL_ARGS=()
# A model this build cannot load (an older format) is trained again; the old
# version stays in var/model as model.vN.bin.
model_loads() {
  [ -f var/model/manifest.json ] &&
    "$TARGET_DIR/release/minsheng-nlp" suggest --model var/model --title 测试 --detail 测试 >/dev/null 2>&1
}
if ! model_loads && [ -f ../shared/data/police_labeled.csv ]; then
  say "training the suggestion model into var/model"
  "$TARGET_DIR/release/minsheng-nlp" train --data ../shared/data/police_labeled.csv --out var/model --org data/demo/org.json \
    || say "model training failed; the server runs without suggestions"
fi
[ -f var/model/manifest.json ] && MODEL_ARGS=(--model var/model)
# The server retrains from the same base set plus its own dispatch history (clerks'
# corrections), daily or when the admin asks (系统管理 → 分派建议模型).
[ -f ../shared/data/police_labeled.csv ] && export MINSHENG_TRAINING_DATA="${MINSHENG_TRAINING_DATA:-$PWD/../shared/data/police_labeled.csv}"

if [ ! -f "$DB" ]; then
  say "seeding demo data into $DB"
  # Leave no half-seeded database behind: the next run would skip seeding.
  "$SERVER_BIN" seed-demo --db "$DB" || { rm -f "$DB" "$DB-wal" "$DB-shm"; exit 1; }
fi

healthy() { curl -fsS --max-time 2 "$URL/api/v1/health" >/dev/null 2>&1; }

SERVER_PID=""
DEVGW_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    say "stopping server (pid $SERVER_PID)"
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$DEVGW_PID" ] && kill -0 "$DEVGW_PID" 2>/dev/null; then
    kill "$DEVGW_PID" 2>/dev/null || true
    wait "$DEVGW_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

if healthy; then
  say "a server is already answering at $URL; using it (this script will not stop it)"
else
  # The development SMS gateway (一线回访 in the demo): the server sends every SMS to it,
  # and a citizen's reply typed on its page reaches the server's signed webhook. The
  # shared secret is made for this run and passed in the environment only (never argv,
  # never a file).
  DEVGW_LISTEN="${MINSHENG_DEVGW_LISTEN:-127.0.0.1:8787}"
  MINSHENG_SMS_WEBHOOK_SECRET="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  export MINSHENG_SMS_WEBHOOK_SECRET
  export MINSHENG_SMS_PROVIDER=generic MINSHENG_SMS_URL="http://$DEVGW_LISTEN/send"
  say "starting the development SMS gateway on $DEVGW_LISTEN (log: var/sms-devgw.log)"
  "$DEVGW_BIN" --listen "$DEVGW_LISTEN" --webhook "$URL/api/v1/sms/inbound" >>var/sms-devgw.log 2>&1 &
  DEVGW_PID=$!
  say "starting server on $LISTEN (log: var/server.log)"
  "$SERVER_BIN" serve --db "$DB" --listen "$LISTEN" ${MODEL_ARGS[@]+"${MODEL_ARGS[@]}"} >>var/server.log 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do
    healthy && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "[run] the server exited; last lines of var/server.log:" >&2
      tail -n 20 var/server.log >&2
      exit 1
    fi
    sleep 0.5
  done
  healthy || { echo "[run] the server did not answer $URL/api/v1/health within 30 s" >&2; exit 1; }
fi

cat <<TABLE

  市局服务器 / Server:  $URL
  短信网关（开发）/ SMS dev gateway:  http://${DEVGW_LISTEN:-127.0.0.1:8787}/  (群众短信与回复 / citizens' SMS and replies)
  演示账号 / Demo logins (密码 / password: Demo@2026)
  ┌────────────┬──────────────────────────────┐
  │ 用户名     │ 角色 / role                  │
  ├────────────┼──────────────────────────────┤
  │ admin      │ 管理员 admin                 │
  │ clerk      │ 受理员 intake clerk          │
  │ leader     │ 市局领导 city leader         │
  │ supervisor │ 督办员 supervisor            │
  │ head       │ 所队长 unit head             │
  │ officer    │ 承办民警 officer             │
  │ officer2   │ 承办民警 officer (2nd)       │
  │ followup   │ 回访员 follow-up agent       │
  └────────────┴──────────────────────────────┘

TABLE

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  say "starting the desktop app; closing it stops the server"
  MINSHENG_SERVER_URL="$URL" "$APP_BIN"
else
  say "没有图形显示（未设置 DISPLAY/WAYLAND_DISPLAY），服务器在前台运行，按 Ctrl-C 停止。"
  say "No display (DISPLAY/WAYLAND_DISPLAY unset): the server runs in the foreground, Ctrl-C stops it."
  say "启动客户端 / start the app with:"
  case "$APP_BIN" in /*) app_path="$APP_BIN" ;; *) app_path="$ROOT/$APP_BIN" ;; esac
  echo "    xvfb-run -a env MINSHENG_SERVER_URL=$URL $app_path"
  if [ -n "$SERVER_PID" ]; then
    wait "$SERVER_PID"
  fi
fi
