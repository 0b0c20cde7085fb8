//! A minimal desktop client process for the SIGKILL loop: opens the encrypted cache
//! (key from the environment, never the keyring), signs in with a given access token
//! if the cache has no profile yet, queues commands if asked, and syncs until nothing
//! is queued. It prints `QUEUED <id>` after each command is durably queued and
//! `SETTLED` at the end, so the test knows what a killed run had promised.
//!
//! Environment: `MS_CACHE` (file), `MS_KEY` (64 hex), `MS_SERVER` (base URL),
//! `MS_TOKEN` (access token), `MS_QUEUE` (commands to queue, default 0),
//! `MS_ROUNDS` (sync rounds at most, default 20).

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use minsheng_client::api::ApiClient;
use minsheng_client::sync::SyncEngine;
use minsheng_client::{ClientError, DbKey, LocalCache};
use minsheng_domain::workflow::{Action, ActionKind};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // A line per event; flushed so a SIGKILL right after loses nothing printed.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), ClientError> {
    let path = PathBuf::from(env("MS_CACHE"));
    let key = DbKey::from_hex(&env("MS_KEY"))?;
    let api = Arc::new(ApiClient::new(&env("MS_SERVER"))?);
    api.set_access_token(Some(env("MS_TOKEN")));
    let mut cache = LocalCache::open(&path, &key)?;
    if cache.profile()?.is_none() {
        let units = api.units().await?;
        cache.replace_units(&units)?;
        // The profile last: its presence means the sign-in finished.
        let me = api.me().await?;
        cache.set_profile(&me)?;
    }
    let cache = Arc::new(Mutex::new(cache));
    let engine = SyncEngine::new(api, cache.clone());
    let lock = || cache.lock().unwrap_or_else(PoisonError::into_inner);

    let to_queue = env_or("MS_QUEUE", 0);
    if to_queue > 0 && lock().list_cases(&[], 1)?.is_empty() {
        // A first run: the scope comes with the first pull.
        for _ in 0..50 {
            match engine.sync_once(Utc::now()).await {
                Ok(_) => break,
                Err(e) => say(&format!("SYNC_ERROR {}", e.code())),
            }
        }
    }
    let cases = lock().list_cases(&[], 10_000)?;
    let seq0 = lock().commands(&[])?.len();
    for i in 0..to_queue {
        if cases.is_empty() {
            break;
        }
        let case = &cases[(seq0 + i) % cases.len()];
        let mut c = lock();
        let local = c.local_case(case.id, Utc::now())?;
        let action = if local.allowed_actions.contains(&ActionKind::SignIn) {
            Action::SignIn
        } else {
            Action::AddNote {
                text: format!("离线走访记录第{}条", seq0 + i + 1),
            }
        };
        let view = c.queue_action(case.id, action, Utc::now())?;
        drop(c);
        let id = view.pending.last().copied().expect("queued command");
        say(&format!("QUEUED {id}"));
    }

    for _ in 0..env_or("MS_ROUNDS", 20) {
        match engine.sync_once(Utc::now()).await {
            Ok(r) => {
                say(&format!(
                    "SYNCED pushed={} applied={} pulled={}",
                    r.pushed, r.applied, r.pulled
                ));
                if lock().pending_count()? == 0 {
                    say("SETTLED");
                    return Ok(());
                }
            }
            Err(e) => say(&format!("SYNC_ERROR {}", e.code())),
        }
    }
    say("UNSETTLED");
    std::process::exit(2);
}
