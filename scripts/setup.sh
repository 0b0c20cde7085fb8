#!/usr/bin/env bash
# Installs what the project needs and builds the UI, doing only what is missing.
# Usage: bash scripts/setup.sh [--e2e]
#   --e2e   also install tauri-driver (end-to-end tests through the real app)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

E2E=0
for arg in "$@"; do
  case "$arg" in
    --e2e) E2E=1 ;;
    -h | --help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*"; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

# Runs a noisy command with its output in a log; shows the tail only when it fails.
quietly() {
  local log
  log="$(mktemp)"
  if "$@" >"$log" 2>&1; then
    rm -f "$log"
  else
    local rc=$?
    echo "[setup] FAILED: $*" >&2
    tail -n 40 "$log" >&2
    rm -f "$log"
    return "$rc"
  fi
}

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "[setup] $tool is required but not on PATH" >&2; exit 1; }
done

# --- system packages (Tauri/WebKitGTK build deps, Xvfb, keyring, CJK fonts; poppler-utils:
# pdftotext/pdfinfo/pdffonts read the printed documents back in tests; minisign: the update
# tests sign a package with scripts/sign-release.sh; squashfs-tools, patchelf: mksquashfs packs
# the AppImage and patchelf points its programs at the bundled libraries,
# scripts/package-appimage.sh) ---
APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential curl wget file libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev pkg-config xvfb webkit2gtk-driver
  xauth dbus-x11 imagemagick gnome-keyring libsecret-tools libdbus-1-dev keyutils fonts-noto-cjk
  poppler-utils minisign
  python3-venv mmdebstrap x11-utils squashfs-tools patchelf
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # dpkg -s alone also succeeds for removed packages whose config files remain.
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${#missing[@]} apt package(s): ${missing[*]}"
  quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "apt packages: all present"
fi

# --- ui dependencies: reinstall only when package-lock.json changed ---
lock_hash="$( (sha256sum ui/package-lock.json; node --version) | sha256sum | cut -d' ' -f1)"
stamp=ui/node_modules/.minsheng-lock-stamp
if [ -d ui/node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" = "$lock_hash" ]; then
  say "ui/node_modules: up to date"
else
  say "npm ci in ui/"
  (cd ui && quietly npm ci --no-audit --no-fund)
  echo "$lock_hash" >"$stamp"
fi

# --- ui/dist: rebuild when missing or older than any UI source ---
ui_sources=(ui/src ui/public ui/index.html ui/package-lock.json ui/vite.config.ts ui/tsconfig.json)
if [ ! -f ui/dist/index.html ] || [ -n "$(find "${ui_sources[@]}" -newer ui/dist/index.html -print -quit)" ]; then
  say "building ui/dist"
  (cd ui && quietly npm run build)
  touch ui/dist/index.html
else
  say "ui/dist: up to date"
fi

# --- cargo-deny (scripts/deny.sh): the version deny.toml was written for ---
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
CARGO_DENY_VERSION=0.20.2
if [ "$(cargo-deny --version 2>/dev/null)" = "cargo-deny $CARGO_DENY_VERSION" ]; then
  say "cargo-deny: present"
else
  say "cargo install cargo-deny@$CARGO_DENY_VERSION (a few minutes, once)"
  # Built for a quick install, not for speed: it checks one workspace in seconds either
  # way, and a clean CI machine installs it on every run (opt-level 1, no LTO, many units).
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 \
    quietly cargo install --locked "cargo-deny@$CARGO_DENY_VERSION"
fi

# --- end-to-end driver ---
if [ "$E2E" -eq 1 ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
  if command -v tauri-driver >/dev/null; then
    say "tauri-driver: present"
  else
    say "cargo install tauri-driver"
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=64 \
      quietly cargo install tauri-driver --locked --version '^2'
  fi
fi
