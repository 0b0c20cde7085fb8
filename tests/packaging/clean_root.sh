# Sourced by the install tests: `make_clean_root DIR` unpacks a clean Debian 12 root
# (mmdebstrap, minbase, with systemd for `systemd-analyze verify`) into DIR. The root is
# built once per machine and day and kept as a tarball under the target dir.
make_clean_root() {
  local dir="$1"
  local target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
  local cache
  cache="$target_dir/packaging/bookworm-minbase-$(date +%Y%m%d).tar"
  if [ ! -f "$cache" ]; then
    echo "[clean-root] building a clean Debian root (mmdebstrap minbase)"
    mkdir -p "$(dirname "$cache")"
    rm -f "$target_dir"/packaging/bookworm-minbase-*.tar
    mmdebstrap --quiet --variant=minbase --include=ca-certificates,systemd bookworm "$cache.part.tar"
    mv "$cache.part.tar" "$cache"
  fi
  mkdir -p "$dir"
  tar -C "$dir" -xf "$cache"
}
