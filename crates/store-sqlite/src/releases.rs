//! SQLite side of desktop releases (see `minsheng_store::releases`).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{from_ms, ms, SqliteStore};
use crate::{db, DbResult};
use minsheng_store::releases::{ReleaseRecord, ReleaseStore};
use minsheng_store::{StoreError, StoreResult};

pub(super) const MIGRATION: &str = r"
CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    target TEXT NOT NULL,
    bundle TEXT NOT NULL,
    notes TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    published_by_name TEXT NOT NULL,
    withdrawn_at INTEGER
);
CREATE INDEX releases_target ON releases(target, bundle, published_at);
CREATE TABLE release_chunks (
    release_id TEXT NOT NULL REFERENCES releases(id),
    pos INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (release_id, pos)
);
";

const COLS: &str = "id, version, target, bundle, notes, file_name, size, sha256, signature, \
     published_at, published_by, published_by_name, withdrawn_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ReleaseRecord> {
    let by: String = r.get("published_by")?;
    Ok(ReleaseRecord {
        id: r.get("id")?,
        version: r.get("version")?,
        target: r.get("target")?,
        bundle: r.get("bundle")?,
        notes: r.get("notes")?,
        file_name: r.get("file_name")?,
        size: r.get::<_, i64>("size")?.try_into().unwrap_or_default(),
        sha256: r.get("sha256")?,
        signature: r.get("signature")?,
        published_at: from_ms(r.get("published_at")?),
        published_by: by.parse().map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("bad user id {by}").into(),
            )
        })?,
        published_by_name: r.get("published_by_name")?,
        withdrawn_at: r.get::<_, Option<i64>>("withdrawn_at")?.map(from_ms),
    })
}

fn load(conn: &Connection, id: &str) -> DbResult<Option<ReleaseRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM releases WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

fn list(
    conn: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> DbResult<Vec<ReleaseRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM releases {filter} ORDER BY published_at DESC, id DESC"
    ))?;
    let rows = stmt.query_map(args, from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl ReleaseStore for SqliteStore {
    fn insert_release(
        &self,
        rec: &ReleaseRecord,
        content: &[u8],
        chunk_bytes: usize,
    ) -> StoreResult<()> {
        db(|| {
            self.write(|tx| {
                tx.execute(
                    &format!(
                        "INSERT INTO releases({COLS})
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                    ),
                    params![
                        rec.id,
                        rec.version,
                        rec.target,
                        rec.bundle,
                        rec.notes,
                        rec.file_name,
                        i64::try_from(rec.size).unwrap_or(i64::MAX),
                        rec.sha256,
                        rec.signature,
                        ms(rec.published_at),
                        rec.published_by.to_string(),
                        rec.published_by_name,
                        rec.withdrawn_at.map(ms),
                    ],
                )?;
                let mut put = tx.prepare_cached(
                    "INSERT INTO release_chunks(release_id, pos, data) VALUES (?1, ?2, ?3)",
                )?;
                for (pos, chunk) in content.chunks(chunk_bytes.max(1)).enumerate() {
                    put.execute(params![
                        rec.id,
                        i64::try_from(pos).unwrap_or(i64::MAX),
                        chunk
                    ])?;
                }
                Ok(())
            })
        })
    }

    fn releases_for(&self, target: &str, bundle: &str) -> StoreResult<Vec<ReleaseRecord>> {
        db(|| {
            list(
                &*self.conn()?,
                "WHERE target = ?1 AND bundle = ?2",
                &[&target, &bundle],
            )
        })
    }

    fn all_releases(&self) -> StoreResult<Vec<ReleaseRecord>> {
        db(|| list(&*self.conn()?, "", &[]))
    }

    fn release(&self, id: &str) -> StoreResult<Option<ReleaseRecord>> {
        db(|| load(&*self.conn()?, id))
    }

    fn release_chunk(&self, id: &str, index: u64) -> StoreResult<Option<Vec<u8>>> {
        db(|| {
            Ok(self
                .conn()?
                .prepare_cached(
                    "SELECT data FROM release_chunks WHERE release_id = ?1 AND pos = ?2",
                )?
                .query_row(params![id, i64::try_from(index).unwrap_or(i64::MAX)], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?)
        })
    }

    fn withdraw_release(&self, id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                if load(tx, id)?.is_none() {
                    return Err(StoreError::NotFound("版本").into());
                }
                let n = tx.execute(
                    "UPDATE releases SET withdrawn_at = ?2 WHERE id = ?1 AND withdrawn_at IS NULL",
                    params![id, ms(at)],
                )?;
                Ok(n == 1)
            })
        })
    }
}
