//! The expected answers: one row per operation of the OpenAPI document (plus a few
//! variants of the same operation, written `"METHOD /path [variant]"`), eight columns
//! in `ROLES` order. Scoped rows have a second array for the out-of-scope object of
//! the row's kind (`NA` where the role sees everything of that kind).
//!
//! The values come from SPEC §2 (who sees what), §4 (who may act), §6, §7 and §10, and
//! from what `tests/access_matrix.rs` established before this table: an out-of-scope
//! object answers exactly like one that does not exist (404 `NOT_FOUND`); a filter that
//! names another unit either narrows the list to nothing (200, like a unit with no
//! cases) or, where the route is about that unit's figures or people, 403; a role
//! without the route at all gets 403 for any object.

/// The demo accounts (SPEC §2), in the column order of every table here.
pub const ROLES: [&str; 8] = [
    "admin",      // 管理员, 平台办: sees all
    "clerk",      // 受理员: sees all
    "leader",     // 市局领导: sees all
    "supervisor", // 督办员 of 历下分局 JN-LX: its subtree
    "head",       // 所队长 of 泉城路派出所 JN-LX-QCL: own unit
    "officer",    // 承办民警 of JN-LX-QCL: own unit
    "officer2",   // 承办民警 of 大观园派出所 JN-SZ-DGY (市中分局): own unit
    "followup",   // 回访员: cases in the follow-up phase only
];

/// No out-of-scope object of this kind exists for the role (it sees all of them).
pub const NA: u16 = 0;

/// What the row's object is; decides which fixture `in`/`out` name for each role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing of anyone's scope is addressed (or the route is city-wide).
    Plain,
    /// A case id (in the path, or `caseId` of a reminder, or the case of a sync command).
    Case,
    /// A case that has a follow-up round (`GET /followups?caseId=`).
    RoundCase,
    /// A follow-up round id (`/followups/{id}/…`).
    Round,
    /// A `unit` filter.
    Unit,
}

pub struct Row {
    pub op: &'static str,
    pub kind: Kind,
    pub ins: [u16; 8],
    pub out: [u16; 8],
}

const fn plain(op: &'static str, ins: [u16; 8]) -> Row {
    Row {
        op,
        kind: Kind::Plain,
        ins,
        out: [NA; 8],
    }
}

const fn scoped(op: &'static str, kind: Kind, ins: [u16; 8], out: [u16; 8]) -> Row {
    Row { op, kind, ins, out }
}

use Kind::{Case, Round, RoundCase, Unit};

/// Roles that see every case have no out-of-scope object: the first three columns.
const OUT404: [u16; 8] = [NA, NA, NA, 404, 404, 404, 404, 404];

#[rustfmt::skip]
pub const TABLE: &[Row] = &[
    //                                                admin clerk leader sup head officer off2 followup
    // ---- session (SPEC §2: every account signs in; nothing else is needed for these)
    plain("POST /auth/login",                          [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("POST /auth/refresh",                        [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("POST /auth/logout",                         [204, 204, 204, 204, 204, 204, 204, 204]),
    plain("GET /auth/me",                              [200, 200, 200, 200, 200, 200, 200, 200]),
    // A fresh account of each role changes its own password.
    plain("POST /auth/password",                       [204, 204, 204, 204, 204, 204, 204, 204]),
    plain("GET /health",                               [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /health/ready",                         [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /openapi.json",                         [200, 200, 200, 200, 200, 200, 200, 200]),
    // ---- organisation, users, audit (SPEC §2, §10: the admin edits the org tree and users)
    plain("GET /units",                                [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("POST /units",                               [201, 403, 403, 403, 403, 403, 403, 403]),
    plain("PATCH /units/{id}",                         [200, 403, 403, 403, 403, 403, 403, 403]),
    // Unit heads and officers list their own unit (to assign); nobody else but admin.
    plain("GET /users [no filter]",                    [200, 403, 403, 403, 200, 200, 200, 403]),
    scoped("GET /users", Unit,                         [200, 403, 403, 403, 200, 200, 200, 403],
                                                       [NA,  NA,  NA,  403, 403, 403, 403, NA]),
    plain("POST /users",                               [201, 403, 403, 403, 403, 403, 403, 403]),
    plain("PATCH /users/{id}",                         [200, 403, 403, 403, 403, 403, 403, 403]),
    // The admin's directory and account changes (SPEC §10: users are the admin's).
    plain("GET /users/search",                         [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("PUT /users/{id}",                           [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("PUT /users/{id}/active",                    [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /users/{id}/password",                 [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /audit",                                [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /audit/verify",                         [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /audit/search",                         [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /audit/actions",                        [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /audit/export.xlsx",                    [200, 403, 403, 403, 403, 403, 403, 403]),
    // ---- configuration (SPEC §10: data edited by the admin, read by every client)
    plain("GET /config",                               [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("PUT /config/calendar/{year}",               [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("PUT /config/sla",                           [200, 403, 403, 403, 403, 403, 403, 403]),
    // SPEC §3/§10: categories are admin-editable.
    plain("POST /config/categories",                   [200, 403, 403, 403, 403, 403, 403, 403]),
    // ---- intake (SPEC §3, §4: clerks accept; officers and heads register 入户走访)
    plain("POST /cases",                               [201, 201, 403, 403, 403, 403, 403, 403]),
    plain("POST /cases [入户走访]",                    [201, 201, 403, 403, 201, 201, 201, 403]),
    plain("POST /intake/bulk",                         [200, 200, 403, 403, 403, 403, 403, 403]),
    // The intake form's live help: those who register (clerk, admin, officers and heads on
    // home visits) and the city leader; duplicates limited to what the caller sees.
    plain("POST /intake/assist",                       [200, 200, 200, 403, 200, 200, 200, 403]),
    // ---- cases (SPEC §2 scope; §4 who may act)
    plain("GET /cases [no filter]",                    [200, 200, 200, 200, 200, 200, 200, 200]),
    scoped("GET /cases", Unit,                         [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, NA]),
    scoped("GET /cases/{id}", Case,                    [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("GET /cases/{id}/timeline", Case,           [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("GET /cases/{id}/timeline/verify", Case,    [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    // Full phone/ID only for roles that need the citizen's identity (SPEC §2, PIPL).
    scoped("GET /cases/{id}/citizen", Case,            [403, 200, 403, 403, 200, 200, 200, 200], OUT404),
    // Every role may note a case it can see.
    scoped("POST /cases/{id}/actions", Case,           [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    // 催办: the supervisor (SPEC §2), and clerk and leader as access_matrix.rs established;
    // officer2's in-scope case is B, followup's is C (completed: 403 for the role first).
    scoped("POST /cases/{id}/actions [urge]", Case,    [403, 200, 200, 200, 403, 403, 403, 403], OUT404),
    // SPEC §5 suggestions at dispatch: a dispatch tool (clerk; admin and leader see all).
    scoped("GET /cases/{id}/suggestions", Case,        [200, 200, 200, 403, 403, 403, 403, 403],
                                                       [NA,  NA,  NA,  403, 403, 403, 403, 403]),
    // ---- attachments (SPEC §11): read like the case; attached by those who act on it
    // (domain `attachment::may_attach`: not the admin); uploads are the uploader's own.
    scoped("GET /cases/{id}/attachments", Case,        [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("POST /cases/{id}/attachments", Case,       [403, 201, 201, 201, 201, 201, 201, 201], OUT404),
    scoped("GET /cases/{id}/attachments/{aid}/upload", Case,
                                                       [403, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("PUT /cases/{id}/attachments/{aid}/chunks/{offset}", Case,
                                                       [403, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("POST /cases/{id}/attachments/{aid}/complete", Case,
                                                       [403, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("GET /cases/{id}/attachments/{aid}", Case,  [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    scoped("GET /cases/{id}/attachments/{aid}/thumbnail", Case,
                                                       [200, 200, 200, 200, 200, 200, 200, 200], OUT404),
    plain("GET /intelligence/accuracy",                [200, 200, 200, 403, 403, 403, 403, 403]),
    // The model screen is the admin's; this world has no model directory (409).
    plain("GET /intelligence/model",                   [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /intelligence/model/retrain",          [409, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /intelligence/model/rollback",         [409, 403, 403, 403, 403, 403, 403, 403]),
    // 民生清单 (SPEC §4), scoped.
    plain("GET /worklists",                            [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /worklists/{list} [no filter]",         [200, 200, 200, 200, 200, 200, 200, 200]),
    scoped("GET /worklists/{list}", Unit,              [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, NA]),
    // ---- sync (SPEC §8): a command on an invisible case is refused per command (see
    // PUSH_OUTCOME), the push itself answers 200; a pull never carries it.
    scoped("POST /sync/push", Case,                    [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, 200]),
    scoped("GET /sync/pull", Case,                     [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, 200]),
    // ---- follow-up (SPEC §6): the 回访 list and queue are the platform office's and the
    // city's; a round's full number as for the case's citizen.
    plain("GET /followups [no filter]",                [200, 200, 200, 403, 403, 403, 403, 200]),
    scoped("GET /followups", RoundCase,                [200, 200, 200, 403, 403, 403, 403, 200],
                                                       [NA,  NA,  NA,  403, 403, 403, 403, NA]),
    plain("GET /followups/queue",                      [200, 200, 200, 403, 403, 403, 403, 200]),
    plain("GET /followups/stats",                      [200, 200, 200, 403, 403, 403, 403, 200]),
    scoped("GET /followups/{id}/phone", Round,         [403, 200, 403, 403, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  404, 404, 404, 404, NA]),
    // A window-service round answered on the phone: 回访员 and 受理员 only.
    plain("POST /followups/{id}/answer",               [403, 200, 403, 403, 403, 403, 403, 200]),
    plain("POST /service-events/import",               [200, 200, 403, 403, 403, 403, 403, 403]),
    // ---- notify (SPEC §6): own notifications for everyone; SMS administration
    plain("GET /notifications",                        [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("POST /notifications/read",                  [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /notifications/preferences",            [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("PUT /notifications/preferences",            [200, 200, 200, 200, 200, 200, 200, 200]),
    // The gateway's webhook: no bearer token, an HMAC signature (every column: signed).
    plain("POST /sms/inbound",                         [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /sms/inbound",                          [200, 403, 403, 403, 403, 403, 403, 200]),
    plain("GET /sms/outbox",                           [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /sms/outbox/{id}/retry",               [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /sms/templates",                        [200, 200, 200, 403, 403, 403, 403, 200]),
    plain("PUT /sms/templates/{code}",                 [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /sms/templates/{code}/preview",        [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /sms/outbox/{id}/discard",             [200, 403, 403, 403, 403, 403, 403, 403]),
    // 温馨提示 to the citizen of a visible case: those who deal with citizens.
    scoped("POST /sms/reminders", Case,                [403, 201, 403, 403, 201, 201, 201, 201],
                                                       [NA,  NA,  NA,  403, 404, 404, 404, 404]),
    // ---- assessment and analytics (SPEC §7: "Leaders see their own scope"; assessment
    // is for handling and supervising staff and the city, not the 回访员)
    plain("GET /dashboard",                            [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /alerts",                               [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /assessment/bulletin",                  [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("GET /assessment/scores",                    [200, 200, 200, 200, 200, 200, 200, 403]),
    // Per officer and per branch too (SPEC §7), rows of the caller's scope only.
    plain("GET /assessment/scores [level=officer]",    [200, 200, 200, 200, 200, 200, 200, 403]),
    plain("GET /assessment/scores [level=branch]",     [200, 200, 200, 200, 200, 200, 200, 403]),
    plain("GET /assessment/scores.xlsx",               [200, 200, 200, 200, 200, 200, 200, 403]),
    scoped("GET /assessment/explain", Unit,            [200, 200, 200, 200, 200, 200, 200, 403],
                                                       [NA,  NA,  NA,  403, 403, 403, 403, NA]),
    plain("GET /assessment/weights",                   [200, 200, 200, 200, 200, 200, 200, 403]),
    plain("PUT /assessment/weights",                   [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /analytics [no filter]",                [200, 200, 200, 200, 200, 200, 200, 200]),
    scoped("GET /analytics", Unit,                     [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, NA]),
    plain("GET /analytics/cases [no filter]",          [200, 200, 200, 200, 200, 200, 200, 200]),
    scoped("GET /analytics/cases", Unit,               [200, 200, 200, 200, 200, 200, 200, 200],
                                                       [NA,  NA,  NA,  200, 200, 200, 200, NA]),
    // Reports are city-wide documents shown with the rows of the caller's scope only.
    plain("GET /reports",                              [200, 200, 200, 200, 200, 200, 200, 403]),
    plain("POST /reports",                             [201, 201, 201, 403, 403, 403, 403, 403]),
    plain("GET /reports/{id}",                         [200, 200, 200, 200, 200, 200, 200, 403]),
    plain("GET /reports/{id}/export.xlsx",             [200, 200, 200, 200, 200, 200, 200, 403]),
    // ---- knowledge base (SPEC §10): read by everyone, maintained by admin and clerks
    plain("GET /knowledge",                            [200, 200, 200, 200, 200, 200, 200, 200]),
    plain("POST /knowledge",                           [201, 201, 403, 403, 403, 403, 403, 403]),
    plain("PUT /knowledge/{id}",                       [200, 200, 403, 403, 403, 403, 403, 403]),
    plain("POST /knowledge/{id}/review",               [200, 200, 403, 403, 403, 403, 403, 403]),
    plain("DELETE /knowledge/{id}",                    [200, 200, 403, 403, 403, 403, 403, 403]),
    // ---- 优秀监督员 (SPEC §11): the platform office keeps the register and the rounds,
    // the leader reads what they said, a station its own supervisors and their phone and
    // visit tasks; the per-id rows address an id of nothing (404 where the role has the
    // route, 403 where it has not).
    plain("GET /supervisors",                          [200, 200, 200, 403, 200, 200, 200, 403]),
    plain("POST /supervisors",                         [201, 201, 403, 403, 403, 403, 403, 403]),
    plain("POST /supervisors/proposals",               [200, 200, 403, 403, 403, 403, 403, 403]),
    plain("PATCH /supervisors/{id}",                   [404, 404, 403, 403, 403, 403, 403, 403]),
    plain("POST /supervisors/{id}/decision",           [404, 404, 403, 403, 403, 403, 403, 403]),
    plain("GET /supervisors/{id}/phone",               [404, 404, 403, 403, 404, 404, 404, 403]),
    plain("GET /supervisors/rounds",                   [200, 200, 200, 403, 403, 403, 403, 403]),
    plain("POST /supervisors/rounds",                  [200, 200, 403, 403, 403, 403, 403, 403]),
    plain("GET /supervisors/consultations",            [200, 200, 200, 403, 200, 200, 200, 403]),
    plain("POST /supervisors/consultations/{id}/answer", [404, 404, 403, 403, 404, 404, 404, 403]),
    plain("GET /supervisors/feedback",                 [200, 200, 200, 403, 403, 403, 403, 403]),
    plain("GET /supervisors/feedback.xlsx",            [200, 200, 200, 403, 403, 403, 403, 403]),
    // ---- 责任倒查 (issue 19): 纪检督察 and 市局领导 only — not the admin. The record
    // asked for does not exist (404 to the leader; everyone else is refused first).
    plain("GET /accountability",                       [403, 403, 200, 403, 403, 403, 403, 403]),
    plain("GET /accountability/{id}",                  [403, 403, 404, 403, 403, 403, 403, 403]),
    plain("POST /accountability/{id}/steps",           [403, 403, 404, 403, 403, 403, 403, 403]),
    // ---- desktop releases (issue 17): the admin publishes, lists and withdraws; every
    // signed-in desktop asks for its update and downloads it. No release exists here:
    // the manifest answers 204, an id of nothing 404; the admin's upload is no form (400).
    plain("GET /releases",                             [200, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /releases",                            [400, 403, 403, 403, 403, 403, 403, 403]),
    plain("POST /releases/{id}/withdraw",              [404, 403, 403, 403, 403, 403, 403, 403]),
    plain("GET /releases/{id}/file",                   [404, 404, 404, 404, 404, 404, 404, 404]),
    plain("GET /updates/{target}/{bundle}/{current}",  [204, 204, 204, 204, 204, 204, 204, 204]),
];

/// `POST /sync/push` per command: a note on the role's in-scope case is applied; one on
/// its out-of-scope case is refused (`conflict`, no case body) and changes nothing.
#[rustfmt::skip]
pub const PUSH_OUTCOME: [(&str, &str); 8] = [
    ("applied", "-"), ("applied", "-"), ("applied", "-"),
    ("applied", "conflict"), ("applied", "conflict"), ("applied", "conflict"),
    ("applied", "conflict"), ("applied", "conflict"),
];

/// Rows where the server answers otherwise than the table (SPEC's value is kept in the
/// table): `"<row> | <role> | <in|out>"` and what the server answers. The test asserts
/// that exactly these fail, so a fix (or a new failure) shows.
pub const EXPECTED_FAILURES: &[(&str, &str)] = &[];

/// Out-of-scope answers that differ from the answer for an object that does not exist.
///
/// Decided exception (not a leak we accept by accident): a pushed command on a case the
/// user cannot see is refused — not applied, no case body — with `OUT_OF_SCOPE`, where
/// an id of no case gets `NOT_FOUND`. SPEC §8 wants the desktop to say why queued work
/// was refused ("e.g. the case was reassigned meanwhile": 已改派, tests/sync.rs), and
/// the caller must already hold the id — a UUIDv7 with 74 random bits that only reaches
/// those who once saw the case — so the answer tells nothing about cases the user never
/// knew. Every read keeps the strict rule.
pub const EXPECTED_GHOST_DIFFS: &[&str] = &[
    "POST /sync/push | supervisor | out: conflict OUT_OF_SCOPE vs conflict NOT_FOUND",
    "POST /sync/push | head | out: conflict OUT_OF_SCOPE vs conflict NOT_FOUND",
    "POST /sync/push | officer | out: conflict OUT_OF_SCOPE vs conflict NOT_FOUND",
    "POST /sync/push | officer2 | out: conflict OUT_OF_SCOPE vs conflict NOT_FOUND",
    "POST /sync/push | followup | out: conflict OUT_OF_SCOPE vs conflict NOT_FOUND",
];

/// 2xx bodies that carried something of a case (or unit) the role may not see.
pub const EXPECTED_LEAKS: &[&str] = &[];

/// Statuses observed that the operation does not declare in the document.
pub const EXPECTED_UNDOCUMENTED: &[&str] = &[];
