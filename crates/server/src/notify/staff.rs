//! Staff notifications: derived from the sync change log (what happened to a case, as
//! its timeline entry says) and from deadlines, delivered to the desktop app (polled
//! list) and, per the user's preference, also by SMS. Each notification has an event
//! key per recipient, so re-reading the log after a restart never repeats one.

use chrono::{DateTime, Utc};
use minsheng_domain::calendar::beijing;
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::ids::{CaseId, UnitId};
use minsheng_domain::role::Role;
use minsheng_domain::timeline::TimelineEntry;

use super::templates::{self, is_mobile};
use crate::error::ApiError;
use crate::state::AppState;
use minsheng_store::assessment::AlertRecord;
use minsheng_store::notify::{DeadlineHit, FollowUpRecord, NewSms, StaffNotification};
use minsheng_store::UserRecord;

/// How far back change-log events and missed deadlines still notify anyone.
pub const HORIZON_DAYS: i64 = 7;

/// A notification before its recipients are expanded.
struct Draft {
    key: String,
    kind: &'static str,
    case_id: Option<CaseId>,
    title: String,
    body: String,
}

fn active(users: Vec<UserRecord>, roles: &[Role]) -> Vec<UserRecord> {
    users
        .into_iter()
        .filter(|u| u.active && roles.contains(&u.role))
        .collect()
}

fn unit_users(
    s: &AppState,
    unit: Option<UnitId>,
    roles: &[Role],
) -> Result<Vec<UserRecord>, ApiError> {
    match unit {
        Some(u) => Ok(active(s.store.list_users(Some(u))?, roles)),
        None => Ok(Vec::new()),
    }
}

fn all_with_role(s: &AppState, role: Role) -> Result<Vec<UserRecord>, ApiError> {
    Ok(active(s.store.list_users(None)?, &[role]))
}

/// Supervisors of 纪委/督察/法制 (level-3 follow-up investigations).
fn investigators(s: &AppState) -> Result<Vec<UserRecord>, ApiError> {
    let org = s.org();
    let mut out = Vec::new();
    for u in org.units().filter(|u| u.is_investigator()) {
        out.extend(unit_users(s, Some(u.id), &[Role::Supervisor])?);
    }
    Ok(out)
}

/// The assigned officer, else everyone handling in the unit.
fn handlers(s: &AppState, c: &Case) -> Result<Vec<UserRecord>, ApiError> {
    if let Some(o) = c.assigned_officer {
        if let Some(u) = s.store.user(o)?.filter(|u| u.active) {
            return Ok(vec![u]);
        }
    }
    unit_users(s, c.handling_unit, &[Role::Officer, Role::UnitHead])
}

fn label(c: &Case) -> String {
    format!(
        "{}「{}」",
        c.number.as_deref().unwrap_or("（未编号）"),
        c.title
    )
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `（期限 …）` of the current follow-up task, when the workflow set one.
fn task_due(c: &Case) -> String {
    c.deadlines
        .follow_up_task
        .map(|d| format!("（期限 {}）", local(d)))
        .unwrap_or_default()
}

/// Who hears about a follow-up task: level 2 the unit head and the supervising unit,
/// level 3 the city leaders and 纪委/督察/法制.
fn task_owners(s: &AppState, c: &Case) -> Result<Vec<UserRecord>, ApiError> {
    let mut to = Vec::new();
    if c.state == CaseState::FollowUpL3 {
        to.extend(all_with_role(s, Role::Leader)?);
        to.extend(investigators(s)?);
    } else {
        to.extend(unit_users(s, c.handling_unit, &[Role::UnitHead])?);
        to.extend(unit_users(s, c.supervising_unit, &[Role::Supervisor])?);
    }
    Ok(to)
}

/// Who hears about a timeline entry, and what they are told.
fn for_entry(
    s: &AppState,
    c: &Case,
    e: &TimelineEntry,
) -> Result<Option<(Draft, Vec<UserRecord>)>, ApiError> {
    let heads = || unit_users(s, c.handling_unit, &[Role::UnitHead]);
    let supervisors = || unit_users(s, c.supervising_unit, &[Role::Supervisor]);
    let d = |kind: &'static str, title: &str, body: String| Draft {
        key: format!("entry:{}", e.id),
        kind,
        case_id: Some(c.id),
        title: title.to_owned(),
        body,
    };
    let out = match (e.kind.as_str(), e.to_state) {
        ("dispatch" | "redispatch", CaseState::PendingSignIn) => {
            let due = c.deadlines.sign_in.map(local).unwrap_or_default();
            (
                d(
                    "dispatch",
                    "新派单",
                    format!("{}，请于{due}前签收", label(c)),
                ),
                unit_users(s, c.handling_unit, &[Role::Officer, Role::UnitHead])?,
            )
        }
        ("assign", _) => (
            d("assign", "指派办理", format!("{} 已指派给您办理", label(c))),
            c.assigned_officer
                .map(|o| s.store.user(o))
                .transpose()?
                .flatten()
                .into_iter()
                .collect(),
        ),
        ("submitReply", CaseState::PendingReview) => (
            d(
                "approval",
                "答复待审核",
                format!("{} 的答复已提交，请审核", label(c)),
            ),
            heads()?,
        ),
        ("approve", CaseState::PendingReview) => {
            let mut to = supervisors()?;
            to.extend(all_with_role(s, Role::Leader)?);
            (
                d(
                    "approval",
                    "答复待签批",
                    format!("敏感件 {} 的答复待签批", label(c)),
                ),
                to,
            )
        }
        ("requestExtension", _) => (
            d(
                "approval",
                "延期待审批",
                format!("{} 申请延期，请审批", label(c)),
            ),
            supervisors()?,
        ),
        ("urge", _) => {
            let mut to = handlers(s, c)?;
            to.extend(heads()?);
            (
                d("urge", "催办", format!("{} 被催办，请抓紧办理", label(c))),
                to,
            )
        }
        ("sendBack", CaseState::InProgress) => (
            d(
                "sendBack",
                "答复被退回",
                format!("{} 的答复被退回，请修改", label(c)),
            ),
            handlers(s, c)?,
        ),
        ("followUpAnswer", CaseState::FollowUpL2) => {
            let mut to = heads()?;
            to.extend(supervisors()?);
            (
                d(
                    "followUpTask",
                    "二级回访：群众不满意",
                    format!(
                        "{} 群众不满意，请所队长与督办单位重新办理、上门回访并录入重办结果{}",
                        label(c),
                        task_due(c)
                    ),
                ),
                to,
            )
        }
        ("followUpAnswer", CaseState::FollowUpL3) => {
            let mut to = all_with_role(s, Role::Leader)?;
            to.extend(investigators(s)?);
            (
                d(
                    "followUpTask",
                    "三级回访：重办后仍不满意",
                    format!(
                        "{} 重办后群众仍不满意，请市局领导签批，纪委/督察/法制部门调查{}",
                        label(c),
                        task_due(c)
                    ),
                ),
                to,
            )
        }
        ("followUpAnswer", CaseState::DifficultSupervision) => {
            let mut to = supervisors()?;
            to.extend(all_with_role(s, Role::Leader)?);
            (
                d(
                    "followUpTask",
                    "疑难督办",
                    format!(
                        "{} 列为疑难督办，请下发督办通知、专题研究{}",
                        label(c),
                        task_due(c)
                    ),
                ),
                to,
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// Stores one notification per recipient (once per event key) with the SMS copies
/// users asked for, and marks `reminded` (a deadline reminder's key), all in one
/// transaction: a failure stores none of it, and the next pass delivers it again.
/// Returns how many were new.
fn deliver(
    s: &AppState,
    draft: &Draft,
    to: &[UserRecord],
    reminded: Option<&str>,
) -> Result<usize, ApiError> {
    let now = s.now();
    let mut seen = std::collections::HashSet::new();
    let mut items = Vec::new();
    for u in to.iter().filter(|u| seen.insert(u.id)) {
        let n = StaffNotification {
            id: uuid::Uuid::now_v7().to_string(),
            event_key: format!("{}:{}", draft.key, u.id),
            user_id: u.id,
            kind: draft.kind.to_owned(),
            case_id: draft.case_id,
            title: draft.title.clone(),
            body: draft.body.clone(),
            created_at: now,
            read_at: None,
        };
        let sms = sms_copy(s, &n, u)?;
        items.push((n, sms));
    }
    Ok(s.store.insert_notifications(&items, reminded, now)?.len())
}

/// The SMS copy of `n`, when its user has a mobile and asked for this kind by SMS.
fn sms_copy(
    s: &AppState,
    n: &StaffNotification,
    user: &UserRecord,
) -> Result<Option<NewSms>, ApiError> {
    let Some(phone) = user.phone.as_deref().filter(|p| is_mobile(p)) else {
        return Ok(None);
    };
    let prefs = s.store.notify_prefs(n.user_id)?;
    if !prefs.sms || !(prefs.sms_kinds.is_empty() || prefs.sms_kinds.contains(&n.kind)) {
        return Ok(None);
    }
    Ok(Some(templates::sms(
        s,
        format!("staff:{}", n.event_key),
        "staff.notice",
        phone,
        serde_json::json!({"title": n.title, "body": n.body}),
    )?))
}

/// Reads the change log from the stored position, then the deadline reminders.
pub fn pass(s: &AppState, batch: usize) -> Result<usize, ApiError> {
    let mut count = 0;
    // Events older than the horizon are history (a seeded or upgraded database), not news.
    let horizon = s.now() - chrono::Duration::days(HORIZON_DAYS);
    let changes = s
        .store
        .changes_after(s.store.notify_cursor()?, horizon, batch * 5)?;
    for ch in &changes {
        let Some(entry) = &ch.entry else {
            continue;
        };
        let Some(case) = s.store.case(ch.case_id)? else {
            continue;
        };
        if let Some((draft, mut to)) = for_entry(s, &case, entry)? {
            // Nobody is told about what they did themselves.
            to.retain(|u| u.id != entry.actor_id);
            count += deliver(s, &draft, &to, None)?;
        }
    }
    if let Some(last) = changes.last() {
        s.store.set_notify_cursor(last.seq)?;
    }
    count += warn_missing_calendar(s)?;
    // A reminder that cannot be delivered stays unmarked (retried next pass) and does
    // not hold up the others; the first failure is reported after all were tried.
    let mut failed = None;
    for hit in s.store.deadline_hits(s.now(), horizon, batch)? {
        match remind(s, &hit) {
            Ok(k) => count += k,
            Err(e) => {
                tracing::error!(case_id = %hit.case_id, kind = %hit.kind, error = %e,
                    "deadline reminder not delivered");
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(count), Err)
}

/// From 1 November, while next year's holiday calendar is missing (or this year's),
/// every admin is told once per year (the event key dedupes across passes).
fn warn_missing_calendar(s: &AppState) -> Result<usize, ApiError> {
    let Some(w) = crate::config::calendar_warning(&s.config(), s.now()) else {
        return Ok(0);
    };
    let draft = Draft {
        key: format!("calendarMissing:{}", w.year),
        kind: "calendarMissing",
        case_id: None,
        title: format!("{}年节假日日历尚未配置", w.year),
        body: w.message,
    };
    deliver(s, &draft, &all_with_role(s, Role::Admin)?, None)
}

/// One deadline reminder: its notices, SMS copies and mark, or nothing.
fn remind(s: &AppState, hit: &DeadlineHit) -> Result<usize, ApiError> {
    // Marked reminded only together with its notices (`deliver`).
    let key = format!(
        "{}:{}:{}",
        hit.kind,
        hit.case_id,
        hit.deadline.timestamp_millis()
    );
    let Some(c) = s.store.case(hit.case_id)? else {
        s.store.insert_notifications(&[], Some(&key), s.now())?;
        return Ok(0);
    };
    let (draft, to) = match hit.kind.as_str() {
        "signInReminder" => (
            Draft {
                key,
                kind: "signInReminder",
                case_id: Some(c.id),
                title: "即将超时未签收".into(),
                body: format!("{} 请于{}前签收", label(&c), local(hit.deadline)),
            },
            unit_users(s, c.handling_unit, &[Role::Officer, Role::UnitHead])?,
        ),
        "overdueFollowUp" => (
            Draft {
                key,
                kind: "overdue",
                case_id: Some(c.id),
                title: "回访任务已逾期".into(),
                body: format!(
                    "{}（{}）的回访任务期限{}已过",
                    label(&c),
                    c.state.label_zh(),
                    local(hit.deadline)
                ),
            },
            task_owners(s, &c)?,
        ),
        _ => {
            let what = if hit.kind == "overdueSignIn" {
                "签收"
            } else {
                "答复"
            };
            let mut to = handlers(s, &c)?;
            to.extend(unit_users(s, c.handling_unit, &[Role::UnitHead])?);
            to.extend(unit_users(s, c.supervising_unit, &[Role::Supervisor])?);
            (
                Draft {
                    key,
                    kind: "overdue",
                    case_id: Some(c.id),
                    title: format!("{what}已逾期"),
                    body: format!("{} {what}期限{}已过", label(&c), local(hit.deadline)),
                },
                to,
            )
        }
    };
    deliver(s, &draft, &to, Some(&draft.key))
}

/// An early-warning alert (`assessment::alerts`), pushed to the unit heads and
/// supervisors of the units it concerns (the unit and every unit above it).
pub fn alert(s: &AppState, a: &AlertRecord) -> Result<usize, ApiError> {
    let mut to = Vec::new();
    for u in &a.units {
        to.extend(unit_users(
            s,
            Some(*u),
            &[Role::UnitHead, Role::Supervisor],
        )?);
    }
    let title = if a.kind == "volume" {
        "预警：诉求量异常上升"
    } else {
        "预警：回访不满意率异常上升"
    };
    let draft = Draft {
        key: format!("alert:{}", a.id),
        kind: "alert",
        case_id: None,
        title: title.into(),
        body: format!("{}（{}周）", a.message, a.week),
    };
    deliver(s, &draft, &to, None)
}

/// A round the citizen did not answer by SMS: every 回访员 sees a phone task.
pub fn phone_task(s: &AppState, f: &FollowUpRecord) -> Result<usize, ApiError> {
    let what = match f.case_id {
        Some(id) => match s.store.case(id)? {
            Some(c) => label(&c),
            None => id.to_string(),
        },
        None => format!(
            "{}业务回访（{}）",
            super::service::service_label(f.service.as_deref().unwrap_or("窗口")),
            f.phone.as_deref().map(templates::mask).unwrap_or_default()
        ),
    };
    let draft = Draft {
        key: format!("phone:{}", f.id),
        kind: "phoneFollowUp",
        case_id: f.case_id,
        title: "电话回访任务".into(),
        body: format!("{what} 短信回访未获答复，请电话回访并录入满意度"),
    };
    deliver(s, &draft, &all_with_role(s, Role::FollowUp)?, None)
}

/// A free-text reply that is not a 1/2/3 answer: the 回访员 reads it and records.
pub fn free_text(
    s: &AppState,
    message_id: &str,
    f: &FollowUpRecord,
    text: &str,
) -> Result<usize, ApiError> {
    let draft = Draft {
        key: format!("freeText:{message_id}"),
        kind: "freeTextReply",
        case_id: f.case_id,
        title: "群众回复待处理".into(),
        body: format!(
            "群众回复：“{}”，请阅读后录入回访结果",
            text.chars().take(200).collect::<String>()
        ),
    };
    deliver(s, &draft, &all_with_role(s, Role::FollowUp)?, None)
}

/// A supervisor to consult by phone or visit this round: the responsible unit's heads
/// see the task (it stays in the unit's list `GET /supervisors/consultations`).
pub fn supervisor_task(
    s: &AppState,
    c: &minsheng_store::supervisors::Consultation,
) -> Result<usize, ApiError> {
    let draft = Draft {
        key: format!("supervisorTask:{}", c.id),
        kind: "supervisorTask",
        case_id: None,
        title: format!("监督员{}征询任务", c.channel.label_zh()),
        body: format!(
            "{}月度征询：请{}联系优秀监督员{}，听取对民生警务工作的意见并录入",
            c.period,
            match c.channel {
                minsheng_domain::supervisors::ContactChannel::Visit => "上门走访",
                _ => "电话",
            },
            c.supervisor_name
        ),
    };
    deliver(
        s,
        &draft,
        &unit_users(s, Some(c.unit_id), &[Role::UnitHead])?,
        None,
    )
}
