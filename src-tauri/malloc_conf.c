/* jemalloc's options for the desktop binary, read when the allocator starts (before main).
 * build.rs links this object into the binary only; its definition overrides jemalloc's
 * weak empty one. A C file because the workspace forbids unsafe Rust, which exporting an
 * unmangled symbol from Rust counts as. Options are applied after the crate's built-in
 * `background_thread:true` and before the `MALLOC_CONF` environment variable:
 *
 *   narenas:1          one arena instead of four per core: the first sync decodes on the
 *                      async runtime's workers, and each worker's arena kept its own
 *                      partly used pages afterwards.
 *   dirty_decay_ms:1000, muzzy_decay_ms:0
 *                      freed pages go back to the OS after about a second (default 10 s),
 *                      and at once rather than through the lazily reclaimed "muzzy" state.
 *   tcache_max:1024, tcache_nslots_small_max:32
 *                      smaller per-thread caches (default: objects up to 32 kB, 200 per
 *                      size): the app has ~15 threads, each kept its own stock.
 *
 * Measured with scripts/measure-desktop.sh: the app process ~7 MB smaller after the first
 * sync of 20,000 cases (~2.5 MB of it from the smaller thread caches), with the same sync
 * time. */
#define CONF "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:1024,tcache_nslots_small_max:32"

#ifdef MINSHENG_JEMALLOC_PREFIXED
const char *_rjem_malloc_conf = CONF;
#else
const char *malloc_conf = CONF;
#endif
