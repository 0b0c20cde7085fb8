#!/usr/bin/env bash
# Builds the city server's Debian package: target/packages/minsheng-server_<version>_<arch>.deb
# with the binary, the systemd unit, /etc/minsheng/server.toml (a conffile) and the
# maintainer scripts from packaging/server/. Needs only dpkg-deb (Debian's own).
#   bash scripts/package-server.sh            release build (what ships)
#   PACKAGE_PROFILE=debug bash scripts/package-server.sh   the debug binary (install tests)
#   PACKAGE_PROFILE=prebuilt …   the debug binary as already built
# OUT_DIR moves the output; CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROFILE="${PACKAGE_PROFILE:-release}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT_DIR="${OUT_DIR:-$TARGET_DIR/packages}"
SRC="$ROOT/packaging/server"

say() { echo "[package-server] $*"; }

if [ "$PROFILE" = release ]; then
  cargo build --release -p minsheng-server --bin minsheng-server
  BIN="$TARGET_DIR/release/minsheng-server"
elif [ "$PROFILE" = prebuilt ]; then
  # The debug binary the test stages already built (no rebuild with another feature set).
  BIN="$TARGET_DIR/debug/minsheng-server"
  [ -x "$BIN" ] || { echo "[package-server] no $BIN: build it first" >&2; exit 1; }
else
  cargo build -p minsheng-server --bin minsheng-server
  BIN="$TARGET_DIR/debug/minsheng-server"
fi

VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
chmod 0755 "$STAGE"

install -D -m 0755 "$BIN" "$STAGE/usr/bin/minsheng-server"
[ "$PROFILE" = release ] && strip "$STAGE/usr/bin/minsheng-server"
install -D -m 0644 "$SRC/minsheng-server.service" "$STAGE/lib/systemd/system/minsheng-server.service"
install -D -m 0640 "$SRC/server.toml" "$STAGE/etc/minsheng/server.toml"
install -d -m 0750 "$STAGE/etc/minsheng" "$STAGE/etc/minsheng/secrets"
install -D -m 0644 "$SRC/README.Debian" "$STAGE/usr/share/doc/minsheng-server/README.Debian"
install -d "$STAGE/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "$SRC/$script" "$STAGE/DEBIAN/$script"
done
echo "/etc/minsheng/server.toml" >"$STAGE/DEBIAN/conffiles"
SIZE_KB="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat >"$STAGE/DEBIAN/control" <<CONTROL
Package: minsheng-server
Version: $VERSION
Architecture: $ARCH
Maintainer: 民生警务平台 <ops@minsheng.invalid>
Installed-Size: $SIZE_KB
Depends: libc6 (>= 2.31), passwd
Section: net
Priority: optional
Description: 民生警务平台 市局服务器 (city server)
 The city REST server of the livelihood-policing platform: case intake and
 routing, deadlines, follow-ups, assessment and the desktops' sync. Runs on an
 embedded SQLite file or on PostgreSQL; a systemd unit and
 /etc/minsheng/server.toml are included.
CONTROL

mkdir -p "$OUT_DIR"
DEB="$OUT_DIR/minsheng-server_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
say "built $DEB ($(du -h "$DEB" | cut -f1))"
