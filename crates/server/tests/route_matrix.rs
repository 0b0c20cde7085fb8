//! The access matrix over every route, generated from the OpenAPI document: every
//! operation × every demo role × its in-scope and out-of-scope object → the status SPEC
//! §2/§4/§6/§7/§10 gives (`route_matrix/table.rs`). A route added to the document
//! without rows fails here, and so does a row of a route that is gone.
//!
//! Beyond the statuses:
//! * every operation that declares `bearerAuth` answers 401 `UNAUTHENTICATED` to no
//!   token and to a made-up one; the public ones answer without a token;
//! * every error is exactly `{code, message}` (upper-snake code, Chinese message), and
//!   every status observed is one the document declares for the operation;
//! * an out-of-scope object answers byte for byte like one that does not exist;
//! * no 2xx body of any route carries the id, title, follow-up round or citizen's number
//!   (full or masked) of a case the role cannot see — nor, for the per-unit figures, a
//!   station outside the role's scope. Excel exports are only checked to be workbooks:
//!   their text is deflated and the `zip` crate is not a dev-dependency;
//! * a sync push of a command on an invisible case is refused per command and changes
//!   nothing; a pull never carries the case.

mod support;

#[path = "route_matrix/checks.rs"]
mod checks;
#[path = "route_matrix/requests.rs"]
mod requests;
#[path = "route_matrix/table.rs"]
mod table;
#[path = "route_matrix/world.rs"]
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use checks::{
    assert_complete, assert_exactly, base_of, hidden_units, needles, operations, send, token_of,
    DocOp, Recorder, Resp, UNIT_SCOPED_FIGURES,
};
use requests::{build, fixture_of, Obj, GHOST};
use table::{
    Kind, Row, EXPECTED_FAILURES, EXPECTED_GHOST_DIFFS, EXPECTED_LEAKS, EXPECTED_UNDOCUMENTED, NA,
    PUSH_OUTCOME, ROLES, TABLE,
};
use world::{World, ALERTS, ALERT_VISIBLE, FIXTURES, NAMES, UNIT_OBJ, VISIBLE};

/// The table's `NA` cells are exactly where the role has no out-of-scope object.
fn assert_table_shape() {
    for row in TABLE {
        for ri in 0..ROLES.len() {
            let has_out = match row.kind {
                Kind::Plain => false,
                Kind::Case => world::CASE_OBJ[ri].1.is_some(),
                Kind::RoundCase | Kind::Round => world::ROUND_OBJ[ri].1.is_some(),
                Kind::Unit => UNIT_OBJ[ri].1.is_some(),
            };
            assert_eq!(
                row.out[ri] != NA,
                has_out,
                "{} / {}: an out-of-scope column exists exactly where the role has such an object",
                row.op,
                ROLES[ri]
            );
            assert_ne!(row.ins[ri], NA, "{} / {}: in-scope cell", row.op, ROLES[ri]);
        }
    }
}

/// The case version as the admin reads it.
async fn version(w: &World, i: usize) -> u64 {
    let (_, c) =
        w.ts.get(Some(w.tok(0)), &format!("/cases/{}", w.cases[i]))
            .await;
    c["version"].as_u64().expect("version")
}

/// Fixtures the role sees at the unit of its in-scope filter.
fn visible_at_unit(ri: usize) -> Vec<usize> {
    (0..FIXTURES.len())
        .filter(|&i| VISIBLE[ri][i] && FIXTURES[i].unit == UNIT_OBJ[ri].0)
        .collect()
}

/// What a 2xx answer must contain beyond its status.
fn content_checks(
    w: &World,
    rec: &mut Recorder,
    key: &str,
    row: &Row,
    ri: usize,
    obj: Obj,
    r: &Resp,
) {
    let text = r.text();
    let contains = |i: usize| text.contains(w.cases[i].as_str());
    match (row.op, obj) {
        ("GET /cases [no filter]" | "GET /analytics/cases [no filter]", _) => {
            for i in (0..FIXTURES.len()).filter(|&i| VISIBLE[ri][i]) {
                rec.content(key, &format!("lists {}", NAMES[i]), contains(i));
            }
        }
        ("GET /cases" | "GET /analytics/cases", Obj::In) => {
            for i in visible_at_unit(ri) {
                rec.content(key, &format!("lists {}", NAMES[i]), contains(i));
            }
        }
        ("GET /sync/pull", Obj::In) => {
            let i = fixture_of(row.kind, ri, obj).expect("fixture");
            rec.content(key, &format!("pulls {}", NAMES[i]), contains(i));
        }
        ("GET /followups", Obj::In) => {
            let i = fixture_of(row.kind, ri, obj).expect("fixture");
            let round = w.rounds[i].as_deref().expect("round");
            rec.content(key, "lists the round", text.contains(round));
        }
        ("GET /followups/{id}/phone" | "GET /cases/{id}/citizen", Obj::In) => {
            let i = fixture_of(row.kind, ri, obj).expect("fixture");
            rec.content(key, "the full number", text.contains(FIXTURES[i].phone));
        }
        ("GET /alerts" | "GET /dashboard", _) => {
            for k in (0..ALERTS.len()).filter(|&k| ALERT_VISIBLE[ri][k]) {
                rec.content(
                    key,
                    &format!("shows alert {k}"),
                    text.contains(w.alerts[k].as_str()),
                );
            }
        }
        ("GET /notifications", _) if ["head", "supervisor"].contains(&ROLES[ri]) => {
            rec.content(key, "the alert to 泉城路", text.contains(ALERTS[0].2));
        }
        ("POST /intake/bulk", _) => {
            rec.content(key, "one row accepted", r.json()["accepted"] == 1);
        }
        ("GET /cases/{id}/timeline/verify", _) => {
            rec.content(key, "valid chain", r.json()["valid"] == true);
        }
        (op, _) if op.contains(".xlsx") => {
            let workbook =
                r.bytes.starts_with(b"PK\x03\x04") && r.content_type.contains("spreadsheetml");
            rec.content(key, "an xlsx workbook", workbook);
        }
        _ => {}
    }
}

/// `POST /sync/push`: the command's own outcome.
fn push_outcome(r: &Resp) -> (String, String, bool) {
    let v = r.json();
    let first = &v["results"][0];
    (
        first["status"].as_str().unwrap_or("?").to_owned(),
        first["code"].as_str().unwrap_or("-").to_owned(),
        first.get("case").is_some_and(|c| !c.is_null()),
    )
}

async fn run_cell(w: &World, rec: &mut Recorder, row: &Row, ri: usize, obj: Obj) {
    let role = ROLES[ri];
    let base = base_of(row.op);
    let want = match obj {
        Obj::In => row.ins[ri],
        _ => row.out[ri],
    };
    let key = format!("{} | {role} | {}", row.op, obj.label());
    let pushed = (base == "POST /sync/push").then(|| fixture_of(row.kind, ri, obj).expect("case"));
    let before = match pushed {
        Some(i) => Some(version(w, i).await),
        None => None,
    };
    let r = build(w, row.op, row.kind, ri, obj, false).await;
    let resp = send(w, &r, token_of(w, ri, &r)).await;
    rec.expect(&key, base, want, &resp);
    rec.role_cells += 1;
    if obj == Obj::Out {
        rec.out_of_scope_cells += 1;
    }
    if resp.ok() {
        rec.scan(&key, &resp, &needles(w, ri));
        if UNIT_SCOPED_FIGURES.contains(&base) {
            rec.scan(&key, &resp, &hidden_units(w, ri));
        }
        content_checks(w, rec, &key, row, ri, obj, &resp);
    }
    if let (Some(i), Some(before)) = (pushed, before) {
        let (status, _, has_case) = push_outcome(&resp);
        let (want_in, want_out) = PUSH_OUTCOME[ri];
        let want = if obj == Obj::In { want_in } else { want_out };
        rec.content(
            &key,
            &format!("command {want}, got {status}"),
            status == want,
        );
        let after = version(w, i).await;
        if obj == Obj::Out {
            rec.content(&key, "no case in the refusal", !has_case);
            rec.content(&key, "the case is unchanged", after == before);
        } else {
            rec.content(&key, "the note is applied", after == before + 1);
        }
    }
    // Out of scope looks exactly like nothing at all.
    if obj == Obj::Out && (want == 404 || base == "POST /sync/push") {
        rec.ghost_checks += 1;
        let g = build(w, row.op, row.kind, ri, Obj::Ghost, false).await;
        let ghost = send(w, &g, token_of(w, ri, &g)).await;
        rec.observe(&format!("{key} (ghost {GHOST})"), base, &ghost);
        let same = if base == "POST /sync/push" {
            let (s1, c1, _) = push_outcome(&resp);
            let (s2, c2, _) = push_outcome(&ghost);
            if (s1.as_str(), c1.as_str()) == (s2.as_str(), c2.as_str()) {
                None
            } else {
                Some(format!("{s1} {c1} vs {s2} {c2}"))
            }
        } else if (resp.status, &resp.bytes) == (ghost.status, &ghost.bytes) {
            None
        } else {
            Some(format!(
                "{} {} vs {} {}",
                resp.status,
                resp.text(),
                ghost.status,
                ghost.text()
            ))
        };
        if let Some(diff) = same {
            rec.ghost_diffs.insert(format!("{key}: {diff}"));
        }
    }
}

/// No token, or a made-up one: 401 before anything else for every operation that
/// declares `bearerAuth`; the public ones answer as usual.
async fn unauthenticated(w: &World, doc: &BTreeMap<String, DocOp>, rec: &mut Recorder) {
    for (op, d) in doc {
        let row = TABLE
            .iter()
            .find(|r| base_of(r.op) == op)
            .expect("complete table");
        for token in [None, Some("not-a-real-token")] {
            let r = build(w, row.op, row.kind, 0, Obj::In, d.secured).await;
            let resp = send(w, &r, token).await;
            let key = format!("{op} | token {token:?}");
            rec.unauthenticated_checks += 1;
            if d.secured {
                rec.expect(&key, op, 401, &resp);
            } else {
                rec.observe(&key, op, &resp);
                if resp.status != 200 {
                    rec.mismatches.insert(key, resp.status.to_string());
                }
            }
        }
    }
}

/// The duplicate probes of the intake rows find the hidden case for a role that may see
/// it: by text alone (the 入户走访 probe) and by the caller's number (intake assist).
async fn probes_find_what_they_look_for(w: &World, rec: &mut Recorder) {
    use serde_json::json;
    let clerk = w.tok(1);
    for (i, phone) in [(world::A, None), (world::B, Some(FIXTURES[world::B].phone))] {
        let body =
            json!({"title": "群众来电", "content": FIXTURES[i].content, "citizenPhone": phone});
        let (st, v) = w.ts.post(Some(clerk), "/intake/assist", &body).await;
        let found = |list: &str| {
            v[list]
                .as_array()
                .is_some_and(|l| l.iter().any(|d| d["caseId"] == w.cases[i].as_str()))
        };
        let key = format!("probe control | clerk | {}", NAMES[i]);
        rec.content(
            &key,
            &format!("{st}: a duplicate by text"),
            found("duplicates"),
        );
        if phone.is_some() {
            rec.content(&key, "the caller's earlier case", found("callerHistory"));
        }
    }
}

#[tokio::test]
async fn every_route_for_every_role_in_and_out_of_scope() {
    let started = Instant::now();
    assert_table_shape();
    let w = World::build().await;
    let doc = operations(&w).await;
    assert_complete(&doc, TABLE);
    let built = started.elapsed();

    let mut rec = Recorder::default();
    for row in TABLE {
        for ri in 0..ROLES.len() {
            run_cell(&w, &mut rec, row, ri, Obj::In).await;
            if row.out[ri] != NA {
                run_cell(&w, &mut rec, row, ri, Obj::Out).await;
            }
        }
    }
    unauthenticated(&w, &doc, &mut rec).await;
    probes_find_what_they_look_for(&w, &mut rec).await;

    // Every status observed is declared by its operation.
    let mut undocumented = BTreeSet::new();
    for (op, statuses) in &rec.observed {
        for s in statuses {
            if !doc[op].statuses.contains(s) {
                undocumented.insert(format!("{op}: {s}"));
            }
        }
    }
    eprintln!(
        "route matrix: {} operations, {} rows; {} role×operation×object cells ({} out of scope), \
         {} compared with a missing object, {} no-token probes, {} bodies scanned, {} content checks; \
         world {:.1?}, total {:.1?}",
        doc.len(),
        TABLE.len(),
        rec.role_cells,
        rec.out_of_scope_cells,
        rec.ghost_checks,
        rec.unauthenticated_checks,
        rec.bodies_scanned,
        rec.content_checks,
        built,
        started.elapsed()
    );
    assert!(
        rec.malformed.is_empty(),
        "errors not in the {{code, message}} shape:\n{}",
        rec.malformed.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    let failed: BTreeSet<String> = rec
        .mismatches
        .iter()
        .map(|(k, got)| format!("{k} => {got}"))
        .collect();
    let expected: Vec<String> = EXPECTED_FAILURES
        .iter()
        .map(|(k, got)| format!("{k} => {got}"))
        .collect();
    assert_exactly(
        "statuses other than the table's",
        &failed,
        &expected.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_exactly("side-channel leaks", &rec.leaks, EXPECTED_LEAKS);
    assert_exactly(
        "out-of-scope answers unlike a missing object's",
        &rec.ghost_diffs,
        EXPECTED_GHOST_DIFFS,
    );
    assert_exactly(
        "statuses the document does not declare",
        &undocumented,
        EXPECTED_UNDOCUMENTED,
    );
    // The whole matrix ran (78 operations, 88 rows when written: 704 in-scope cells and
    // 82 out-of-scope ones, 43 of them also tried on a missing object).
    assert!(
        rec.role_cells >= 780 && rec.out_of_scope_cells >= 80 && rec.ghost_checks >= 40,
        "only {} cells ran ({} out of scope, {} against a missing object)",
        rec.role_cells,
        rec.out_of_scope_cells,
        rec.ghost_checks
    );
    assert!(rec.bodies_scanned >= 450 && rec.content_checks >= 170);
    assert_eq!(rec.unauthenticated_checks, 2 * doc.len());
}
