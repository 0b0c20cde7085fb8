#!/usr/bin/env bash
# Builds the desktop app as an AppImage that carries its own GTK/WebKitGTK 4.1 stack:
#   bash scripts/package-appimage.sh                 release build (built if missing)
#   bash scripts/package-appimage.sh --prebuilt BIN  package BIN (the install test's debug app)
# -> target/packages/minsheng-desktop_<version>_x86_64.AppImage
#
# Tauri's own AppImage bundler downloads linuxdeploy and the AppImage runtime from GitHub,
# which the build network (package registries only) cannot reach. Here the AppDir is
# assembled by this script and packed the way the crates.io crate `appimage` 0.4.0 packs
# one: its bundled type-2 runtime (assets/runtime-x86_64, fetched by cargo from crates.io at
# build time, never committed) followed by a gzip squashfs of the AppDir (mksquashfs from
# Debian's squashfs-tools; that runtime reads zlib squashfs only).
#
# The AppDir: usr/bin/minsheng-desktop, the shared libraries it and WebKit's helper
# processes need beyond a desktop's base system (usr/lib), the helpers themselves, the
# gdk-pixbuf loaders, GIO's TLS module, GTK's GSettings schemas, the .desktop entry and
# icon, and AppRun. Everything runs from the AppDir (AppRun changes to it):
#  - libwebkit2gtk finds its helpers through a compiled-in absolute path
#    (/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1); as Tauri's AppImages do, the bundled copy
#    has "/usr" in that path rewritten to "././" (same length), which resolves to
#    AppDir/lib/x86_64-linux-gnu/webkit2gtk-4.1.
#  - glibc is bundled too, so that systems with an older glibc than the build machine's
#    (Debian 11, Ubuntu 20.04, Kylin V10, UOS 20) run it: the app and the helpers are
#    started by the bundled dynamic loader (their ELF interpreter is set, with patchelf, to
#    the relative path lib64/ld-linux-x86-64.so.2) and every bundled ELF file finds the
#    bundled libraries through its RUNPATH ($ORIGIN/...), not LD_LIBRARY_PATH, so programs
#    of the system that the app starts keep the system's own libraries.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
say() { echo "[appimage] $*"; }
fail() { echo "[appimage] FAIL: $*" >&2; exit 1; }

BIN=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --prebuilt) [ "$#" -ge 2 ] || fail "--prebuilt needs a binary"; BIN="$2"; shift 2 ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "usage: package-appimage.sh [--prebuilt BIN]" >&2; exit 2 ;;
  esac
done
if [ -z "$BIN" ]; then
  BIN="$TARGET_DIR/release/minsheng-desktop"
  [ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p minsheng-desktop)
fi
[ -x "$BIN" ] || fail "no app binary at $BIN"
for tool in mksquashfs patchelf python3 cargo ldd strip; do
  command -v "$tool" >/dev/null || fail "$tool is required (bash scripts/setup.sh installs it)"
done
[ "$(uname -m)" = x86_64 ] || fail "the bundled runtime is x86_64 only"

MULTIARCH=/usr/lib/x86_64-linux-gnu
WEBKIT_HELPERS="$MULTIARCH/webkit2gtk-4.1"
PIXBUF_DIR="$MULTIARCH/gdk-pixbuf-2.0/2.10.0/loaders"
[ -x "$WEBKIT_HELPERS/WebKitWebProcess" ] || fail "no WebKitGTK 4.1 (libwebkit2gtk-4.1-0) on this machine"

VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1)"
[ -n "$VERSION" ] || fail "no version in Cargo.toml"
WORK="$TARGET_DIR/appimage"
APPDIR="$WORK/minsheng-desktop.AppDir"
OUT_DIR="$TARGET_DIR/packages"
OUT="$OUT_DIR/minsheng-desktop_${VERSION}_x86_64.AppImage"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/bin" "$APPDIR/usr/lib" "$OUT_DIR"

# --- the runtime, from the crates.io crate `appimage` (cargo checks the crate's checksum
# against the registry index; the pinned hash below guards the bytes we prepend) ---
RUNTIME_SHA256=328e0d745c5c6817048c27bc3e8314871703f8f47ffa81a37cb06cd95a94b323
mkdir -p "$WORK/runtime-crate/src"
cat >"$WORK/runtime-crate/Cargo.toml" <<'EOF'
# Written by scripts/package-appimage.sh: only resolved (never built) to locate the
# AppImage runtime that the crate `appimage` ships.
[package]
name = "appimage-runtime-source"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
appimage = "=0.4.0"

[workspace]
EOF
echo 'fn main() {}' >"$WORK/runtime-crate/src/main.rs"
CRATE_MANIFEST="$(cargo metadata --quiet --format-version 1 \
  --manifest-path "$WORK/runtime-crate/Cargo.toml" | python3 -c '
import json, sys
meta = json.load(sys.stdin)
print(next(p["manifest_path"] for p in meta["packages"] if p["name"] == "appimage"))')"
RUNTIME="$(dirname "$CRATE_MANIFEST")/assets/runtime-x86_64"
[ -f "$RUNTIME" ] || fail "the crate appimage has no assets/runtime-x86_64 ($CRATE_MANIFEST)"
read -r runtime_sum _ < <(sha256sum "$RUNTIME")
[ "$runtime_sum" = "$RUNTIME_SHA256" ] || fail "unexpected AppImage runtime $RUNTIME ($runtime_sum)"

# --- the app and WebKit's helper processes ---
say "AppDir from $BIN"
# Debug info is of no use in an installer (the debug build shrinks from 170 MB to 45 MB).
strip --strip-debug -o "$APPDIR/usr/bin/minsheng-desktop" "$BIN"
HELPERS_DEST="$APPDIR/lib/x86_64-linux-gnu/webkit2gtk-4.1"
mkdir -p "$HELPERS_DEST/injected-bundle"
for helper in WebKitWebProcess WebKitNetworkProcess WebKitGPUProcess; do
  if [ -x "$WEBKIT_HELPERS/$helper" ]; then cp -L "$WEBKIT_HELPERS/$helper" "$HELPERS_DEST/"; fi
done
cp -L "$WEBKIT_HELPERS/injected-bundle/libwebkit2gtkinjectedbundle.so" "$HELPERS_DEST/injected-bundle/"

# gdk-pixbuf loaders (PNG/JPEG are built into gdk-pixbuf; SVG, ICO, GIF... are modules).
mkdir -p "$APPDIR/usr/lib/gdk-pixbuf-2.0/loaders"
cp -L "$PIXBUF_DIR"/*.so "$APPDIR/usr/lib/gdk-pixbuf-2.0/loaders/"
# GIO: only the TLS backend (glib-networking) for WebKit's network process. GIO_MODULE_DIR
# points here, so the system's modules (built for its own GLib) are not mixed in.
mkdir -p "$APPDIR/usr/lib/gio/modules"
if [ -f "$MULTIARCH/gio/modules/libgiognutls.so" ]; then
  cp -L "$MULTIARCH/gio/modules/libgiognutls.so" "$APPDIR/usr/lib/gio/modules/"
fi

# --- the shared libraries: the ldd closure of every ELF file above, minus the excludelist ---
# Not bundled, after the AppImage project's excludelist (what linuxdeploy leaves out),
# except glibc (bundled whole with its loader, see above; the system's gconv charset modules
# and non-glibc NSS modules such as sss or ldap are still loaded from the system):
#  - libGL/libEGL/libGLX/libGLdispatch/libGLESv2/libOpenGL/libglapi, libdrm_<gpu>: tied to
#    the machine's GPU driver (Mesa or vendor), loaded with it.
#  - libX11, libX11-xcb, libxcb*, libXau, libXdmcp: the X client core every desktop has;
#    Mesa's drivers load the system's libxcb and must share one copy with us.
#  - libasound: must match the system's ALSA configuration and plugins.
#  - libgpg-error, libz, libcom_err, libudev: base-system libraries with a stable ABI that
#    other system libraries loaded into the process (NSS, PAM, GPU drivers) also link.
# Bundled although the excludelist leaves them out: libstdc++ and libgcc_s (WebKitGTK needs
# the build machine's GLIBCXX_3.4.30), and FreeType, fontconfig and expat (the bundled
# HarfBuzz/Pango need FreeType >= 2.11, Debian 11 has 2.10; fontconfig reads the system's
# fonts.conf, which is forward compatible), libgbm and libdrm (WebKitGTK 2.50 calls
# gbm_bo_create_with_modifiers2 and drmGetFormatModifierName: Mesa >= 21.3, libdrm >=
# 2.4.108; Debian 11 has 20.3 and 2.4.104; AppRun keeps WebKit from allocating through
# GBM, whose drivers stay the system's). Fonts stay the system's; the app carries its own
# CJK font.
is_glibc() {
  case "$1" in
    ld-linux*.so* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libresolv.so.* | libutil.so.* | libanl.so.* | libmvec.so.* | libnss_*.so.* | \
      libthread_db.so.* | libBrokenLocale.so.*) return 0 ;;
  esac
  return 1
}
is_excluded() {
  case "$1" in
    libGL.so.* | libEGL.so.* | libGLX.so.* | libGLdispatch.so.* | libGLESv2.so.* | \
      libOpenGL.so.* | libdrm_*.so.* | libglapi.so.*) return 0 ;;
    libX11.so.* | libX11-xcb.so.* | libxcb.so.* | libxcb-*.so.* | libXau.so.* | libXdmcp.so.*) return 0 ;;
    libasound.so.* | libgpg-error.so.* | libz.so.* | libcom_err.so.* | libudev.so.*) return 0 ;;
  esac
  return 1
}

mapfile -t seeds < <(find "$APPDIR" -type f \( -name '*.so' -o -perm -u+x \) | sort)
declare -A bundled=()
missing=""
for elf in "${seeds[@]}"; do
  deps="$(ldd "$elf")" || continue # not a dynamic ELF file
  while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$path" = "not" ]; then missing+=" $name (for $(basename "$elf"))"; continue; fi
    is_excluded "$name" && continue
    [ -n "${bundled[$name]:-}" ] && continue
    cp -L "$path" "$APPDIR/usr/lib/$name"
    bundled[$name]=1
  done <<<"$deps"
done
[ -z "$missing" ] || fail "libraries not found on this machine:$missing"
say "${#bundled[@]} shared libraries bundled"

# glibc whole, with its loader. The executables list every glibc library as needed, so
# they are loaded before any library of the system (Mesa's drivers, which need librt) and
# those then find them loaded by name instead of the system's copies, which would not
# work with the bundled libc.
GLIBC_LIBS=(libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2
  libutil.so.1 libanl.so.1 libmvec.so.1 libnsl.so.1 libnss_compat.so.2 libnss_dns.so.2
  libnss_files.so.2 libnss_hesiod.so.2)
add_needed=()
for lib in "${GLIBC_LIBS[@]}"; do
  cp -L "$MULTIARCH/$lib" "$APPDIR/usr/lib/$lib"
  add_needed+=(--add-needed "$lib")
done
mkdir -p "$APPDIR/lib64"
cp -L /lib64/ld-linux-x86-64.so.2 "$APPDIR/lib64/ld-linux-x86-64.so.2"
for exe in "$APPDIR/usr/bin/minsheng-desktop" "$HELPERS_DEST"/WebKit*Process; do
  patchelf --set-interpreter lib64/ld-linux-x86-64.so.2 "${add_needed[@]}" "$exe"
done
while read -r elf; do
  is_glibc "$(basename "$elf")" && continue
  dir="$(dirname "${elf#"$APPDIR"/}")"
  up="$(sed -E 's|[^/]+|..|g' <<<"$dir")"
  patchelf --set-rpath "\$ORIGIN/$up/usr/lib" "$elf"
done < <(find "$APPDIR/usr" "$APPDIR/lib" -type f \( -name '*.so*' -o -perm -u+x \) -exec sh -c \
  'for f; do case "$(head -c 4 "$f")" in *ELF) echo "$f" ;; esac; done' sh {} +)

# The compiled-in helper path of libwebkit2gtk, made relative to the AppDir.
python3 - "$APPDIR/usr/lib/libwebkit2gtk-4.1.so.0" <<'EOF'
import sys
path = sys.argv[1]
old = b"/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1"
new = b"././/lib/x86_64-linux-gnu/webkit2gtk-4.1"
assert len(old) == len(new)
data = open(path, "rb").read()
count = data.count(old)
if count == 0:
    sys.exit("no WebKit helper path in " + path)
open(path, "wb").write(data.replace(old, new))
print(f"[appimage] libwebkit2gtk: {count} helper path(s) made relative to the AppDir")
EOF

# Loader paths relative to the AppDir (AppRun runs from it), like the helpers' path.
sed "s|\"$PIXBUF_DIR/|\"./usr/lib/gdk-pixbuf-2.0/loaders/|" "$PIXBUF_DIR/../loaders.cache" \
  >"$APPDIR/usr/lib/gdk-pixbuf-2.0/loaders.cache"

# GTK's own schemas (its file chooser and colour chooser abort without them).
SCHEMAS="$APPDIR/usr/share/glib-2.0/schemas"
mkdir -p "$SCHEMAS"
cp /usr/share/glib-2.0/schemas/org.gtk.Settings.*.gschema.xml "$SCHEMAS/"
glib-compile-schemas "$SCHEMAS"

# --- desktop entry, icon, AppRun ---
cat >"$APPDIR/minsheng-desktop.desktop" <<'EOF'
[Desktop Entry]
Type=Application
Name=民生警务平台
Comment=民生警务平台桌面客户端
Exec=minsheng-desktop
Icon=minsheng-desktop
Terminal=false
Categories=Office;
EOF
cp "$ROOT/icons/128x128.png" "$APPDIR/minsheng-desktop.png"
mkdir -p "$APPDIR/usr/share/icons/hicolor/128x128/apps" "$APPDIR/usr/share/applications"
cp "$ROOT/icons/128x128.png" "$APPDIR/usr/share/icons/hicolor/128x128/apps/minsheng-desktop.png"
cp "$APPDIR/minsheng-desktop.desktop" "$APPDIR/usr/share/applications/"
ln -s minsheng-desktop.png "$APPDIR/.DirIcon"
cat >"$APPDIR/AppRun" <<'EOF'
#!/bin/sh
# Starts 民生警务平台 with the libraries, helpers and data inside this AppDir.
set -e
APPDIR="$(dirname "$(readlink -f "$0")")"
export APPDIR
# The app, its loader (lib64/), WebKit's helpers and gdk-pixbuf's loaders are found
# relative to here.
cd "$APPDIR"
# No LD_LIBRARY_PATH: the bundled ELF files carry RUNPATHs (and bundled glibc must not
# reach the system's programs that the app starts).
export GDK_PIXBUF_MODULE_FILE="$APPDIR/usr/lib/gdk-pixbuf-2.0/loaders.cache"
export GDK_PIXBUF_MODULEDIR="$APPDIR/usr/lib/gdk-pixbuf-2.0/loaders"
export GIO_MODULE_DIR="$APPDIR/usr/lib/gio/modules"
export GSETTINGS_SCHEMA_DIR="$APPDIR/usr/share/glib-2.0/schemas"
export XDG_DATA_DIRS="$APPDIR/usr/share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
# The bundled libgbm would load the system's (older) Mesa drivers to allocate WebKit's
# DMA-BUF buffers; leave GBM unused, the renderer shares its buffers through memory.
export WEBKIT_DMABUF_RENDERER_DISABLE_GBM="${WEBKIT_DMABUF_RENDERER_DISABLE_GBM:-1}"
# No GStreamer plugins are bundled; keep the system's (built for its own GStreamer) out.
export GST_PLUGIN_SYSTEM_PATH_1_0="$APPDIR/usr/lib/gstreamer-1.0"
exec "$APPDIR/usr/bin/minsheng-desktop" "$@"
EOF
chmod 755 "$APPDIR/AppRun"

# --- pack: runtime + squashfs, as appimage::AppImage::build does ---
say "mksquashfs ($(du -sh "$APPDIR" | cut -f1) AppDir)"
rm -f "$WORK/minsheng-desktop.squashfs"
mksquashfs "$APPDIR" "$WORK/minsheng-desktop.squashfs" -root-owned -noappend -quiet -comp gzip >/dev/null
cat "$RUNTIME" "$WORK/minsheng-desktop.squashfs" >"$OUT.part"
chmod 755 "$OUT.part"
mv "$OUT.part" "$OUT"
rm -f "$WORK/minsheng-desktop.squashfs"
say "$OUT ($(du -h "$OUT" | cut -f1))"
