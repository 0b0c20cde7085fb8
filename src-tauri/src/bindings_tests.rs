//! Keeps the TypeScript wire types (ui/src/api/types.ts) in step with the Rust ones.
//!
//! Real values of every type a command returns are serialised here and written to
//! `ui/src/api/generated/samples.ts` as `<json> satisfies <TsType>`. This test fails when
//! the file differs from what the Rust types produce now (regenerate with
//! `UPDATE_BINDINGS=1 cargo test -p minsheng-desktop bindings`), and `npm run typecheck`
//! fails when the TS interfaces no longer accept the Rust output (missing or extra
//! fields, wrong types, enum values the TS unions do not list, and vice versa).

use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use minsheng_client::cache::{CaseRow, LocalWorkListCounts, Profile, UserSummary};
use minsheng_client::outbox::{Command, CommandPayload, CommandStatus};
use minsheng_client::view::{DuplicateLink, LocalCase, PendingStep, Unreplayable};
use minsheng_client::{SyncReport, SyncStatus};
use minsheng_domain::case::{
    CaseFlags, CaseState, Channel, CoUnit, Deadlines, ExtensionRequest, FollowUpLevel, Opinion,
    Reply, RequestType, Satisfaction, SignOff, SignOffStep, Urgency,
};
use minsheng_domain::ids::{CaseId, CommandId, EntryId, UnitId, UserId};
use minsheng_domain::lists::WorkList;
use minsheng_domain::org::{Jurisdiction, PoliceLine, Unit, UnitKind, UnitLevel};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{
    self, Action, ActionKind, Assignee, DispatchOrder, FollowUpChannel, InvestigatingDept, NewCase,
};
use minsheng_store::notify::NotifyPrefs;
use serde::Serialize;
use serde_json::json;

use crate::commands::auth::SessionInfo;
use crate::commands::cases::{ApprovalItem, CaseRowView, Countdown};

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, 30, 0).unwrap()
}

fn id<T: std::str::FromStr>(n: u8) -> T
where
    T::Err: std::fmt::Debug,
{
    format!("0190f0a0-0000-7000-8000-0000000000{n:02x}")
        .parse()
        .unwrap()
}

fn actor() -> Actor {
    Actor {
        user_id: id::<UserId>(1),
        name: "张警官".into(),
        role: Role::Officer,
        unit_id: id::<UnitId>(2),
    }
}

fn new_case() -> NewCase {
    NewCase {
        id: Some(id::<CaseId>(3)),
        channel: Channel::HomeVisit,
        request_type: RequestType::HelpRequest,
        category: Some("噪音扰民".into()),
        title: "楼上夜间装修噪音".into(),
        content: "<script>alert(1)</script> 每晚十点后仍在施工".into(),
        citizen_name: "李女士".into(),
        citizen_phone: Some("13812345678".into()),
        citizen_id_card: None,
        address: Some("历下区泉城路1号".into()),
        district: Some("历下区".into()),
        received_at: Some(at(1)),
        urgency: Urgency::Urgent,
        flags: CaseFlags::default(),
        leader_instruction: None,
    }
}

/// A case with every optional part filled, so each field's type is exercised.
fn full_case() -> minsheng_domain::case::Case {
    let mut c = workflow::intake(&new_case(), &actor(), at(2)).unwrap();
    c.number = Some("MS202611260001".into());
    c.handling_unit = Some(id(2));
    c.supervising_unit = Some(id(4));
    c.co_units = vec![CoUnit {
        unit: id(5),
        opinion: Some(Opinion {
            text: "同意".into(),
            by: id(6),
            at: at(3),
        }),
    }];
    c.assigned_officer = Some(id(1));
    c.state = CaseState::PendingReview;
    c.deadlines = Deadlines {
        sign_in: Some(at(4)),
        sign_in_warn: Some(at(3)),
        reply: Some(at(8)),
        reply_warn: Some(at(7)),
        follow_up_task: Some(at(9)),
        calendar_missing: None,
    };
    c.dispatched_at = Some(at(2));
    c.signed_in_at = Some(at(3));
    c.completed_at = Some(at(5));
    c.closed_at = Some(at(6));
    c.reply = Some(Reply {
        text: "已责令停工".into(),
        by: id(1),
        at: at(4),
    });
    c.sign_offs = vec![SignOff {
        step: SignOffStep::UnitHead,
        by: id(7),
        name: "王所长".into(),
        role: Role::UnitHead,
        unit: id(2),
        at: at(5),
        comment: Some("同意".into()),
    }];
    c.pending_extension = Some(ExtensionRequest {
        reason: "需现场复核".into(),
        until: at(10),
        by: id(7),
        at: at(4),
    });
    c.duplicate_of = Some(id(8));
    c.follow_up.level = Some(FollowUpLevel::L2);
    c.follow_up.satisfaction = Some(Satisfaction::Unsatisfied);
    c.follow_up.rehandle_result = Some("重新处理".into());
    c.follow_up.investigation = Some("属实".into());
    c.closing_note = Some("—".into());
    c.intake_unit = Some(id(2));
    c
}

fn timeline_entry() -> TimelineEntry {
    TimelineEntry::next(
        None,
        id::<EntryId>(9),
        id(3),
        at(2),
        Some(at(1)),
        &actor(),
        "intake",
        Some(CaseState::PendingAcceptance),
        CaseState::PendingAcceptance,
        json!({ "text": "x" }),
    )
}

fn row() -> CaseRow {
    CaseRow {
        id: id(3),
        number: Some("MS202611260001".into()),
        title: "楼上夜间装修噪音".into(),
        state: CaseState::InProgress,
        handling_unit: Some(id(2)),
        received_at: at(1),
        version: 4,
        pending_commands: 1,
        category: Some("噪音扰民".into()),
        // The cache stores the serde code of each enum (what CaseRow carries).
        channel: serde_json::to_value(Channel::HomeVisit)
            .unwrap()
            .as_str()
            .map(str::to_owned),
        urgency: serde_json::to_value(Urgency::Urgent)
            .unwrap()
            .as_str()
            .map(str::to_owned),
        deadline: Some(at(8)),
        overdue: false,
        due_soon: true,
        warn_at: Some(at(7)),
    }
}

fn status() -> SyncStatus {
    SyncStatus {
        online: true,
        syncing: false,
        queued: 2,
        conflicts: 1,
        last_sync_at: Some(at(3)),
        last_error: Some("无法连接".into()),
        last_error_code: Some("OFFLINE".into()),
        next_attempt_at: Some(at(4)),
        login_required: false,
    }
}

fn dispatch_order() -> DispatchOrder {
    DispatchOrder {
        handling_unit: id(2),
        supervising_unit: Some(id(4)),
        co_units: vec![id(5)],
        category: minsheng_domain::case::Category::new("噪音扰民").unwrap(),
        request_type: RequestType::Complaint,
        urgency: Urgency::Critical,
        flags: CaseFlags {
            police_complaint: true,
            important: false,
        },
    }
}

/// One value of every action variant (the UI builds these; serde is symmetric).
fn actions() -> Vec<Action> {
    let s = |v: &str| v.to_owned();
    vec![
        Action::Dispatch(dispatch_order()),
        Action::Redispatch {
            order: dispatch_order(),
            reason: s("辖区错误"),
        },
        Action::Reject {
            reason: s("重复")
        },
        Action::TransferOut {
            department: s("住建局"),
            reason: s("非公安"),
        },
        Action::LinkDuplicate { master: id(8) },
        Action::SignIn,
        Action::Assign {
            officer: Assignee {
                id: id(1),
                unit: id(2),
                role: Role::Officer,
            },
        },
        Action::Return {
            reason: s("非本辖区"),
        },
        Action::CoUnitOpinion { text: s("同意") },
        Action::SubmitReply {
            text: s("已处理")
        },
        Action::Approve {
            comment: None,
            verdict: None,
        },
        Action::SendBack {
            reason: s("答复不完整"),
        },
        Action::RequestExtension {
            reason: s("需复核"),
            until: at(10),
        },
        Action::ApproveExtension {
            comment: Some(s("同意")),
        },
        Action::RejectExtension {
            reason: s("不同意"),
        },
        Action::Urge {
            message: s("请尽快办理"),
        },
        Action::Consult {
            participants: vec![s("张三")],
            summary: s("纪要"),
        },
        Action::AddNote { text: s("备注") },
        Action::FollowUpAnswer {
            satisfaction: Satisfaction::BasicallySatisfied,
            channel: FollowUpChannel::Phone,
            note: None,
        },
        Action::RecordRehandle {
            result: s("已重办"),
        },
        Action::LeaderSignOff {
            opinion: s("同意")
        },
        Action::RecordInvestigation {
            department: InvestigatingDept::Inspection,
            finding: s("属实"),
            verdict: None,
        },
        Action::SupervisionNotice {
            notice: s("督办")
        },
        Action::Conclude {
            decision: s("终结"),
        },
        Action::Archive {
            reason: s("满意")
        },
    ]
}

struct Samples(String);

impl Samples {
    fn add(&mut self, name: &str, ts_type: &str, value: &impl Serialize) {
        let json = serde_json::to_string_pretty(value).unwrap();
        writeln!(self.0, "export const {name} = {json} satisfies {ts_type}\n").unwrap();
    }

    /// Every value of a Rust enum, and a compile-time check that the TS union has no others.
    fn all<T: Serialize>(&mut self, name: &str, ts_type: &str, values: &[T]) {
        let json = serde_json::to_string(values).unwrap();
        writeln!(
            self.0,
            "export const {name} = {json} as const satisfies readonly {ts_type}[]\n\
             export const {name}Complete: [Exclude<{ts_type}, (typeof {name})[number]>] extends [never] ? true : false = true\n"
        )
        .unwrap();
    }
}

fn generate() -> String {
    let mut s = Samples(String::from(
        "// Generated by src-tauri/src/bindings_tests.rs from real Rust values. Do not edit:\n\
         // UPDATE_BINDINGS=1 cargo test -p minsheng-desktop bindings\n\
         import type {\n  Action,\n  ActionKind,\n  ApprovalItem,\n  CaseRowPage,\n  CaseState,\n  \
         Capability,\n  Channel,\n  FieldProblem,\n  LocalCase,\n  LocalConfig,\n  NewCase,\n  OutboxCommand,\n  RequestType,\n  Role,\n  \
         RoleCapabilities,\n  ServerCasePage,\n  SessionInfo,\n  SyncReport,\n  SyncStatus,\n  Unit,\n  Urgency,\n  UserSummary,\n  \
         WorkList,\n  WorkListCounts,\n} from '../types'\n\
         import type { NotifyPrefs } from '../online'\n\
         import type { PickedPackage, ReleaseSummary, UpdateOffer, UpdateProgress } from '../updates'\n\n",
    ));
    let profile = Profile {
        id: id(1),
        username: "zhang".into(),
        display_name: "张警官".into(),
        role: "officer".into(),
        role_name: "承办民警".into(),
        unit_id: id(2),
        unit_name: Some("泉城路派出所".into()),
        active: true,
    };
    s.add(
        "sessionInfo",
        "SessionInfo",
        &SessionInfo {
            profile,
            status: status(),
            offline: false,
            must_change_password: true,
            locked: false,
        },
    );
    s.add("syncStatus", "SyncStatus", &status());
    s.add(
        "syncReport",
        "SyncReport",
        &SyncReport {
            pushed: 1,
            applied: 1,
            rejected: 0,
            conflicts: 0,
            pulled: 20,
            removed: 1,
            pages: 1,
            reset: false,
            timelines_filled: 2,
            push_ms: 40,
            pull_ms: 120,
            store_ms: 60,
        },
    );
    let page = Countdown::default().page(1, vec![row()], at(2));
    s.add("caseRowPage", "CaseRowPage", &page);
    s.add(
        "workListCounts",
        "WorkListCounts",
        &LocalWorkListCounts {
            unsigned: 1,
            in_progress: 2,
            due_soon: 3,
            overdue: 4,
        },
    );
    let local = LocalCase {
        case: full_case(),
        citizen: full_case().citizen.view(false),
        server_version: 4,
        pending: vec![id::<CommandId>(10)],
        unreplayable: vec![Unreplayable {
            command: id(11),
            code: "ACTION_NOT_ALLOWED".into(),
            message: "不允许".into(),
        }],
        allowed_actions: ActionKind::ALL.to_vec(),
        timeline: vec![timeline_entry()],
        pending_steps: vec![PendingStep {
            command: id(10),
            kind: "submitReply".into(),
            label: "提交答复".into(),
            actor_name: "张警官".into(),
            device_at: at(3),
            detail: json!({ "text": "已处理" }),
        }],
        duplicates: vec![DuplicateLink {
            id: id(12),
            number: Some("MS202611260002".into()),
            title: "同一事项的第二次来电".into(),
            state: CaseState::Merged,
            linked_at: Some(at(4)),
            linked_by: Some("李受理".into()),
        }],
    };
    s.add("localCase", "LocalCase", &local);
    s.add(
        "roleCapabilities",
        "RoleCapabilities[]",
        &crate::commands::app::role_capabilities(),
    );
    s.add(
        "serverCasePage",
        "ServerCasePage",
        &minsheng_client::api::CasePage {
            items: vec![minsheng_client::api::CaseSummary {
                id: id(13),
                number: Some("MS202511020001".into()),
                title: "去年办结的噪音投诉".into(),
                channel: Channel::MayorHotline,
                request_type: RequestType::Complaint,
                category: Some("治安管理".into()),
                state: CaseState::Archived,
                urgency: "普通".into(),
                sensitive: false,
                handling_unit: Some(id(2)),
                supervising_unit: None,
                received_at: at(1),
                sign_in_deadline: Some(at(2)),
                reply_deadline: None,
                overdue: false,
                version: 9,
            }],
            next_cursor: Some("1700000000000_00000000-0000-7000-8000-00000000000d".into()),
            total: Some(1),
        },
    );
    s.add(
        "unit",
        "Unit",
        &Unit {
            id: id(2),
            code: "370102001".into(),
            name: "泉城路派出所".into(),
            level: UnitLevel::Station,
            parent: Some(id(4)),
            kind: UnitKind::PoliceStation,
            police_line: Some(PoliceLine::PublicOrder),
            jurisdiction: Jurisdiction {
                districts: vec!["历下区".into()],
                streets: vec!["泉城路街道".into()],
            },
            active: true,
        },
    );
    s.add(
        "userSummary",
        "UserSummary",
        &UserSummary {
            id: id(1),
            username: "zhang".into(),
            display_name: "张警官".into(),
            role: "officer".into(),
            role_name: "承办民警".into(),
            unit_id: id(2),
            active: true,
        },
    );
    let command = |payload| Command {
        seq: 7,
        id: id(10),
        case_id: id(3),
        base_version: Some(4),
        payload,
        actor: actor(),
        device_at: at(3),
        status: CommandStatus::Conflict,
        error_code: Some("CASE_REASSIGNED".into()),
        error_message: Some("该件已改派".into()),
    };
    s.add(
        "conflicts",
        "OutboxCommand[]",
        &vec![
            command(CommandPayload::Action(Action::SubmitReply {
                text: "已处理".into(),
            })),
            command(CommandPayload::Intake(new_case())),
        ],
    );
    let row_view = CaseRowView {
        row: row(),
        remaining_minutes: Some(-30),
    };
    s.add(
        "approvals",
        "ApprovalItem[]",
        &vec![ApprovalItem {
            kind: "reply",
            row: row_view,
            reply: full_case().reply,
            extension: full_case().pending_extension,
            sensitive: true,
            asks_verdict: true,
        }],
    );
    s.add("newCase", "NewCase", &new_case());
    let leader_case = NewCase {
        channel: Channel::LeaderInstruction,
        leader_instruction: Some(minsheng_domain::case::LeaderInstruction {
            leader: "王副市长".into(),
            instruction: "请核实处理，及时答复群众。".into(),
        }),
        ..new_case()
    };
    s.add("leaderNewCase", "NewCase", &leader_case);
    // `intake_check`: every problem of a bad form, as the domain reports them.
    let bad = NewCase {
        title: " ".into(),
        citizen_phone: Some("123".into()),
        ..new_case()
    };
    s.add(
        "fieldProblems",
        "FieldProblem[]",
        &workflow::check_intake(&bad, &actor(), at(2)),
    );
    // The server's own DTO (通知偏好 goes through the online passthrough as JSON).
    s.add(
        "notifyPrefs",
        "NotifyPrefs",
        &NotifyPrefs {
            sms: true,
            sms_kinds: vec!["overdue".into(), "urge".into()],
        },
    );
    s.add(
        "localConfig",
        "LocalConfig",
        &crate::commands::org::LocalConfig::of(&minsheng_domain::config::Config::builtin(), at(2)),
    );
    s.add("actions", "Action[]", &actions());
    // 在线更新 and 版本发布 (issue 17).
    s.add(
        "updateOffer",
        "UpdateOffer",
        &crate::commands::updates::UpdateOffer {
            version: "0.2.0".into(),
            current_version: "0.1.0".into(),
            notes: "修复断网重连后同步卡住的问题".into(),
            published_at: Some("2026-12-07T10:00:00Z".into()),
        },
    );
    s.add(
        "updateProgress",
        "UpdateProgress",
        &crate::commands::updates::UpdateProgress {
            downloaded: 1024,
            total: Some(4096),
        },
    );
    s.add(
        "releases",
        "ReleaseSummary[]",
        &vec![minsheng_client::api::ReleaseSummary {
            id: "0190f0a0-0000-7000-8000-0000000000aa".into(),
            version: "0.2.0".into(),
            target: "linux-x86_64".into(),
            bundle: "deb".into(),
            notes: "修复断网重连后同步卡住的问题".into(),
            file_name: "民生警务平台_0.2.0_amd64.deb".into(),
            size: 12_345_678,
            sha256: "ab".repeat(32),
            published_at: "2026-12-07T10:00:00Z".into(),
            published_by: "系统管理员".into(),
            withdrawn: false,
        }],
    );
    s.add(
        "pickedPackage",
        "PickedPackage",
        &crate::commands::online_releases::PickedPackage {
            path: "/home/admin/民生警务平台_0.2.0_amd64.deb".into(),
            file_name: "民生警务平台_0.2.0_amd64.deb".into(),
            size: 12_345_678,
            version: Some("0.2.0".into()),
            target: Some("linux-x86_64".into()),
            bundle: Some("deb".into()),
            signature_path: None,
        },
    );
    s.all("caseStates", "CaseState", CaseState::ALL);
    s.all("actionKinds", "ActionKind", ActionKind::ALL);
    s.all("workLists", "WorkList", WorkList::ALL);
    s.all(
        "capabilities",
        "Capability",
        &minsheng_domain::capability::Capability::ALL,
    );
    s.all("roles", "Role", Role::ALL);
    s.all("channels", "Channel", Channel::ALL);
    s.all("requestTypes", "RequestType", RequestType::ALL);
    s.all("urgencies", "Urgency", Urgency::ALL);
    s.0
}

#[test]
fn bindings_samples_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src/api/generated/samples.ts");
    let fresh = generate();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is out of date with the Rust wire types: run \
         `UPDATE_BINDINGS=1 cargo test -p minsheng-desktop bindings`, then `npm --prefix ui run typecheck`",
        path.display()
    );
}
