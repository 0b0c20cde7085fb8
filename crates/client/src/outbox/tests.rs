//! Outbox and local-view behaviour over a real encrypted file.
use chrono::Utc;
use minsheng_domain::case::{CaseState, Channel};
use minsheng_domain::ids::{UnitId, UserId};
use serde_json::json;

use super::*;
use crate::cache::cases::tests::server_view;
use crate::cache::tests::temp_cache;
use crate::cache::Profile;
use crate::credentials::DbKey;

fn sign_in_as_officer(cache: &mut LocalCache, unit: UnitId) {
    let p: Profile = serde_json::from_value(json!({
        "id": UserId::mint(Utc::now()), "username": "officer", "displayName": "王警官",
        "role": "officer", "unitId": unit
    }))
    .unwrap();
    cache.set_profile(&p).unwrap();
}

fn case_in(cache: &mut LocalCache, unit: UnitId, state: CaseState, version: u64) -> CaseId {
    let v = server_view("噪音扰民", "楼上装修", unit, state, version);
    let id = serde_json::from_value(v["id"].clone()).unwrap();
    cache.upsert_server_cases(vec![v]).unwrap();
    id
}

fn reply(text: &str) -> Action {
    Action::SubmitReply { text: text.into() }
}

fn seqs(cache: &LocalCache) -> Vec<u64> {
    cache.commands(&[]).unwrap().iter().map(|c| c.seq).collect()
}

#[test]
fn actions_apply_optimistically_and_impossible_ones_are_refused_at_once() {
    let (_dir, mut cache, _) = temp_cache();
    let unit = UnitId::mint(Utc::now());
    sign_in_as_officer(&mut cache, unit);
    let id = case_in(&mut cache, unit, CaseState::PendingSignIn, 4);

    let v = cache.queue_action(id, Action::SignIn, Utc::now()).unwrap();
    assert_eq!(v.case.state, CaseState::InProgress);
    assert_eq!(v.server_version, 4);
    assert!(v
        .allowed_actions
        .contains(&minsheng_domain::workflow::ActionKind::SubmitReply));

    // Signing in twice is impossible: typed error, nothing queued.
    let err = cache
        .queue_action(id, Action::SignIn, Utc::now())
        .unwrap_err();
    assert_eq!(err.code(), "ILLEGAL_TRANSITION");
    assert!(err.to_string().contains("签收"), "{err}");
    let err = cache.queue_action(id, reply("  "), Utc::now()).unwrap_err();
    assert_eq!(err.code(), "INVALID_FIELD");
    assert_eq!(cache.pending_count().unwrap(), 1);

    cache
        .queue_action(id, reply("已协调物业处理"), Utc::now())
        .unwrap();
    let local = cache.local_case(id, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::PendingReview);
    assert_eq!(local.pending.len(), 2);
    assert_eq!(
        cache.cached_case(id).unwrap().unwrap().case.state,
        CaseState::PendingSignIn,
        "the server copy is untouched"
    );

    let cmds = cache.commands(&[CommandStatus::Queued]).unwrap();
    assert_eq!(cmds.len(), 2);
    assert!(cmds
        .iter()
        .all(|c| c.base_version == Some(4) && c.case_id == id));
    assert_eq!(cmds[0].payload, CommandPayload::Action(Action::SignIn));
    assert_eq!(cmds[0].id.as_uuid().get_version_num(), 7);
    assert!(cmds[0].id < cmds[1].id, "UUIDv7 ids sort by time");

    // Unknown or out-of-scope cases are refused too.
    let other = case_in(
        &mut cache,
        UnitId::mint(Utc::now()),
        CaseState::PendingSignIn,
        1,
    );
    assert_eq!(
        cache
            .queue_action(other, Action::SignIn, Utc::now())
            .unwrap_err()
            .code(),
        "OUT_OF_SCOPE"
    );
    let missing = CaseId::mint(Utc::now());
    assert_eq!(
        cache
            .queue_action(missing, Action::SignIn, Utc::now())
            .unwrap_err()
            .code(),
        "CASE_NOT_CACHED"
    );
    assert_eq!(
        seqs(&cache),
        [1, 2],
        "refused actions use no sequence number"
    );
}

#[test]
fn sequence_is_gap_free_across_reopen_and_survives_a_crash() {
    let (dir, mut cache, key) = temp_cache();
    let unit = UnitId::mint(Utc::now());
    sign_in_as_officer(&mut cache, unit);
    let a = case_in(&mut cache, unit, CaseState::PendingSignIn, 1);
    let b = case_in(&mut cache, unit, CaseState::PendingSignIn, 1);
    cache.queue_action(a, Action::SignIn, Utc::now()).unwrap();
    cache.queue_action(b, Action::SignIn, Utc::now()).unwrap();
    drop(cache);

    let path = dir.path().join("cache.db");
    let mut cache = LocalCache::open(&path, &key).unwrap();
    cache.queue_action(a, reply("答复"), Utc::now()).unwrap();
    // A crash: the connection is never closed (no checkpoint, no clean shutdown).
    std::mem::forget(cache);

    let cache = LocalCache::open(&path, &key).unwrap();
    assert_eq!(seqs(&cache), [1, 2, 3]);
    assert_eq!(
        cache.local_case(a, Utc::now()).unwrap().case.state,
        CaseState::PendingReview
    );
    assert!(LocalCache::open(&path, &DbKey::generate()).is_err());
}

#[test]
fn settled_commands_stop_replaying_and_stale_ones_are_reported() {
    let (_dir, mut cache, _) = temp_cache();
    let unit = UnitId::mint(Utc::now());
    sign_in_as_officer(&mut cache, unit);
    let id = case_in(&mut cache, unit, CaseState::PendingSignIn, 1);
    let signed = cache.queue_action(id, Action::SignIn, Utc::now()).unwrap();
    let queued_reply = cache.queue_action(id, reply("答复"), Utc::now()).unwrap();

    // The server applied the sign-in (version 2) and the pull brought the new state.
    let mut v = server_view("噪音扰民", "楼上装修", unit, CaseState::InProgress, 2);
    v["id"] = json!(id);
    cache.upsert_server_cases(vec![v]).unwrap();
    cache
        .set_command_status(signed.pending[0], CommandStatus::Applied, None, Utc::now())
        .unwrap();
    let local = cache.local_case(id, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::PendingReview);
    assert_eq!(local.pending, [queued_reply.pending[1]]);

    // Meanwhile the case was re-dispatched elsewhere: the queued reply no longer fits.
    let mut v = server_view(
        "噪音扰民",
        "楼上装修",
        UnitId::mint(Utc::now()),
        CaseState::PendingSignIn,
        3,
    );
    v["id"] = json!(id);
    cache.upsert_server_cases(vec![v]).unwrap();
    let local = cache.local_case(id, Utc::now()).unwrap();
    assert_eq!(local.case.state, CaseState::PendingSignIn);
    assert_eq!(local.unreplayable.len(), 1);
    assert_eq!(local.unreplayable[0].code, "OUT_OF_SCOPE");
    assert_eq!(
        cache.pending_count().unwrap(),
        1,
        "still queued: the server decides"
    );

    cache
        .set_command_status(
            queued_reply.pending[1],
            CommandStatus::Conflict,
            Some(("OUT_OF_SCOPE", "已改派")),
            Utc::now(),
        )
        .unwrap();
    let conflicts = cache
        .commands(&[CommandStatus::Conflict, CommandStatus::Rejected])
        .unwrap();
    assert_eq!(conflicts[0].error_message.as_deref(), Some("已改派"));
    assert_eq!(cache.pending_count().unwrap(), 0);
    assert!(cache
        .local_case(id, Utc::now())
        .unwrap()
        .unreplayable
        .is_empty());
}

#[test]
fn offline_intake_shows_without_a_number_and_is_searchable() {
    let (_dir, mut cache, _) = temp_cache();
    let unit = UnitId::mint(Utc::now());
    sign_in_as_officer(&mut cache, unit);
    let new: NewCase = serde_json::from_value(json!({
        "channel": "入户走访", "title": "独居老人反映楼道照明损坏",
        "content": "走访中群众反映楼道灯损坏多日", "citizenName": "李大爷",
        "citizenPhone": "13912345678"
    }))
    .unwrap();
    let local = cache.queue_intake(new.clone(), Utc::now()).unwrap();
    assert_eq!(local.case.number, None);
    assert_eq!(local.server_version, 0);
    assert_eq!(local.case.state, CaseState::PendingAcceptance);
    assert_eq!(local.citizen.phone.as_deref(), Some("13912345678"));

    let rows = cache.search("楼道照明", 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, local.case.id);
    assert_eq!(rows[0].number, None);
    assert_eq!(rows[0].pending_commands, 1);
    let cmd = cache.commands(&[]).unwrap().remove(0);
    let CommandPayload::Intake(sent) = &cmd.payload else {
        panic!("intake")
    };
    assert_eq!(
        sent.id,
        Some(local.case.id),
        "the client-minted id goes to the server"
    );
    assert!(sent.received_at.is_some());
    assert_eq!(cmd.base_version, None);
    assert_eq!(
        cache.local_case(local.case.id, Utc::now()).unwrap().pending,
        [cmd.id]
    );

    // Officers may only record home visits; and an id is never taken twice.
    let hotline = NewCase {
        channel: Channel::MayorHotline,
        ..new.clone()
    };
    assert_eq!(
        cache.queue_intake(hotline, Utc::now()).unwrap_err().code(),
        "ROLE_NOT_ALLOWED"
    );
    let again = NewCase {
        id: Some(local.case.id),
        ..new
    };
    assert_eq!(
        cache.queue_intake(again, Utc::now()).unwrap_err().code(),
        "INVALID_FIELD"
    );
    assert_eq!(seqs(&cache), [1]);
}

#[test]
fn purge_never_drops_a_case_with_unsettled_commands() {
    let (_dir, mut cache, _) = temp_cache();
    let unit = UnitId::mint(Utc::now());
    sign_in_as_officer(&mut cache, unit);
    let id = case_in(&mut cache, unit, CaseState::PendingSignIn, 1);
    let v = cache.queue_action(id, Action::SignIn, Utc::now()).unwrap();
    let mut closed = server_view("噪音扰民", "楼上装修", unit, CaseState::Transferred, 5);
    closed["id"] = json!(id);
    cache.upsert_server_cases(vec![closed]).unwrap();
    cache.set_closed_window_days(1).unwrap();
    let later = Utc::now() + chrono::Duration::days(3);
    cache
        .set_command_status(
            v.pending[0],
            CommandStatus::Rejected,
            Some(("ILLEGAL_TRANSITION", "已转办")),
            later,
        )
        .unwrap();
    assert_eq!(
        cache.purge_closed(later).unwrap(),
        0,
        "the rejected command still needs its case"
    );
    cache
        .set_command_status(v.pending[0], CommandStatus::Applied, None, later)
        .unwrap();
    assert_eq!(cache.purge_closed(later).unwrap(), 1);
}
