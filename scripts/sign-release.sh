#!/usr/bin/env bash
# Signs a desktop package for updates served by the city server (issue 17):
#
#   bash scripts/sign-release.sh KEYFILE PACKAGE VERSION
#
# Writes PACKAGE.sig: base64 of a minisign signature whose trusted comment is
# `timestamp:<unix>\tfile:<name>\tversion:<VERSION>` (what `tauri signer sign` writes and
# what the app's `requireSignedVersion` checks). The admin uploads PACKAGE and PACKAGE.sig
# in 系统管理 › 版本发布; the server checks them against its copy of the public key.
#
# KEYFILE is the release's secret key: a minisign key (`minisign -G`, starts with
# "untrusted comment:") or a key from `tauri signer generate` (the same key, base64).
# minisign asks for the key's password unless it was made without one (`-W`).
# Needs the minisign CLI (Debian/Ubuntu/Kylin/UOS: `apt install minisign`).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 KEYFILE PACKAGE VERSION" >&2
  exit 2
fi
key=$1 package=$2 version=$3
command -v minisign >/dev/null || { echo "minisign not found: apt install minisign" >&2; exit 1; }
[ -f "$key" ] || { echo "no key file: $key" >&2; exit 1; }
[ -f "$package" ] || { echo "no package: $package" >&2; exit 1; }
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  echo "not a semantic version (e.g. 0.2.0): $version" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A `tauri signer` key is the minisign key file in base64.
if head -c 18 "$key" | grep -q '^untrusted comment'; then
  cp "$key" "$work/key"
else
  base64 -d "$key" > "$work/key"
fi
name=$(basename "$package")
trusted=$(printf 'timestamp:%s\tfile:%s\tversion:%s' "$(date +%s)" "$name" "$version")
minisign -S -s "$work/key" -m "$package" -x "$work/sig" -t "$trusted" -c "signature from tauri secret key"
base64 -w0 "$work/sig" > "$package.sig"
echo "$package.sig"
