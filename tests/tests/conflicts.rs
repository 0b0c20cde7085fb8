//! Conflicts a user will meet. Each offline command ends either applied or in the
//! client's 同步冲突 list with the server's reason, and the user can settle it:
//! discard, re-apply on the new state, or forward the work as a note.

use chrono::Utc;
use minsheng_client::outbox::{Command, CommandStatus, Resolution};
use minsheng_domain::case::CaseState;
use minsheng_domain::ids::CaseId;
use minsheng_domain::workflow::Action;
use minsheng_tests::checks::{assert_cases_sound, assert_converged, assert_exactly_once};
use minsheng_tests::proxy::{FaultProxy, Plan};
use minsheng_tests::server::CityServer;
use minsheng_tests::station::Station;
use serde_json::json;

struct World {
    server: CityServer,
    proxy: FaultProxy,
    clerk: String,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let server = CityServer::start().await;
        let clerk = server.login("clerk").await;
        let proxy = FaultProxy::start(&server.base, 7).await.expect("proxy");
        Self {
            server,
            proxy,
            clerk,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A desktop signed in and synced while the link is up.
    async fn desktop(&self, user: &str) -> Station {
        self.proxy.set(Plan::pass());
        let st = Station::sign_in(self.dir.path(), &self.proxy.url(), user).await;
        st.sync_until_settled(3).await;
        st
    }

    fn link(&self, up: bool) {
        self.proxy
            .set(if up { Plan::pass() } else { Plan::offline() });
    }
}

fn only_conflict(st: &Station) -> Command {
    let list = st.cache().conflicts().expect("conflicts");
    assert_eq!(list.len(), 1, "{}: {list:?}", st.username);
    let c = list.into_iter().next().unwrap();
    assert!(
        matches!(c.status, CommandStatus::Conflict | CommandStatus::Rejected),
        "{c:?}"
    );
    assert!(
        c.error_code.as_deref().is_some_and(|s| !s.is_empty()),
        "server's code: {c:?}"
    );
    assert!(
        c.error_message
            .as_deref()
            .is_some_and(|m| m.chars().any(|ch| ch > '\u{2e80}')),
        "the server's reason in Chinese: {c:?}"
    );
    c
}

fn resolve(st: &Station, c: &Command, how: Resolution) -> Result<(), String> {
    st.cache()
        .resolve_conflict(c.id, how, Utc::now())
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", e.code()))
}

fn timeline_kinds(server: &CityServer, id: CaseId) -> Vec<String> {
    server.timeline(id).into_iter().map(|e| e.kind).collect()
}

async fn final_checks(w: &World, stations: &[&Station]) {
    w.link(true);
    for st in stations {
        st.sync_until_settled(3).await;
        let actor = st.actor();
        let cache = st.cache();
        assert_exactly_once(&w.server, &cache, &st.username);
        assert_converged(&w.server, &cache, &actor, &st.username);
        assert_eq!(cache.conflict_count().expect("count"), 0, "{}", st.username);
    }
    assert_cases_sound(&w.server, &w.clerk).await;
}

#[tokio::test]
async fn reply_written_offline_on_a_case_reassigned_to_another_station() {
    let w = World::new().await;
    let id = w
        .server
        .dispatched(&w.clerk, "JN-LX-QCL", "商铺占道经营影响通行")
        .await;
    let officer = w.desktop("officer").await;
    w.link(false);
    officer.act(id, Action::SignIn).expect("sign in offline");
    officer
        .act(
            id,
            Action::SubmitReply {
                text: "已责令商户将货物搬回店内，恢复通行。".into(),
            },
        )
        .expect("reply offline");
    // Meanwhile the platform sends the case to 大观园派出所.
    w.server
        .act_ok(&w.clerk, id, w.server.redispatch_to("JN-SZ-DGY"))
        .await;

    w.link(true);
    officer.sync_until_settled(3).await;
    let list = officer.cache().conflicts().expect("conflicts");
    assert_eq!(list.len(), 2, "sign-in and reply both refused: {list:?}");
    for c in &list {
        assert_eq!(c.status, CommandStatus::Conflict);
        assert_eq!(c.error_code.as_deref(), Some("OUT_OF_SCOPE"), "{c:?}");
        assert!(c.error_message.as_deref().is_some_and(|m| !m.is_empty()));
    }
    assert!(
        officer.local(id).is_err(),
        "the case left the station's cache (tombstone)"
    );
    // The work cannot be redone or noted on a case the station no longer handles:
    // both are refused with a typed error and the conflict stays listed.
    let reply = list[1].clone();
    let err = resolve(&officer, &reply, Resolution::Reapply).expect_err("reapply");
    assert!(
        err.contains("OUT_OF_SCOPE") || err.contains("CASE_NOT_CACHED"),
        "{err}"
    );
    let err = resolve(&officer, &reply, Resolution::ForwardAsNote).expect_err("as note");
    assert!(
        err.contains("OUT_OF_SCOPE") || err.contains("CASE_NOT_CACHED"),
        "{err}"
    );
    assert_eq!(officer.cache().conflict_count().unwrap(), 2);
    for c in &list {
        resolve(&officer, c, Resolution::Discard).expect("discard");
    }

    // 大观园 got the case clean: not signed in, no reply from 泉城路.
    let dgy = w.desktop("officer2").await;
    let local = dgy.local(id).expect("the new station has it");
    assert_eq!(local.case.state, CaseState::PendingSignIn);
    assert!(local.case.reply.is_none());
    assert_eq!(
        timeline_kinds(&w.server, id),
        ["intake", "dispatch", "redispatch"]
    );
    final_checks(&w, &[&officer, &dgy]).await;
}

#[tokio::test]
async fn officer_returned_offline_while_the_supervisor_approved_an_extension() {
    let w = World::new().await;
    let id = w
        .server
        .dispatched(&w.clerk, "JN-LX-QCL", "小区周边非法营运车辆")
        .await;
    let head = w.server.login("head").await;
    let until = (Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    w.server
        .act_ok(
            &head,
            id,
            json!({"type": "requestExtension", "reason": "需交通部门配合", "until": until}),
        )
        .await;
    let officer = w.desktop("officer").await;
    w.link(false);
    officer
        .act(
            id,
            Action::Return {
                reason: "属交警部门职责，建议转办".into(),
            },
        )
        .expect("return offline");
    let supervisor = w.server.login("supervisor").await;
    w.server
        .act_ok(
            &supervisor,
            id,
            json!({"type": "approveExtension", "comment": "同意"}),
        )
        .await;

    // The return still fits the case as it is now: applied, not a conflict.
    w.link(true);
    let report = officer.sync_until_settled(3).await;
    assert_eq!(report.applied, 1, "{report:?}");
    assert!(officer.cache().conflicts().unwrap().is_empty());
    let c = w.server.case(id);
    assert_eq!(c.state, CaseState::PendingAcceptance);
    assert_eq!(c.return_count, 1);
    assert!(c.pending_extension.is_none());
    assert_eq!(
        timeline_kinds(&w.server, id),
        [
            "intake",
            "dispatch",
            "requestExtension",
            "approveExtension",
            "return"
        ]
    );
    final_checks(&w, &[&officer]).await;
}

#[tokio::test]
async fn supervisor_approved_an_extension_offline_while_the_officer_returned_the_case() {
    let w = World::new().await;
    let id = w
        .server
        .dispatched(&w.clerk, "JN-LX-QCL", "夜市油烟噪音扰民")
        .await;
    let head = w.server.login("head").await;
    let until = (Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    w.server
        .act_ok(
            &head,
            id,
            json!({"type": "requestExtension", "reason": "需城管部门配合", "until": until}),
        )
        .await;
    let sup = w.desktop("supervisor").await;
    w.link(false);
    sup.act(
        id,
        Action::ApproveExtension {
            comment: Some("同意延期".into()),
        },
    )
    .expect("approve offline");
    let officer = w.server.login("officer").await;
    w.server
        .act_ok(
            &officer,
            id,
            json!({"type": "return", "reason": "不属本所辖区"}),
        )
        .await;

    w.link(true);
    sup.sync_until_settled(3).await;
    let c = only_conflict(&sup);
    assert_eq!(c.payload.label(), "approveExtension");
    // Nothing to approve any more: re-applying is refused locally, typed, and stays listed.
    assert!(resolve(&sup, &c, Resolution::Reapply).is_err());
    assert_eq!(sup.cache().conflict_count().unwrap(), 1);
    resolve(&sup, &c, Resolution::Discard).expect("discard");
    let case = w.server.case(id);
    assert_eq!(case.state, CaseState::PendingAcceptance);
    assert_eq!(case.extensions_granted, 0);
    final_checks(&w, &[&sup]).await;
}

#[tokio::test]
async fn two_officers_of_one_station_signed_in_the_same_case_offline() {
    let w = World::new().await;
    let id = w
        .server
        .dispatched(&w.clerk, "JN-LX-QCL", "楼上住户深夜噪音")
        .await;
    let a = w.desktop("officer").await;
    let b = w.desktop("lx-qcl-01").await;
    w.link(false);
    for (st, who) in [(&a, "王"), (&b, "李")] {
        st.act(id, Action::SignIn).expect("sign in offline");
        st.act(
            id,
            Action::AddNote {
                text: format!("{who}警官：已电话联系报警人"),
            },
        )
        .expect("note offline");
    }
    w.link(true);
    a.sync_until_settled(3).await;
    b.sync_until_settled(3).await;
    let a_id = a.actor().user_id;
    assert_eq!(w.server.case(id).assigned_officer, Some(a_id));

    // B's sign-in is a conflict with the case as it is now; B's note went through.
    let c = only_conflict(&b);
    assert_eq!(c.payload.label(), "signIn");
    assert_eq!(c.status, CommandStatus::Conflict);
    assert_eq!(b.commands_in(&[CommandStatus::Applied]), 1);
    let local = b.local(id).expect("still B's station's case");
    assert_eq!(local.case.state, CaseState::InProgress);
    assert_eq!(local.case.assigned_officer, Some(a_id));
    let err = resolve(&b, &c, Resolution::Reapply).expect_err("cannot sign in twice");
    assert!(err.contains("ILLEGAL_TRANSITION"), "{err}");
    resolve(&b, &c, Resolution::Discard).expect("discard");
    let kinds = timeline_kinds(&w.server, id);
    assert_eq!(
        kinds.iter().filter(|k| *k == "signIn").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "addNote").count(),
        2,
        "{kinds:?}"
    );
    final_checks(&w, &[&a, &b]).await;
}

#[tokio::test]
async fn citizen_answered_the_follow_up_while_the_unit_head_was_re_handling_offline() {
    let w = World::new().await;
    let s = &w.server;
    let id = s
        .dispatched(&w.clerk, "JN-LX-QCL", "小区门口违停堵塞消防通道")
        .await;
    let officer = s.login("officer").await;
    let head_token = s.login("head").await;
    let followup = s.login("followup").await;
    s.act_ok(&officer, id, json!({"type": "signIn"})).await;
    s.act_ok(
        &officer,
        id,
        json!({"type": "submitReply", "text": "已联系物业清理违停车辆。"}),
    )
    .await;
    s.act_ok(
        &head_token,
        id,
        json!({"type": "approve", "comment": "同意"}),
    )
    .await;
    s.act_ok(
        &followup,
        id,
        json!({"type": "followUpAnswer", "satisfaction": "unsatisfied", "channel": "sms"}),
    )
    .await;
    assert_eq!(s.case(id).state, CaseState::FollowUpL2);

    let head = w.desktop("head").await;
    w.link(false);
    head.act(
        id,
        Action::RecordRehandle {
            result: "所长带队再次上门，协调物业设置隔离桩".into(),
        },
    )
    .expect("re-handle offline");
    // Online meanwhile: the supervisor records the re-handle, the citizen is satisfied.
    let sup = s.login("supervisor").await;
    s.act_ok(
        &sup,
        id,
        json!({"type": "recordRehandle", "result": "分局督促派出所处理完毕"}),
    )
    .await;
    s.act_ok(
        &followup,
        id,
        json!({"type": "followUpAnswer", "satisfaction": "satisfied", "channel": "phone"}),
    )
    .await;
    assert_eq!(s.case(id).state, CaseState::Archived);

    w.link(true);
    head.sync_until_settled(3).await;
    let c = only_conflict(&head);
    assert_eq!(c.payload.label(), "recordRehandle");
    assert_eq!(
        head.local(id).expect("cached").case.state,
        CaseState::Archived
    );
    // The head keeps the work: forwarded as a note on the archived case.
    resolve(&head, &c, Resolution::ForwardAsNote).expect("forward as note");
    assert_eq!(head.pending(), 1);
    head.sync_until_settled(3).await;
    let note = s
        .timeline(id)
        .into_iter()
        .rfind(|e| e.kind == "addNote")
        .expect("the note reached the server");
    assert!(
        note.detail.to_string().contains("协调物业设置隔离桩"),
        "{}",
        note.detail
    );
    assert_eq!(s.case(id).state, CaseState::Archived);
    final_checks(&w, &[&head]).await;
}
