#!/usr/bin/env bash
# Installs the server's .deb into a clean Debian root (mmdebstrap, minbase) and runs it as
# its systemd unit would: the unit's user, environment and ExecStart, the packaged
# /etc/minsheng/server.toml with a secret in a file. Checks the account and permissions,
# readiness over HTTP, the first admin created through the CLI signing in, the daily log
# file (and no secret in it), a secret written inline refused, SIGTERM, removal keeping
# the data. Needs root (chroot) and a Debian mirror (mmdebstrap). Usage:
#   bash tests/packaging/server_install.sh [DEB]   (default: packages the debug binary)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
say() { echo "[server-install] $*"; }
fail() { echo "[server-install] FAIL: $*" >&2; exit 1; }

DEB="${1:-}"
if [ -z "$DEB" ]; then
  profile=debug
  [ -x "$TARGET_DIR/debug/minsheng-server" ] && profile=prebuilt
  OUT_DIR="$TARGET_DIR/packages" PACKAGE_PROFILE=$profile bash "$ROOT/scripts/package-server.sh"
  DEB="$(ls -t "$TARGET_DIR"/packages/minsheng-server_*.deb | head -n 1)"
fi
[ -f "$DEB" ] || fail "no package at $DEB"

WORK="$(mktemp -d)"
CHROOT="$WORK/root"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  umount "$CHROOT/proc" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=tests/packaging/clean_root.sh
. "$ROOT/tests/packaging/clean_root.sh"
make_clean_root "$CHROOT"
mount -t proc proc "$CHROOT/proc"
in_root() { chroot "$CHROOT" "$@"; }

say "dpkg -i $(basename "$DEB")"
cp "$DEB" "$CHROOT/tmp/server.deb"
in_root dpkg -i /tmp/server.deb >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i"; }

# The account and the permissions the postinst promises.
in_root getent passwd minsheng | grep -q ':/var/lib/minsheng:/usr/sbin/nologin$' \
  || fail "no system account minsheng with home /var/lib/minsheng and no shell"
[ "$(in_root stat -c '%a %U:%G' /etc/minsheng/server.toml)" = "640 root:minsheng" ] \
  || fail "server.toml is $(in_root stat -c '%a %U:%G' /etc/minsheng/server.toml)"
[ "$(in_root stat -c '%a %U:%G' /etc/minsheng/secrets)" = "750 root:minsheng" ] \
  || fail "secrets dir is $(in_root stat -c '%a %U:%G' /etc/minsheng/secrets)"
[ "$(in_root stat -c '%a %U' /var/lib/minsheng)" = "750 minsheng" ] || fail "/var/lib/minsheng"
grep -qx '/etc/minsheng/server.toml' "$CHROOT/var/lib/dpkg/info/minsheng-server.conffiles" \
  || fail "server.toml is not a conffile"

UNIT="$CHROOT/lib/systemd/system/minsheng-server.service"
systemd-analyze verify --root="$CHROOT" /lib/systemd/system/minsheng-server.service \
  >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log"; fail "systemd-analyze verify"; }
SVC_USER="$(sed -n 's/^User=//p' "$UNIT")"
SVC_ENV="$(sed -n 's/^Environment=//p' "$UNIT")"
SVC_EXEC="$(sed -n 's/^ExecStart=//p' "$UNIT")"
[ "$SVC_USER" = minsheng ] || fail "unit runs as '$SVC_USER'"

# The operator's edits: a free loopback port, daily log files, the metrics token in a file.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
CONF="$CHROOT/etc/minsheng/server.toml"
sed -i "s|^listen = .*|listen = \"127.0.0.1:$PORT\"|; s|^# log_dir = .*|log_dir = \"/var/log/minsheng\"|; s|^# token_file = \"/etc/minsheng/secrets/metrics-token\"|token_file = \"/etc/minsheng/secrets/metrics-token\"|" "$CONF"
SECRET="metrics-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$SECRET" >"$CHROOT/etc/minsheng/secrets/metrics-token"
in_root chown root:minsheng /etc/minsheng/secrets/metrics-token
in_root chmod 0640 /etc/minsheng/secrets/metrics-token

as_service() { in_root runuser -u "$SVC_USER" -- env $SVC_ENV "$@"; }

say "the org tree and the first admin through the CLI (as the service account, reading the config)"
cat >"$CHROOT/tmp/org.json" <<'ORG'
{"units": [
  {"code": "CITY", "name": "某市公安局", "level": 1, "parent": null, "kind": "市局"},
  {"code": "CITY-PTB", "name": "民生警务平台办公室", "level": 1, "parent": "CITY", "kind": "平台办"}
], "users": []}
ORG
as_service /usr/bin/minsheng-server --config /etc/minsheng/server.toml load-org --org /tmp/org.json \
  >"$WORK/org.log" 2>&1 || { cat "$WORK/org.log"; fail "load-org"; }
grep -q '2 units loaded' "$WORK/org.log" || { cat "$WORK/org.log"; fail "load-org output"; }
as_service env MINSHENG_PASSWORD='Install@2026x' /usr/bin/minsheng-server \
  --config /etc/minsheng/server.toml create-user --username installadmin --name 安装管理员 \
  --role admin --unit CITY >"$WORK/create.log" 2>&1 || { cat "$WORK/create.log"; fail "create-user"; }
[ -f "$CHROOT/var/lib/minsheng/city.db" ] || fail "the configured database file was not created"

say "starting: $SVC_EXEC (as $SVC_USER, $SVC_ENV)"
# shellcheck disable=SC2086
# setpriv execs (as systemd does; runuser would stay as a parent that answers SIGTERM).
chroot "$CHROOT" setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups \
  env $SVC_ENV $SVC_EXEC >"$WORK/serve.out" 2>&1 &
SERVER_PID=$!
ready=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v1/health/ready" >"$WORK/ready.json" 2>/dev/null; then
    ready=1; break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.out"; fail "the server exited"; }
  sleep 0.2
done
[ -n "$ready" ] || { cat "$WORK/serve.out"; fail "not ready on port $PORT"; }
say "ready: $(cat "$WORK/ready.json")"

code="$(curl -s -o "$WORK/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"installadmin","password":"Install@2026x"}' "http://127.0.0.1:$PORT/api/v1/auth/login")"
[ "$code" = 200 ] || { cat "$WORK/login.json"; fail "the admin made by create-user cannot sign in ($code)"; }
# Read whole, then searched: `curl | grep -q` fails under pipefail when grep stops
# reading at the first match and curl cannot write the rest (curl exit 23).
METRICS="$(curl -fsS "http://127.0.0.1:$PORT/metrics")" || fail "/metrics did not answer"
grep -q '^minsheng_' <<<"$METRICS" || fail "/metrics has no minsheng_ samples"

LOG="$(ls "$CHROOT"/var/log/minsheng/minsheng-server.*.log 2>/dev/null | head -n 1)"
[ -n "$LOG" ] || fail "no daily log file in /var/log/minsheng"
grep -q 'listening' "$LOG" || fail "the log file lacks the start-up line"
[ "$(in_root stat -c %U "${LOG#"$CHROOT"}")" = minsheng ] || fail "log file not owned by minsheng"
if grep -rq "$SECRET" "$CHROOT/var/log/minsheng" "$WORK/serve.out"; then fail "the metrics token is in a log"; fi

say "SIGTERM"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then fail "still running 10 s after SIGTERM"; fi
wait "$SERVER_PID" && rc=0 || rc=$?
SERVER_PID=""
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"

say "a secret written into the file is refused, and not echoed"
sed -i '/^\[sms\]$/a token = "inline-s3cret"' "$CONF"
if as_service /usr/bin/minsheng-server serve >"$WORK/refused.out" 2>&1; then fail "inline secret accepted"; fi
grep -q 'SERVICE_CONFIG\|不得直接写在配置文件中' "$WORK/refused.out" || { cat "$WORK/refused.out"; fail "no clear message"; }
if grep -q 'inline-s3cret' "$WORK/refused.out"; then fail "the refused secret was echoed"; fi

say "removal keeps the city's data"
in_root dpkg --purge minsheng-server >"$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "dpkg --purge"; }
[ ! -e "$CHROOT/usr/bin/minsheng-server" ] || fail "binary left after purge"
[ -f "$CHROOT/var/lib/minsheng/city.db" ] || fail "purge removed the city's database"
say "ok"
