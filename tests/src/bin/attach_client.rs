//! A minimal desktop client process for the attachment kill test: the real client
//! crate's cache, attachment queue, uploader and sync engine, with the key from the
//! environment (never the keyring). It prints a line per durable step so the test knows
//! what a killed run had done.
//!
//! `MS_MODE`:
//! * `prepare`: sign in with `MS_TOKEN`, pull the scope; prints `READY`.
//! * `queue`: no network at all (offline): queues the file `MS_FILE` on case `MS_CASE`
//!   as an attachment, then a 签收 of the same case in the outbox; prints
//!   `QUEUED_ATTACHMENT <id>` and `QUEUED <command id>`.
//! * `run`: uploads and syncs side by side (two tasks); after each chunk prints
//!   `PROGRESS <id> <bytes the server has>` and waits `MS_PAUSE_MS`; prints `SYNCED`
//!   after a sync round that left nothing queued, `UPLOADED <n>` when the uploads are
//!   done, `DONE` at the end.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use minsheng_client::api::ApiClient;
use minsheng_client::attachments::upload_pending;
use minsheng_client::sync::SyncEngine;
use minsheng_client::{ClientError, DbKey, LocalCache};
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::Action;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), ClientError> {
    let path = PathBuf::from(env("MS_CACHE"));
    let key = DbKey::from_hex(&env("MS_KEY"))?;
    let mode = env("MS_MODE");
    let mut cache = LocalCache::open(&path, &key)?;
    if mode == "queue" {
        let case: CaseId = env("MS_CASE").parse().expect("MS_CASE");
        let file = std::fs::read(env("MS_FILE")).expect("MS_FILE");
        let item = cache.queue_attachment(case, "来信扫描件.pdf", &file, Utc::now())?;
        say(&format!("QUEUED_ATTACHMENT {}", item.id));
        let view = cache.queue_action(case, Action::SignIn, Utc::now())?;
        let id = view.pending.last().copied().expect("queued command");
        say(&format!("QUEUED {id}"));
        return Ok(());
    }
    let api = Arc::new(ApiClient::new(&env("MS_SERVER"))?);
    api.set_access_token(Some(env("MS_TOKEN")));
    if cache.profile()?.is_none() {
        let units = api.units().await?;
        cache.replace_units(&units)?;
        let me = api.me().await?;
        cache.set_profile(&me)?;
    }
    let cache = Arc::new(Mutex::new(cache));
    let engine = Arc::new(SyncEngine::new(api, cache.clone()));
    if mode == "prepare" {
        engine.sync_once(Utc::now()).await?;
        say("READY");
        return Ok(());
    }
    let pause = Duration::from_millis(
        std::env::var("MS_PAUSE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    );
    let sync = {
        let (engine, cache) = (engine.clone(), cache.clone());
        tokio::spawn(async move {
            for _ in 0..20 {
                match engine.sync_once(Utc::now()).await {
                    Ok(_) => {
                        let left = cache
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .pending_count()
                            .unwrap_or(1);
                        if left == 0 {
                            say("SYNCED");
                            return;
                        }
                    }
                    Err(e) => say(&format!("SYNC_ERROR {}", e.code())),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let upload = {
        let (engine, cache) = (engine.clone(), cache.clone());
        tokio::spawn(async move {
            let mut report = |id: &str, sent: u64| {
                say(&format!("PROGRESS {id} {sent}"));
                // A slow link: the test has time to kill the process mid-upload.
                std::thread::sleep(pause);
            };
            for _ in 0..20 {
                match upload_pending(&engine, &cache, &mut report).await {
                    Ok(pass) if pass.waiting == 0 => {
                        say(&format!("UPLOADED {}", pass.completed));
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => say(&format!("UPLOAD_ERROR {}", e.code())),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let _ = sync.await;
    let _ = upload.await;
    say("DONE");
    Ok(())
}
