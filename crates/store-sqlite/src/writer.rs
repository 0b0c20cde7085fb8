//! The one connection that writes, handed out in arrival order.
//!
//! SQLite admits one writer at a time whatever the pool size. When writers took pooled
//! connections, a queue of writers held every connection of the pool while they polled
//! the file lock (`busy_timeout`): the writer that had the lock and needed one more
//! connection (a read in the middle of its batch) waited for them, they waited for it,
//! and the stall ended after the busy timeout with 500s. Polling also let an unlucky
//! writer lose every race until its timeout ran out while later ones won.
//!
//! Here writes queue for a dedicated connection in FIFO order (a ticket lock), and
//! reads keep the pool to themselves, so a write never waits for a pooled connection,
//! and readers never wait behind writers (WAL: readers see the last commit). The file
//! lock (`BEGIN IMMEDIATE`) is still taken, for other processes on the same file (CLI
//! import, a second store in tests).

use crate::DbResult;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use minsheng_store::StoreError;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The writers this thread holds now (by id): a nested write on the same store
    /// would wait for itself forever, so it fails instead.
    static HELD: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

#[derive(Default)]
struct Queue {
    /// The ticket the next caller takes.
    next: u64,
    /// The ticket whose holder may write now.
    serving: u64,
}

pub(super) struct Writer {
    id: u64,
    conn: Mutex<Connection>,
    queue: Mutex<Queue>,
    turn: Condvar,
}

/// The writer connection, held until dropped; then the next in line gets it.
pub(super) struct WriteGuard<'a> {
    writer: &'a Writer,
    conn: Option<MutexGuard<'a, Connection>>,
}

impl Writer {
    pub(super) fn new(conn: Connection) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            conn: Mutex::new(conn),
            queue: Mutex::new(Queue::default()),
            turn: Condvar::new(),
        }
    }

    /// Whether the calling thread holds this writer now.
    pub(super) fn held_here(&self) -> bool {
        HELD.with(|h| h.borrow().contains(&self.id))
    }

    /// Waits for this caller's turn (callers are served in the order they arrived).
    pub(super) fn lock(&self) -> DbResult<WriteGuard<'_>> {
        if self.held_here() {
            return Err(StoreError::Internal(
                "nested write transaction on the thread that holds the writer".into(),
            )
            .into());
        }
        let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let ticket = q.next;
        q.next += 1;
        while q.serving != ticket {
            q = self.turn.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
        drop(q);
        HELD.with(|h| h.borrow_mut().push(self.id));
        // Uncontended: only the holder of the turn gets here. A panic in an earlier
        // write poisoned it at most; its transaction rolled back when dropped.
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(WriteGuard {
            writer: self,
            conn: Some(conn),
        })
    }
}

impl WriteGuard<'_> {
    pub(super) fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        drop(self.conn.take());
        let id = self.writer.id;
        HELD.with(|h| {
            let mut h = h.borrow_mut();
            if let Some(i) = h.iter().rposition(|x| *x == id) {
                h.remove(i);
            }
        });
        let mut q = self
            .writer
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        q.serving += 1;
        drop(q);
        self.writer.turn.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    #[test]
    fn a_nested_write_fails_instead_of_waiting_for_itself() {
        let w = Writer::new(Connection::open_in_memory().unwrap());
        let g = w.lock().unwrap();
        assert!(w.held_here());
        assert!(matches!(
            w.lock(),
            Err(crate::DbError::Store(StoreError::Internal(_)))
        ));
        drop(g);
        assert!(!w.held_here());
        drop(w.lock().unwrap());
    }

    #[test]
    fn writers_take_turns_one_at_a_time() {
        let w = Arc::new(Writer::new(Connection::open_in_memory().unwrap()));
        w.lock()
            .unwrap()
            .conn()
            .execute_batch("CREATE TABLE t(n INTEGER NOT NULL)")
            .unwrap();
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (w, start) = (w.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..50 {
                        let mut g = w.lock().unwrap();
                        // A read-modify-write that loses updates unless exclusive.
                        let c = g.conn();
                        let n: i64 = c
                            .query_row("SELECT COALESCE(MAX(n), 0) FROM t", [], |r| r.get(0))
                            .unwrap();
                        c.execute("INSERT INTO t(n) VALUES (?1)", [n + 1]).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n: i64 = w
            .lock()
            .unwrap()
            .conn()
            .query_row("SELECT MAX(n) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 400);
    }
}
