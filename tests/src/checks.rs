//! The checks every scenario ends with: exactly-once (the outbox against the server's
//! processed log and timelines), convergence (the cache against the server), case
//! invariants and hash chains, and the cache file's own integrity.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use minsheng_client::outbox::{Command, CommandPayload, CommandStatus};
use minsheng_client::{DbKey, LocalCache};
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;

use crate::server::CityServer;

/// A command's trace in a timeline: (case, action code or `intake`, device time in ms).
type Trace = (CaseId, String, i64);

/// Every command in `cache`'s outbox is settled, was processed by the server exactly
/// once under this install with the same outcome the client recorded, and the timelines
/// agree with the outbox as a whole: over every case the outbox touched, the entries this
/// user recorded from a device (`device_at` set, i.e. pushed, never online actions) are
/// exactly the applied commands, each once, and nothing else. A command the client holds
/// as rejected or in conflict that nevertheless changed a case fails here, as does an
/// applied one missing from its timeline or recorded twice. Returns the commands.
///
/// The user must work from this one install (true of every scenario here): entries of
/// another install of the same user would be indistinguishable, so that is checked too.
pub fn assert_exactly_once(server: &CityServer, cache: &LocalCache, who: &str) -> Vec<Command> {
    let install = cache.install_id().expect("install id").to_string();
    let commands = cache.commands(&[]).expect("outbox");
    let actor = cache.profile().expect("profile").expect("profile").id;
    let all_processed = server.processed();
    let elsewhere: Vec<&crate::server::Processed> = all_processed
        .iter()
        .filter(|p| p.user_id == actor.to_string() && p.install_id != install)
        .collect();
    assert!(
        elsewhere.is_empty(),
        "{who}: the user also pushed from another install, which this check cannot tell \
         apart: {elsewhere:?}"
    );
    let processed: HashMap<String, crate::server::Processed> = all_processed
        .into_iter()
        .filter(|p| p.install_id == install)
        .map(|p| (p.id.clone(), p))
        .collect();
    let ids: HashSet<String> = commands.iter().map(|c| c.id.to_string()).collect();
    let unknown: Vec<&String> = processed.keys().filter(|k| !ids.contains(*k)).collect();
    assert!(
        unknown.is_empty(),
        "{who}: the server processed commands this outbox does not have: {unknown:?}"
    );
    // Gap-free sequence in the outbox.
    for (i, c) in commands.iter().enumerate() {
        assert_eq!(
            c.seq,
            i as u64 + 1,
            "{who}: outbox sequence has a gap at {c:?}"
        );
    }
    // What the timelines must hold: every applied command once, nothing for the rest.
    let mut expected: HashMap<Trace, usize> = HashMap::new();
    let mut cases: HashSet<CaseId> = HashSet::new();
    for c in &commands {
        assert!(
            !c.status.is_pending(),
            "{who}: command {} ({}) still {:?}",
            c.seq,
            c.payload.label(),
            c.status
        );
        let p = processed.get(&c.id.to_string()).unwrap_or_else(|| {
            panic!(
                "{who}: command {} {} ({}) never reached the server's processed log",
                c.seq,
                c.id,
                c.payload.label()
            )
        });
        assert_eq!(p.seq, c.seq, "{who}: sequence of {}", c.id);
        assert_eq!(
            p.status(),
            c.status.code(),
            "{who}: client and server disagree on the outcome of {} ({}): {}",
            c.id,
            c.payload.label(),
            p.result
        );
        if matches!(c.status, CommandStatus::Rejected | CommandStatus::Conflict) {
            assert!(
                c.error_code.as_deref().is_some_and(|s| !s.is_empty())
                    && c.error_message.as_deref().is_some_and(|s| !s.is_empty()),
                "{who}: a refused command must carry the server's reason: {c:?}"
            );
        }
        cases.insert(c.case_id);
        if c.status == CommandStatus::Applied {
            let kind = match &c.payload {
                CommandPayload::Action(a) => a.kind().code(),
                CommandPayload::Intake(_) => "intake",
            };
            *expected
                .entry((c.case_id, kind.to_owned(), c.device_at.timestamp_millis()))
                .or_default() += 1;
        }
    }
    // What the timelines do hold, over every case the outbox touched (a rejected intake
    // may have left no case at all).
    let mut found: HashMap<Trace, usize> = HashMap::new();
    let on_server: HashSet<CaseId> = server.all_case_ids().into_iter().collect();
    for id in cases.iter().filter(|id| on_server.contains(id)) {
        for e in server.timeline(*id) {
            if e.actor_id != actor {
                continue;
            }
            if let Some(d) = e.device_at {
                *found
                    .entry((*id, e.kind.clone(), d.timestamp_millis()))
                    .or_default() += 1;
            }
        }
    }
    if found != expected {
        let mut diff: Vec<String> = expected
            .keys()
            .chain(found.keys())
            .collect::<HashSet<_>>()
            .into_iter()
            .filter_map(|k| {
                let (e, f) = (
                    expected.get(k).copied().unwrap_or(0),
                    found.get(k).copied().unwrap_or(0),
                );
                (e != f).then(|| {
                    let status = commands
                        .iter()
                        .filter(|c| {
                            c.case_id == k.0 && c.device_at.timestamp_millis() == k.2
                        })
                        .map(|c| format!("{} {}", c.payload.label(), c.status.code()))
                        .collect::<Vec<_>>();
                    format!("{k:?}: applied per the outbox {e}, in the timeline {f} (outbox: {status:?})")
                })
            })
            .collect();
        diff.sort();
        panic!(
            "{who}: the timelines do not match the outbox ({} keys differ):\n{}",
            diff.len(),
            diff.join("\n")
        );
    }
    commands
}

/// The cache holds exactly the server's current version of every case the user may
/// see (closed ones may have been purged), with its whole timeline (pulls bring only
/// new entries, so a case that entered the scope must have had its history fetched),
/// and nothing the server does not show them.
pub fn assert_converged(server: &CityServer, cache: &LocalCache, actor: &Actor, who: &str) {
    let org = server.state.org();
    let mut cached: HashMap<CaseId, u64> = cache
        .list_cases(&[], 1_000_000)
        .expect("list cache")
        .into_iter()
        .map(|r| (r.id, r.version))
        .collect();
    for id in server.all_case_ids() {
        let c = server.case(id);
        if !can_see(actor, &c, &org) {
            assert!(
                !cached.contains_key(&id),
                "{who}: case {id} left the scope but is still cached"
            );
            continue;
        }
        match cached.remove(&id) {
            Some(v) => {
                assert_eq!(
                    v, c.version,
                    "{who}: case {id} cached at version {v}, server has {} ({:?})",
                    c.version, c.state
                );
                let seqs = |t: Vec<minsheng_domain::timeline::TimelineEntry>| {
                    t.into_iter().map(|e| (e.seq, e.hash)).collect::<Vec<_>>()
                };
                assert_eq!(
                    seqs(cache.timeline(id).expect("cached timeline")),
                    seqs(server.timeline(id)),
                    "{who}: the cached timeline of case {id} differs from the server's"
                );
            }
            None => assert!(
                c.state.is_closed(),
                "{who}: open case {id} ({:?}) in scope is missing from the cache",
                c.state
            ),
        }
    }
    assert!(
        cached.is_empty(),
        "{who}: cached cases the server does not have or show: {cached:?}"
    );
}

/// `Case::invariant_violations()` is empty for every case on the server and each
/// timeline's hash chain verifies through the API.
pub async fn assert_cases_sound(server: &CityServer, clerk_token: &str) -> usize {
    let ids = server.all_case_ids();
    for id in &ids {
        let c = server.case(*id);
        let broken = c.invariant_violations();
        assert!(broken.is_empty(), "case {id} ({:?}): {broken:?}", c.state);
        let report = server.verify_timeline(clerk_token, *id).await;
        assert_eq!(
            report["valid"],
            serde_json::json!(true),
            "timeline of {id}: {report}"
        );
    }
    ids.len()
}

/// SQLite's own integrity check over the encrypted cache file (a second connection).
pub fn assert_cache_file_intact(path: &Path, key: &DbKey) {
    let conn = rusqlite::Connection::open(path).expect("open cache file");
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex().as_str()))
        .expect("key");
    let report: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(report, "ok", "cache file {} is corrupt", path.display());
}
