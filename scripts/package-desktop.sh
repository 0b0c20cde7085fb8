#!/usr/bin/env bash
# Builds the Linux desktop installers: the .deb with the Tauri CLI (ui/node_modules, from
# npm), then the AppImage of the same binary (scripts/package-appimage.sh):
#   bash scripts/package-desktop.sh            release .deb -> target/release/bundle/deb/,
#                                              AppImage -> target/packages/
#   bash scripts/package-desktop.sh --debug    debug build (the install test's)
# A Debian package name must be ASCII, so the .deb is built as `minsheng-desktop`; its menu
# entry still reads 民生警务平台 (packaging/desktop/*.desktop.hbs), as does the window.
# The Windows installers: see "Desktop installers" in the README.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# --prebuilt: bundle the debug binary `cargo build --workspace` left in the target dir
# (the e2e stage's) instead of building again with another feature set.
PROFILE=()
COMMAND=build
for arg in "$@"; do
  case "$arg" in
    --debug) PROFILE=(--debug) ;;
    --prebuilt) PROFILE=(--debug); COMMAND=bundle ;;
    *) echo "usage: package-desktop.sh [--debug|--prebuilt]" >&2; exit 2 ;;
  esac
done
[ -x ui/node_modules/.bin/tauri ] || (cd ui && npm ci --no-audit --no-fund)
ui/node_modules/.bin/tauri "$COMMAND" "${PROFILE[@]}" --bundles deb \
  --config '{"productName": "minsheng-desktop"}'
# The AppImage of the binary just bundled (for systems with an older WebKitGTK/glibc).
BUILT=release
[ "${#PROFILE[@]}" -gt 0 ] && BUILT=debug
bash scripts/package-appimage.sh --prebuilt "${CARGO_TARGET_DIR:-$ROOT/target}/$BUILT/minsheng-desktop"
