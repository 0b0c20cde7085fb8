//! Worker locks (`Store::worker_lock`) of the SQLite backend. One server process serves
//! an SQLite file, but a process may open one file twice (a second state in tests, a
//! tool): the table is process-wide, per file.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Condvar, LazyLock, Mutex, PoisonError};

use minsheng_store::WorkerLock;

type Key = (PathBuf, String);

static HELD: LazyLock<(Mutex<HashSet<Key>>, Condvar)> =
    LazyLock::new(|| (Mutex::new(HashSet::new()), Condvar::new()));

/// Releases its lock when dropped.
struct Held(Key);

impl Drop for Held {
    fn drop(&mut self) {
        let (set, freed) = &*HELD;
        set.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.0);
        freed.notify_all();
    }
}

/// Takes `name` on the file `path` (canonical), waiting when asked.
pub(crate) fn take(path: &std::path::Path, name: &str, wait: bool) -> Option<WorkerLock> {
    let key = (path.to_owned(), name.to_owned());
    let (set, freed) = &*HELD;
    let mut held = set.lock().unwrap_or_else(PoisonError::into_inner);
    while held.contains(&key) {
        if !wait {
            return None;
        }
        held = freed.wait(held).unwrap_or_else(PoisonError::into_inner);
    }
    held.insert(key.clone());
    Some(WorkerLock::new(Held(key)))
}
