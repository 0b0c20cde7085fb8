//! The storage contract's conformance suite on the SQLite backend: each test gets a
//! fresh database file in its own temp dir.

use minsheng_store_sqlite::SqliteStore;

struct Fresh {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Fresh {
    type Target = SqliteStore;
    fn deref(&self) -> &SqliteStore {
        &self.store
    }
}

fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("city.db")).expect("open a new database");
    Fresh { store, _dir: dir }
}

minsheng_store::conformance_tests!(Some(fresh()));
