//! PostgreSQL: `ReleaseStore` (see `minsheng_store::releases`). The package bytes are
//! rows of `release_chunks` (BYTEA), so every instance on the database serves them.

use chrono::{DateTime, Utc};
use minsheng_store::releases::{ReleaseRecord, ReleaseStore};
use minsheng_store::{StoreError, StoreResult};
use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use crate::{db, from_ms, ms, DbResult, PgStore};

const COLS: &str = "id, version, target, bundle, notes, file_name, size, sha256, signature, \
     published_at, published_by, published_by_name, withdrawn_at";

fn from_row(r: &Row) -> DbResult<ReleaseRecord> {
    Ok(ReleaseRecord {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        target: r.try_get("target")?,
        bundle: r.try_get("bundle")?,
        notes: r.try_get("notes")?,
        file_name: r.try_get("file_name")?,
        size: u64::try_from(r.try_get::<_, i64>("size")?).unwrap_or_default(),
        sha256: r.try_get("sha256")?,
        signature: r.try_get("signature")?,
        published_at: from_ms(r.try_get("published_at")?),
        published_by: r
            .try_get::<_, String>("published_by")?
            .parse()
            .map_err(|_| StoreError::Internal("releases: bad user id".into()))?,
        published_by_name: r.try_get("published_by_name")?,
        withdrawn_at: r.try_get::<_, Option<i64>>("withdrawn_at")?.map(from_ms),
    })
}

fn load(c: &mut impl GenericClient, id: &str) -> DbResult<Option<ReleaseRecord>> {
    c.query_opt(
        &format!("SELECT {COLS} FROM releases WHERE id = $1"),
        &[&id],
    )?
    .as_ref()
    .map(from_row)
    .transpose()
}

fn list(
    c: &mut impl GenericClient,
    filter: &str,
    args: &[&(dyn ToSql + Sync)],
) -> DbResult<Vec<ReleaseRecord>> {
    c.query(
        &format!(
            "SELECT {COLS} FROM releases {filter}
              ORDER BY published_at DESC, id COLLATE \"C\" DESC"
        ),
        args,
    )?
    .iter()
    .map(from_row)
    .collect()
}

impl ReleaseStore for PgStore {
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
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    ),
                    &[
                        &rec.id,
                        &rec.version,
                        &rec.target,
                        &rec.bundle,
                        &rec.notes,
                        &rec.file_name,
                        &i64::try_from(rec.size).unwrap_or(i64::MAX),
                        &rec.sha256,
                        &rec.signature,
                        &ms(rec.published_at),
                        &rec.published_by.to_string(),
                        &rec.published_by_name,
                        &rec.withdrawn_at.map(ms),
                    ],
                )?;
                let put = tx.prepare(
                    "INSERT INTO release_chunks(release_id, pos, data) VALUES ($1, $2, $3)",
                )?;
                for (pos, chunk) in content.chunks(chunk_bytes.max(1)).enumerate() {
                    let pos = i64::try_from(pos).unwrap_or(i64::MAX);
                    tx.execute(&put, &[&rec.id, &pos, &chunk])?;
                }
                Ok(())
            })
        })
    }

    fn releases_for(&self, target: &str, bundle: &str) -> StoreResult<Vec<ReleaseRecord>> {
        db(|| self.read(|c| list(c, "WHERE target = $1 AND bundle = $2", &[&target, &bundle])))
    }

    fn all_releases(&self) -> StoreResult<Vec<ReleaseRecord>> {
        db(|| self.read(|c| list(c, "", &[])))
    }

    fn release(&self, id: &str) -> StoreResult<Option<ReleaseRecord>> {
        db(|| self.read(|c| load(c, id)))
    }

    fn release_chunk(&self, id: &str, index: u64) -> StoreResult<Option<Vec<u8>>> {
        db(|| {
            self.read(|c| {
                let pos = i64::try_from(index).unwrap_or(i64::MAX);
                Ok(c.query_opt(
                    "SELECT data FROM release_chunks WHERE release_id = $1 AND pos = $2",
                    &[&id, &pos],
                )?
                .map(|row| row.get::<_, Vec<u8>>(0)))
            })
        })
    }

    fn withdraw_release(&self, id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        db(|| {
            self.write(|tx| {
                if load(tx, id)?.is_none() {
                    return Err(StoreError::NotFound("版本").into());
                }
                let n = tx.execute(
                    "UPDATE releases SET withdrawn_at = $2 WHERE id = $1 AND withdrawn_at IS NULL",
                    &[&id, &ms(at)],
                )?;
                Ok(n == 1)
            })
        })
    }
}
