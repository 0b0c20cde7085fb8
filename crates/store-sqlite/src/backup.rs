//! Online backup and offline restore of the SQLite file (`minsheng-server backup` /
//! `restore`).
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is one consistent
//! snapshot while the server keeps writing (WAL readers do not block writers). It is
//! written under a temporary name, synced and then renamed, so a file with the backup's
//! name is always complete.
//!
//! A restore needs the file closed by everyone: every `SqliteStore` holds a shared lock
//! on `<db>.lock` while open and the restore takes it exclusively. The backup is copied
//! next to the database, checked (a minsheng database, schema not newer than this
//! program), migrated, given a new sync epoch (clients' cursors of the replaced file are
//! answered `SYNC_RESET`; see `storage::sync::SyncEpoch`) and its sessions are ended
//! (a logout or a disabled account after the backup must not come back). Then it
//! replaces the database; the replaced file is kept as `<db>.pre-restore-<time>`.

use crate::DbResult;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::migrations;
use crate::DbError;
use minsheng_store::StoreError;
use minsheng_store::{StoreResult, SyncEpoch};

/// A shared or exclusive hold on `<db>.lock`, released when dropped (the file is
/// kept only for its lock).
#[derive(Debug)]
pub struct OpenLock {
    _file: File,
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> DbError {
    DbError::Store(StoreError::Invalid {
        code: "BACKUP_IO",
        message: format!("{what}失败（{}）：{e}", path.display()),
    })
}

impl OpenLock {
    fn file(db: &Path) -> DbResult<File> {
        let path = with_suffix(db, ".lock");
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("打开锁文件", &path, &e))
    }

    /// Taken by every open store: many at once, never during a restore.
    pub(super) fn shared(db: &Path) -> DbResult<Self> {
        let f = Self::file(db)?;
        match f.try_lock_shared() {
            Ok(()) => Ok(Self { _file: f }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Invalid {
                code: "DATABASE_RESTORING",
                message: format!("数据库 {} 正在从备份恢复，请稍后再启动", db.display()),
            }
            .into()),
            Err(TryLockError::Error(e)) => Err(io_error("锁定数据库", db, &e)),
        }
    }

    /// Taken by a restore: only when nobody has the database open.
    fn exclusive(db: &Path) -> DbResult<Self> {
        let f = Self::file(db)?;
        match f.try_lock() {
            Ok(()) => Ok(Self { _file: f }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Invalid {
                code: "DATABASE_IN_USE",
                message: format!(
                    "数据库 {} 正在被服务器或其他命令使用，请先停止服务器再恢复",
                    db.display()
                ),
            }
            .into()),
            Err(TryLockError::Error(e)) => Err(io_error("锁定数据库", db, &e)),
        }
    }
}

/// What a backup or a restore wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub schema_version: i64,
    /// The epoch the written file carries.
    pub epoch: SyncEpoch,
    /// Its change-log position (`sync_counter.last`).
    pub last_change: u64,
    pub cases: u64,
    /// Restore only: where the replaced database was moved.
    pub replaced: Option<PathBuf>,
}

fn not_minsheng(path: &Path, detail: &str) -> DbError {
    DbError::Store(StoreError::Invalid {
        code: "BACKUP_INVALID",
        message: format!("{} 不是民生警务平台的数据库（{detail}）", path.display()),
    })
}

/// The schema version of a minsheng database, or why the file is not one.
fn schema_version(conn: &Connection, path: &Path) -> DbResult<i64> {
    let has = |table: &str| -> DbResult<bool> {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .map_err(|e| not_minsheng(path, &e.to_string()))
    };
    for table in [
        "schema_migrations",
        "sync_meta",
        "sync_counter",
        "cases",
        "processed_commands",
    ] {
        if !has(table)? {
            return Err(not_minsheng(path, &format!("缺少表 {table}")));
        }
    }
    conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .map_err(|e| not_minsheng(path, &e.to_string()))?
    .ok_or_else(|| not_minsheng(path, "没有迁移记录"))
}

fn info(conn: &Connection, path: &Path) -> DbResult<BackupInfo> {
    let schema_version = schema_version(conn, path)?;
    let epoch: Option<i64> = conn
        .query_row("SELECT value FROM sync_meta WHERE key = 'epoch'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let (last, cases): (i64, i64) = conn.query_row(
        "SELECT (SELECT last FROM sync_counter WHERE id = 1), (SELECT COUNT(*) FROM cases)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(BackupInfo {
        schema_version,
        epoch: SyncEpoch(epoch.unwrap_or_default() as u64),
        last_change: last as u64,
        cases: cases as u64,
        replaced: None,
    })
}

/// Syncs a file's data, then its directory entry (so a rename survives a power cut).
fn sync_file_and_dir(path: &Path) -> DbResult<()> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error("写入磁盘", path, &e))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directories cannot be opened for syncing on every platform (Windows); the
        // file itself is synced either way.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn remove_if_exists(path: &Path) -> DbResult<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("删除文件", path, &e)),
    }
}

/// Writes a consistent copy of the database at `db` to `out` (which must not exist),
/// while a server may be using it.
pub fn backup(db: &Path, out: &Path) -> StoreResult<BackupInfo> {
    crate::db(|| {
        if out.exists() {
            return Err(StoreError::Invalid {
                code: "BACKUP_EXISTS",
                message: format!("备份文件 {} 已存在，请换一个文件名", out.display()),
            }
            .into());
        }
        if !db.is_file() {
            return Err(StoreError::Invalid {
                code: "BACKUP_INVALID",
                message: format!("数据库文件 {} 不存在", db.display()),
            }
            .into());
        }
        // No migration and no store: the running server owns the schema.
        let src = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        src.busy_timeout(std::time::Duration::from_secs(30))?;
        schema_version(&src, db)?;
        let part = with_suffix(out, ".part");
        remove_if_exists(&part)?;
        let target = part
            .to_str()
            .ok_or_else(|| io_error("备份", &part, &std::io::Error::other("路径不是 UTF-8")))?;
        src.execute("VACUUM INTO ?1", [target])?;
        drop(src);
        let copy = Connection::open(&part)?;
        // One self-contained file (the copy inherits WAL mode from its source).
        copy.pragma_update(None, "journal_mode", "DELETE")?;
        let written = info(&copy, &part)?;
        drop(copy);
        sync_file_and_dir(&part)?;
        std::fs::rename(&part, out).map_err(|e| io_error("保存备份", out, &e))?;
        sync_file_and_dir(out)?;
        Ok(written)
    })
}

/// A new epoch, different from every one given.
fn new_epoch(avoid: &[SyncEpoch]) -> SyncEpoch {
    loop {
        // Positive as an SQLite integer.
        let e = SyncEpoch(rand::random::<u64>() >> 1);
        if !avoid.contains(&e) {
            return e;
        }
    }
}

/// Replaces the database at `db` by the backup `from` (the server must be stopped).
pub fn restore(db: &Path, from: &Path) -> StoreResult<BackupInfo> {
    crate::db(|| {
        let _lock = OpenLock::exclusive(db)?;
        if !from.is_file() {
            return Err(StoreError::Invalid {
                code: "BACKUP_INVALID",
                message: format!("备份文件 {} 不存在", from.display()),
            }
            .into());
        }
        let staged = with_suffix(db, ".restoring");
        for p in [
            staged.clone(),
            with_suffix(&staged, "-journal"),
            with_suffix(&staged, "-wal"),
            with_suffix(&staged, "-shm"),
        ] {
            remove_if_exists(&p)?;
        }
        std::fs::copy(from, &staged).map_err(|e| io_error("复制备份", from, &e))?;
        let prepared = prepare(&staged, from, db);
        let mut written = match prepared {
            Ok(info) => info,
            Err(e) => {
                let _ = std::fs::remove_file(&staged);
                return Err(e);
            }
        };
        sync_file_and_dir(&staged)?;

        if db.exists() {
            // Everything the replaced file committed goes into it before it is moved aside
            // (its WAL is named after the path and would otherwise be lost, or worse,
            // replayed into the restored file).
            let old = Connection::open(db)?;
            old.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            drop(old);
            let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
            let aside = with_suffix(db, &format!(".pre-restore-{stamp}"));
            std::fs::rename(db, &aside).map_err(|e| io_error("移走原数据库", db, &e))?;
            written.replaced = Some(aside);
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            remove_if_exists(&with_suffix(db, suffix))?;
        }
        std::fs::rename(&staged, db).map_err(|e| io_error("替换数据库", db, &e))?;
        sync_file_and_dir(db)?;
        Ok(written)
    })
}

/// Checks, migrates and re-keys the staged copy of a backup.
fn prepare(staged: &Path, from: &Path, db: &Path) -> DbResult<BackupInfo> {
    let mut conn = Connection::open(staged)?;
    // Not a database at all fails here ("file is not a database").
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(|e| not_minsheng(from, &e.to_string()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let version = schema_version(&conn, from)?;
    let latest = migrations::latest_version();
    if version > latest {
        return Err(StoreError::Invalid {
            code: "BACKUP_TOO_NEW",
            message: format!(
                "备份的数据库版本 {version} 高于本程序支持的 {latest}，请先升级服务器程序"
            ),
        }
        .into());
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(not_minsheng(from, &format!("完整性检查未通过：{check}")));
    }
    migrations::migrate(&mut conn)?;
    let mut avoid = vec![info(&conn, from)?.epoch];
    if db.exists() {
        let current = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()
            .and_then(|c| super::sync::epoch(&c).ok());
        avoid.extend(current);
    }
    let epoch = new_epoch(&avoid);
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO sync_meta(key, value) VALUES ('epoch', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [epoch.0 as i64],
    )?;
    tx.execute("DELETE FROM sessions", [])?;
    tx.commit()?;
    info(&conn, from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use minsheng_store::Store;

    #[test]
    fn backup_restore_gives_a_new_epoch_and_refuses_what_it_must() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("city.db");
        let store = SqliteStore::open(&db).unwrap();
        let live = store.sync_epoch().unwrap();

        let copy = dir.path().join("b1.db");
        let b = backup(&db, &copy).unwrap();
        assert_eq!(b.epoch, live, "a backup is the live file as it was");
        assert_eq!(b.schema_version, migrations::latest_version());
        assert_eq!(
            backup(&db, &copy).unwrap_err().code(),
            "BACKUP_EXISTS",
            "an existing backup is never overwritten"
        );

        // The server still has the file open.
        assert_eq!(restore(&db, &copy).unwrap_err().code(), "DATABASE_IN_USE");
        drop(store);

        let restored = restore(&db, &copy).unwrap();
        assert_ne!(restored.epoch, live, "a restored file is a new change log");
        assert!(restored.replaced.as_ref().is_some_and(|p| p.is_file()));
        let reopened = SqliteStore::open(&db).unwrap();
        assert_eq!(reopened.sync_epoch().unwrap(), restored.epoch);
        drop(reopened);

        // Not a database, or not ours.
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all, just some bytes").unwrap();
        assert_eq!(restore(&db, &junk).unwrap_err().code(), "BACKUP_INVALID");
        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert_eq!(restore(&db, &foreign).unwrap_err().code(), "BACKUP_INVALID");

        // From a newer server.
        let newer = dir.path().join("newer.db");
        std::fs::copy(&copy, &newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations(version, description, applied_at)
                 VALUES (?1, 'future', datetime('now'))",
                [migrations::latest_version() + 1],
            )
            .unwrap();
        assert_eq!(restore(&db, &newer).unwrap_err().code(), "BACKUP_TOO_NEW");

        // None of the refusals touched the database.
        let after = SqliteStore::open(&db).unwrap();
        assert_eq!(after.sync_epoch().unwrap(), restored.epoch);
    }
}
