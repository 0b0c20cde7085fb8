//! The storage contract's conformance suite on the PostgreSQL backend: each test gets
//! its own schema in the cluster `MINSHENG_TEST_DATABASE_URL` names (scripts/pg.sh
//! starts a throwaway one), dropped afterwards. Without the variable the tests fail,
//! unless MINSHENG_ALLOW_NO_POSTGRES=1 says to skip them.

use minsheng_store_postgres::PgStore;

struct Fresh(Option<PgStore>);

impl std::ops::Deref for Fresh {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        self.0.as_ref().expect("open until dropped")
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            let _ = s.drop_schema();
        }
    }
}

fn fresh() -> Option<Fresh> {
    let Ok(url) = std::env::var("MINSHENG_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("MINSHENG_ALLOW_NO_POSTGRES").as_deref() == Ok("1"),
            "MINSHENG_TEST_DATABASE_URL is not set: run under `bash scripts/pg.sh run cargo test …` \
             (or set MINSHENG_ALLOW_NO_POSTGRES=1 to skip the PostgreSQL tests explicitly)"
        );
        eprintln!("SKIPPED (MINSHENG_ALLOW_NO_POSTGRES=1): no PostgreSQL");
        return None;
    };
    let schema = format!("conf_{}", uuid::Uuid::now_v7().simple());
    let store = PgStore::open_in(&url, Some(&schema)).expect("open a fresh schema");
    Some(Fresh(Some(store)))
}

minsheng_store::conformance_tests!(fresh());
