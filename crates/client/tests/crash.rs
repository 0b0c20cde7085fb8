//! Crash safety: a child process queues a command and aborts (no close, no destructor,
//! no checkpoint); the parent reopens the cache and finds the command.

use std::process::{Command, Stdio};

use chrono::Utc;
use minsheng_client::cache::Profile;
use minsheng_client::outbox::CommandStatus;
use minsheng_client::{DbKey, LocalCache};
use minsheng_domain::workflow::NewCase;
use serde_json::json;

const DIR_VAR: &str = "MINSHENG_CRASH_TEST_DIR";
const KEY_VAR: &str = "MINSHENG_CRASH_TEST_KEY";

/// The child half: only does something when the parent set the variables.
#[test]
fn crash_child_writes_then_aborts() {
    let (Some(dir), Some(key)) = (std::env::var_os(DIR_VAR), std::env::var(KEY_VAR).ok()) else {
        return;
    };
    let key = DbKey::from_hex(&key).unwrap();
    let mut cache = LocalCache::open(&std::path::Path::new(&dir).join("cache.db"), &key).unwrap();
    let p: Profile = serde_json::from_value(json!({
        "id": uuid::Uuid::now_v7(), "username": "officer", "displayName": "王警官",
        "role": "officer", "unitId": uuid::Uuid::now_v7()
    }))
    .unwrap();
    cache.set_profile(&p).unwrap();
    let new: NewCase = serde_json::from_value(json!({
        "channel": "入户走访", "title": "走访记录", "content": "群众反映路灯不亮"
    }))
    .unwrap();
    cache.queue_intake(new, Utc::now()).unwrap();
    std::process::abort();
}

#[test]
fn a_queued_command_survives_the_process_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_child_writes_then_aborts",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir.path())
        .env(KEY_VAR, key.to_hex().as_str())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have aborted");

    let cache = LocalCache::open(&dir.path().join("cache.db"), &key).unwrap();
    let cmds = cache.commands(&[CommandStatus::Queued]).unwrap();
    assert_eq!(cmds.len(), 1);
    assert_eq!(cmds[0].seq, 1);
    assert_eq!(cache.search("路灯不亮", 5).unwrap().len(), 1);
}
