//! `POST /sync/push`: queued offline commands, each applied exactly once (in its own
//! savepoint of a chunk's transaction) together with its recorded outcome, re-validated against the case as it
//! is now (the client's base version is a hint, not a precondition). A refused command
//! is answered and recorded like an applied one, so it never blocks the ones after it.
//! A push naming another epoch than the database's (a restore happened since the
//! client last synced) is refused whole with `SYNC_RESET`.

use chrono::{DateTime, Utc};
use minsheng_domain::case::Case;
use minsheng_domain::ids::{CaseId, CommandId};
use minsheng_domain::role::Actor;
use minsheng_domain::scope::can_see;
pub use minsheng_domain::sync::{
    CommandOutcome, CommandResult, PushCommand, PushRequest, PushResponse, MAX_PUSH_COMMANDS,
};
use minsheng_domain::workflow::{self, Action, NewCase};

use crate::cases::{intake_entry, resolve_action_with, transition, CaseView, References};
use crate::error::ApiError;
use crate::intelligence;
use crate::state::AppState;
use minsheng_store::{CommandBatch, CommandKey, CommandTx, ProcessedCommand, SyncEpoch};

/// Work for after the commit: the indexes and the feedback table must neither see
/// uncommitted cases nor wait for the write lock this batch holds.
enum AfterCommit {
    Action(Case, intelligence::DispatchCheck),
    Intake(Case),
}

/// Processes a batch in order, the backend's `commands_per_transaction` commands per
/// transaction (one commit per chunk, not per command), each in its own savepoint with
/// its recorded outcome.
pub fn push(s: &AppState, actor: &Actor, req: PushRequest) -> Result<PushResponse, ApiError> {
    if req.commands.len() > MAX_PUSH_COMMANDS {
        return Err(ApiError::BatchTooLarge(MAX_PUSH_COMMANDS));
    }
    let epoch = s.store.sync_epoch()?;
    // A client that synced with another epoch holds commands as applied that this
    // database may never have seen (it was restored from a backup): apply nothing
    // before it has re-queued them, or they would land after newer ones.
    if let Some(theirs) = req
        .epoch
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if theirs.parse::<SyncEpoch>().ok() != Some(epoch) {
            return Err(ApiError::SyncReset);
        }
    }
    s.refresh_if_changed()?;
    let install = req.install_id.to_string();
    let org = s.org();
    let mut results = Vec::with_capacity(req.commands.len());
    let mut commands = req.commands.into_iter().peekable();
    while commands.peek().is_some() {
        let per_tx = s.store.commands_per_transaction().max(1);
        let mut chunk = Some(commands.by_ref().take(per_tx).collect::<Vec<_>>());
        let mut done = Vec::new();
        let mut after = Vec::new();
        s.store.run_batch(&org, &mut |b: &mut dyn CommandBatch| {
            let cmds = chunk.take().unwrap_or_default();
            let ids: Vec<CommandId> = cmds.iter().map(|c| c.id).collect();
            let cases: Vec<CaseId> = cmds.iter().filter_map(|c| c.case_id).collect();
            b.claim(&ids, &cases)?;
            for cmd in cmds {
                let key = CommandKey {
                    id: cmd.id,
                    install_id: install.clone(),
                    user_id: actor.user_id,
                    seq: cmd.seq,
                    case_id: cmd.case_id,
                    at: s.now(),
                };
                // A storage failure (`ApiError::Storage`) fails the whole push: it is
                // answered 500 and the client pushes again.
                let r = match process(s, actor, &install, cmd, b, &mut after) {
                    Err(ApiError::Internal(detail)) => {
                        // A command that breaks the server every time must not block the
                        // queue behind it forever: it is refused (the user can re-apply
                        // it from 同步冲突) and the detail goes to the log.
                        tracing::error!(command = %key.id, %detail, "push command failed; refused");
                        let e = ApiError::Internal(detail);
                        record(
                            b,
                            actor,
                            &key,
                            &result(key.id, CommandOutcome::Rejected, Some(&e), None),
                        )?
                    }
                    other => other?,
                };
                done.push(r);
            }
            Ok(())
        })?;
        for a in after {
            match a {
                AfterCommit::Action(c, check) => intelligence::after_action(s, &c, check),
                // Feeds the duplicate index like an online intake.
                AfterCommit::Intake(c) => intelligence::index_new_case(s, &c),
            }
        }
        results.extend(done);
    }
    Ok(PushResponse {
        results,
        ack_seq: s.store.ack_seq(&install)?.unwrap_or(0),
        epoch: epoch.to_string(),
    })
}

fn result(
    id: CommandId,
    status: CommandOutcome,
    err: Option<&ApiError>,
    case: Option<serde_json::Value>,
) -> CommandResult {
    CommandResult {
        id,
        status,
        code: err.map(|e| e.code().to_owned()),
        message: err.map(ToString::to_string),
        case,
    }
}

fn view(s: &AppState, actor: &Actor, c: &Case) -> Result<Option<serde_json::Value>, ApiError> {
    let org = s.org();
    if !can_see(actor, c, &org) {
        return Ok(None);
    }
    Ok(Some(serde_json::to_value(CaseView::new(
        c,
        actor,
        &org,
        s.now(),
    )?)?))
}

/// The stored outcome, verbatim; another user's command id is refused, never revealed.
/// `fresh` is the outcome just recorded (when this call recorded it): the same value
/// the stored JSON holds, so it is answered without parsing that JSON back.
fn replay(
    actor: &Actor,
    id: CommandId,
    done: &ProcessedCommand,
    fresh: Option<CommandResult>,
) -> Result<CommandResult, ApiError> {
    if done.user_id != actor.user_id {
        let e = ApiError::AlreadyExists(format!("操作编号 {id}"));
        return Ok(result(id, CommandOutcome::Rejected, Some(&e), None));
    }
    match fresh {
        Some(r) if !done.replayed => Ok(r),
        _ => Ok(serde_json::from_str(&done.result)?),
    }
}

/// Records an outcome decided before touching the case (unreadable command, refused
/// references), in the same exactly-once table.
fn record(
    b: &mut dyn CommandBatch,
    actor: &Actor,
    key: &CommandKey,
    r: &CommandResult,
) -> Result<CommandResult, ApiError> {
    let json = serde_json::to_string(r)?;
    let done = b.run_command(key, &mut |_: &mut dyn CommandTx| Ok(json.clone()))?;
    replay(actor, key.id, &done, Some(r.clone()))
}

fn process(
    s: &AppState,
    actor: &Actor,
    install: &str,
    cmd: PushCommand,
    b: &mut dyn CommandBatch,
    after: &mut Vec<AfterCommit>,
) -> Result<CommandResult, ApiError> {
    if let Some(done) = b.processed_command(cmd.id)? {
        return replay(actor, cmd.id, &done, None);
    }
    let mut key = CommandKey {
        id: cmd.id,
        install_id: install.to_owned(),
        user_id: actor.user_id,
        seq: cmd.seq,
        case_id: cmd.case_id,
        at: s.now(),
    };
    let bad = |msg: String| {
        let e = ApiError::BadRequest(msg);
        result(cmd.id, CommandOutcome::Rejected, Some(&e), None)
    };
    let refusal = match (cmd.action, cmd.intake) {
        (Some(raw), None) => match (serde_json::from_value::<Action>(raw), cmd.case_id) {
            (Ok(action), Some(case_id)) => {
                return action_command(
                    s,
                    actor,
                    (b, after),
                    &key,
                    case_id,
                    action,
                    cmd.base_version,
                    cmd.device_at,
                )
            }
            (Err(e), _) => bad(format!("操作内容无法识别（{e}）")),
            (Ok(_), None) => bad("操作缺少 caseId".into()),
        },
        (None, Some(raw)) => match serde_json::from_value::<NewCase>(raw) {
            Ok(new) => match new.id {
                Some(case_id) => {
                    key.case_id = Some(case_id);
                    return intake_command(
                        s,
                        actor,
                        (b, after),
                        &key,
                        case_id,
                        &new,
                        cmd.device_at,
                    );
                }
                None => bad("离线登记须携带本机生成的诉求件 id".into()),
            },
            Err(e) => bad(format!("登记内容无法识别（{e}）")),
        },
        _ => bad("每条操作须含 action 或 intake 之一".into()),
    };
    record(b, actor, &key, &refusal)
}

/// Not visible (reassigned elsewhere, or unknown): a conflict without a case body.
fn invisible(id: CommandId, exists: bool) -> CommandResult {
    let e = if exists {
        ApiError::Domain(minsheng_domain::DomainError::OutOfScope)
    } else {
        ApiError::NotFound("诉求件")
    };
    result(id, CommandOutcome::Conflict, Some(&e), None)
}

/// A refusal by the rules: a conflict with the current case when the case changed
/// since the client's base version (the client shows what happened), else rejected.
fn refused(
    s: &AppState,
    actor: &Actor,
    id: CommandId,
    err: &ApiError,
    current: &Case,
    base_version: Option<u64>,
) -> Result<CommandResult, ApiError> {
    if !can_see(actor, current, &s.org()) {
        return Ok(invisible(id, true));
    }
    if base_version.is_some_and(|b| b < current.version) {
        return Ok(result(
            id,
            CommandOutcome::Conflict,
            Some(err),
            view(s, actor, current)?,
        ));
    }
    Ok(result(id, CommandOutcome::Rejected, Some(err), None))
}

/// What a command names (the officer of an assignment, the master of a duplicate),
/// read in the batch's own transaction.
struct BatchReferences<'a>(&'a mut dyn CommandBatch);

impl References for BatchReferences<'_> {
    fn user(
        &mut self,
        id: minsheng_domain::ids::UserId,
    ) -> Result<Option<minsheng_store::UserRecord>, ApiError> {
        Ok(self.0.user(id)?)
    }

    fn case(&mut self, id: CaseId) -> Result<Option<Case>, ApiError> {
        Ok(self.0.case(id)?)
    }
}

/// The batch a command runs in, and where it leaves work for after the commit.
type Batch<'a, 'b> = (&'a mut dyn CommandBatch, &'b mut Vec<AfterCommit>);

#[allow(clippy::too_many_arguments)]
fn action_command(
    s: &AppState,
    actor: &Actor,
    (b, after): Batch<'_, '_>,
    key: &CommandKey,
    case_id: CaseId,
    action: Action,
    base_version: Option<u64>,
    device_at: Option<DateTime<Utc>>,
) -> Result<CommandResult, ApiError> {
    let id = key.id;
    let current = match b.case(case_id)? {
        Some(c) if can_see(actor, &c, &s.org()) => c,
        other => return record(b, actor, key, &invisible(id, other.is_some())),
    };
    // Read in the batch's transaction (it holds the write lock: no second connection).
    let action = match resolve_action_with(s, actor, action, &mut BatchReferences(&mut *b)) {
        Ok(a) => a,
        Err(e @ (ApiError::Internal(_) | ApiError::Storage(_))) => return Err(e),
        Err(e) => {
            let r = refused(s, actor, id, &e, &current, base_version)?;
            return record(b, actor, key, &r);
        }
    };
    let check = intelligence::DispatchCheck::before(s, &current, &action);
    let org = s.org();
    let now = s.now();
    let mut applied: Option<Case> = None;
    let mut fresh: Option<CommandResult> = None;
    let done = b.run_command(key, &mut |tx: &mut dyn CommandTx| {
        let mut step = transition(s, actor, &action, &org, now, device_at);
        let r = match tx.update_case(case_id, &mut step).map_err(ApiError::from) {
            Ok(c) => {
                let r = result(id, CommandOutcome::Applied, None, view(s, actor, &c)?);
                applied = Some(c);
                r
            }
            Err(e @ (ApiError::Internal(_) | ApiError::Storage(_))) => return Err(e.into()),
            Err(e) => match tx.case(case_id)? {
                Some(c) => refused(s, actor, id, &e, &c, base_version)?,
                None => invisible(id, false),
            },
        };
        let json = serde_json::to_string(&r)?;
        fresh = Some(r);
        Ok(json)
    })?;
    if let (false, Some(c)) = (done.replayed, applied) {
        after.push(AfterCommit::Action(c, check));
    }
    replay(actor, id, &done, fresh)
}

/// Offline intake, idempotent by the client-minted case id as well as by command id.
fn intake_command(
    s: &AppState,
    actor: &Actor,
    (b, after): Batch<'_, '_>,
    key: &CommandKey,
    case_id: CaseId,
    new: &NewCase,
    device_at: Option<DateTime<Utc>>,
) -> Result<CommandResult, ApiError> {
    let id = key.id;
    let now = s.now();
    let case = match workflow::intake(new, actor, now) {
        Ok(c) => c,
        Err(e) => {
            let r = result(id, CommandOutcome::Rejected, Some(&e.into()), None);
            return record(b, actor, key, &r);
        }
    };
    let entry = intake_entry(&case, actor, now, device_at);
    let mut created: Option<Case> = None;
    let mut fresh: Option<CommandResult> = None;
    let done = b.run_command(key, &mut |tx: &mut dyn CommandTx| {
        let r = match tx.case(case_id)? {
            Some(existing) if existing.created_by == actor.user_id => result(
                id,
                CommandOutcome::Applied,
                None,
                view(s, actor, &existing)?,
            ),
            Some(_) => {
                let e = ApiError::AlreadyExists(format!("诉求件 {case_id}"));
                result(id, CommandOutcome::Rejected, Some(&e), None)
            }
            None => {
                let stored = tx.insert_case(case.clone(), vec![entry.clone()])?;
                let r = result(id, CommandOutcome::Applied, None, view(s, actor, &stored)?);
                created = Some(stored);
                r
            }
        };
        let json = serde_json::to_string(&r)?;
        fresh = Some(r);
        Ok(json)
    })?;
    if let (false, Some(c)) = (done.replayed, created) {
        after.push(AfterCommit::Intake(c));
    }
    replay(actor, id, &done, fresh)
}
