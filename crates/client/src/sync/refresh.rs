//! Single-flight token refresh. The UI's online screens and the background sync loop
//! share one session; when the access token expires they all learn it at once. The
//! server rotates the refresh token on every use and treats a rotated token presented
//! again as stolen (it ends the whole login), so only one of them may refresh: the
//! others wait for that refresh and retry with the new access token.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;

#[derive(Default)]
pub(crate) struct RefreshGate {
    /// Bumped after each successful refresh (after the new access token is in place).
    generation: AtomicU64,
    /// Held while a refresh runs.
    running: tokio::sync::Mutex<()>,
}

impl RefreshGate {
    /// Read before a call: tells `refresh_since` whether that call's token was already
    /// replaced when it failed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Runs `refresh` unless a refresh succeeded since `seen` (then the caller just
    /// retries with the token that refresh installed). One refresh at a time: a caller
    /// arriving while one runs waits for it.
    pub(crate) async fn refresh_since<F, Fut>(&self, seen: u64, refresh: F) -> Result<()>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let _running = self.running.lock().await;
        if self.generation() != seen {
            return Ok(());
        }
        refresh().await?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    use tokio::sync::{oneshot, watch};

    use super::*;
    use crate::error::ClientError;

    /// A refresh that counts itself, reports that it started, and finishes when told.
    struct Fake {
        calls: AtomicUsize,
        started: tokio::sync::Mutex<Option<oneshot::Sender<()>>>,
        release: watch::Receiver<bool>,
    }

    impl Fake {
        async fn refresh(&self) -> Result<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(tx) = self.started.lock().await.take() {
                let _ = tx.send(());
            }
            let mut release = self.release.clone();
            release
                .wait_for(|r| *r)
                .await
                .map_err(|e| ClientError::Protocol(e.to_string()))?;
            Ok(())
        }
    }

    #[tokio::test]
    async fn callers_that_saw_the_same_token_share_one_refresh() {
        let gate = Arc::new(RefreshGate::default());
        let (started_tx, started_rx) = oneshot::channel();
        let (release_tx, release_rx) = watch::channel(false);
        let fake = Arc::new(Fake {
            calls: AtomicUsize::new(0),
            started: tokio::sync::Mutex::new(Some(started_tx)),
            release: release_rx,
        });
        // Both callers failed with the same (expired) token.
        let seen = gate.generation();
        let spawn = || {
            let (gate, fake) = (gate.clone(), fake.clone());
            tokio::spawn(async move { gate.refresh_since(seen, || fake.refresh()).await })
        };
        let first = spawn();
        started_rx.await.unwrap();
        // The second arrives while the first refresh is on the wire.
        let second = spawn();
        release_tx.send(true).unwrap();
        first.await.unwrap().unwrap();
        second.await.unwrap().unwrap();
        assert_eq!(fake.calls.load(Ordering::SeqCst), 1, "one refresh for both");
        assert_eq!(gate.generation(), seen + 1);

        // A caller that failed with the new token refreshes again.
        let seen = gate.generation();
        gate.refresh_since(seen, || fake.refresh()).await.unwrap();
        assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_is_not_taken_for_a_new_token() {
        let gate = RefreshGate::default();
        let seen = gate.generation();
        let failed = gate
            .refresh_since(seen, || async { Err(ClientError::LoginRequired) })
            .await;
        assert!(matches!(failed, Err(ClientError::LoginRequired)));
        // The next caller with the same token tries itself instead of retrying blindly.
        let calls = AtomicUsize::new(0);
        gate.refresh_since(seen, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
