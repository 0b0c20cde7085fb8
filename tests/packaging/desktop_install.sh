#!/usr/bin/env bash
# Installs the desktop app's .deb into a clean Debian root with apt (which must resolve its
# WebKitGTK dependencies from the package's Depends alone) and starts the installed app on
# a private Xvfb display: the main window 民生警务平台 must appear and the process stay up.
# Needs root (chroot) and a Debian mirror. Usage:
#   bash tests/packaging/desktop_install.sh [DEB]
# Default: bundles the debug app already built (scripts/package-desktop.sh --prebuilt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
say() { echo "[desktop-install] $*"; }
fail() { echo "[desktop-install] FAIL: $*" >&2; exit 1; }

DEB="${1:-}"
if [ -z "$DEB" ]; then
  [ -x "$TARGET_DIR/debug/minsheng-desktop" ] || (cd "$ROOT" && cargo build --workspace)
  bash "$ROOT/scripts/package-desktop.sh" --prebuilt
  DEB="$(ls -t "$TARGET_DIR"/debug/bundle/deb/*.deb | head -n 1)"
fi
[ -f "$DEB" ] || fail "no package at $DEB"

WORK="$(mktemp -d)"
CHROOT="$WORK/root"
APP_PID=""
XVFB_PID=""
MOUNTS=()
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  local m
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null || true; done
  # Never delete through a mount that is still there.
  if grep -q " $CHROOT" /proc/mounts; then
    echo "[desktop-install] left $WORK: still mounted" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# shellcheck source=tests/packaging/clean_root.sh
. "$ROOT/tests/packaging/clean_root.sh"
make_clean_root "$CHROOT"
# Fresh kernel filesystems only (no bind mounts of the host's directories).
mount -t proc proc "$CHROOT/proc" && MOUNTS+=("$CHROOT/proc")
mount -t sysfs sysfs "$CHROOT/sys" && MOUNTS+=("$CHROOT/sys")
mkdir -p "$CHROOT/dev/shm"
mount -t tmpfs -o mode=1777 tmpfs "$CHROOT/dev/shm" && MOUNTS+=("$CHROOT/dev/shm")
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
in_root() { chroot "$CHROOT" "$@"; }

say "apt-get install ./$(basename "$DEB") (dependencies from its Depends)"
cp "$DEB" "$CHROOT/tmp/app.deb"
in_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$WORK/apt.log" 2>&1 \
  || { tail -n 20 "$WORK/apt.log"; fail "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/app.deb >>"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log"; fail "apt-get install"; }

BIN="$(in_root dpkg -L minsheng-desktop 2>/dev/null | grep '^/usr/bin/' | head -n 1 || true)"
[ -n "$BIN" ] || { in_root dpkg -L minsheng-desktop || true; fail "the package installs no /usr/bin program"; }
DESKTOP_FILE="$(in_root dpkg -L minsheng-desktop | grep '\.desktop$' | head -n 1 || true)"
[ -n "$DESKTOP_FILE" ] || fail "no .desktop entry"
grep -q '^Name=民生警务平台' "$CHROOT$DESKTOP_FILE" || fail "the menu entry is not named 民生警务平台"
in_root dpkg -L minsheng-desktop | grep '/icons/hicolor/.*\.png$' >/dev/null || fail "no icons"

# A private X display; X clients reach it through the abstract socket, so the root needs
# no bind mount of the host's /tmp/.X11-unix.
DISPLAY_NUM=$((90 + RANDOM % 100))
Xvfb ":$DISPLAY_NUM" -screen 0 1440x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 50); do xdpyinfo -display ":$DISPLAY_NUM" >/dev/null 2>&1 && break; sleep 0.1; done

say "starting $BIN on :$DISPLAY_NUM"
mkdir -p "$CHROOT/tmp/home"
chroot "$CHROOT" env -i DISPLAY=":$DISPLAY_NUM" HOME=/tmp/home LANG=C.UTF-8 \
  XDG_RUNTIME_DIR=/tmp/home MINSHENG_SERVER_URL=http://127.0.0.1:9 \
  WEBKIT_DISABLE_COMPOSITING_MODE=1 PATH=/usr/bin:/bin "$BIN" >"$WORK/app.log" 2>&1 &
APP_PID=$!
found=""
for _ in $(seq 1 150); do
  if xwininfo -display ":$DISPLAY_NUM" -root -tree 2>/dev/null | grep '"民生警务平台"' >/dev/null; then
    found=1; break
  fi
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log"; fail "the app exited"; }
  sleep 0.2
done
[ -n "$found" ] || { cat "$WORK/app.log"; fail "no window 民生警务平台 within 30 s"; }
sleep 3
kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log"; fail "the app died after opening its window"; }
SHOTS="${E2E_SHOTS:-$TARGET_DIR/e2e-shots}"
mkdir -p "$SHOTS"
import -display ":$DISPLAY_NUM" -window root "$SHOTS/installed-deb.png" 2>/dev/null || true
say "window up (screenshot $SHOTS/installed-deb.png)"
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""

say "apt-get remove"
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq minsheng-desktop >>"$WORK/apt.log" 2>&1 \
  || fail "apt-get remove"
[ ! -e "$CHROOT$BIN" ] || fail "$BIN left after removal"
say "ok"
