//! Replays a case's timeline into the facts assessment and analytics count: the
//! handling stints with their deadlines, sign-in, reply, return and follow-up answers.
//!
//! Deadlines are recomputed from each dispatch entry with the SLA rules in force at that
//! dispatch and the holiday calendar (the same call the workflow makes), moved by approved extensions; for the
//! stint still current the deadlines stored on the case win, so a later change of the
//! SLA rules never rewrites what a unit was held to.

use chrono::{DateTime, Utc};
use minsheng_domain::case::{Case, CaseState};
use minsheng_domain::config::Config;
use minsheng_domain::org::OrgTree;
use minsheng_domain::role::Role;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::Action;

use minsheng_store::assessment::{CaseFacts, FactCase, Stint};

pub fn replay(case: &Case, entries: &[TimelineEntry], org: &OrgTree, cfg: &Config) -> CaseFacts {
    let mut stints: Vec<Stint> = Vec::new();
    let mut cur: Option<Stint> = None;
    let mut pending_until: Option<DateTime<Utc>> = None;
    let mut answered_at = None;
    let mut first_satisfied = None;
    let mut final_satisfied = None;
    let mut merged_at = None;
    for e in entries {
        // The intake entry carries no action; every other entry records the action taken.
        let Ok(action) = serde_json::from_value::<Action>(e.detail.clone()) else {
            continue;
        };
        match action {
            Action::Dispatch(order) | Action::Redispatch { order, .. } => {
                if let Some(mut s) = cur.take() {
                    s.ended_at = Some(e.at);
                    stints.push(s);
                }
                pending_until = None;
                let from = e.at.max(case.received_at);
                let d = cfg.sla.at(e.at).deadlines(
                    &cfg.calendar,
                    from,
                    order.urgency,
                    order.request_type,
                );
                cur = Some(Stint {
                    case_id: case.id,
                    n: u32::try_from(stints.len() + 1).unwrap_or(u32::MAX),
                    unit_id: order.handling_unit,
                    officer_id: None,
                    dispatched_at: e.at,
                    sign_in_deadline: d.sign_in.unwrap_or(from),
                    signed_in_at: None,
                    reply_deadline: d.reply.unwrap_or(from),
                    completed_at: None,
                    ended_at: None,
                    returned: false,
                    first_satisfied: None,
                    final_satisfied: None,
                });
            }
            Action::SignIn => {
                if let Some(s) = cur.as_mut() {
                    s.signed_in_at.get_or_insert(e.at);
                    if s.officer_id.is_none() && e.actor_role == Role::Officer {
                        s.officer_id = Some(e.actor_id);
                    }
                }
            }
            Action::Assign { officer } => {
                if let Some(s) = cur.as_mut() {
                    s.officer_id = Some(officer.id);
                }
            }
            Action::Return { .. } => {
                if let Some(mut s) = cur.take() {
                    s.returned = true;
                    s.ended_at = Some(e.at);
                    stints.push(s);
                }
                pending_until = None;
            }
            Action::RequestExtension { until, .. } => pending_until = Some(until),
            Action::RejectExtension { .. } => pending_until = None,
            Action::ApproveExtension { .. } => {
                if let (Some(s), Some(u)) = (cur.as_mut(), pending_until.take()) {
                    s.reply_deadline = u;
                }
            }
            Action::Approve { .. } if e.to_state == CaseState::Completed => {
                if let Some(s) = cur.as_mut() {
                    s.completed_at.get_or_insert(e.at);
                }
            }
            Action::FollowUpAnswer { satisfaction, .. } => {
                answered_at.get_or_insert(e.at);
                first_satisfied.get_or_insert(satisfaction.is_satisfied());
                final_satisfied = Some(satisfaction.is_satisfied());
            }
            Action::LinkDuplicate { .. } => merged_at = Some(e.at),
            _ => {}
        }
    }
    if let Some(mut s) = cur.take() {
        if case.handling_unit == Some(s.unit_id) {
            if let (Some(si), Some(r)) = (case.deadlines.sign_in, case.deadlines.reply) {
                s.sign_in_deadline = si;
                s.reply_deadline = r;
            }
        }
        if s.completed_at.is_some() {
            s.first_satisfied = first_satisfied;
            s.final_satisfied = final_satisfied;
        }
        stints.push(s);
    }
    let handling = case.handling_unit;
    let unit = handling.and_then(|u| org.get(u));
    CaseFacts {
        case: FactCase {
            case_id: case.id,
            received_at: case.received_at,
            category: case.category.as_ref().map(|c| c.as_str().to_owned()),
            channel: case.channel.label_zh().to_owned(),
            request_type: case.request_type.label_zh().to_owned(),
            district: case.district.clone().filter(|d| !d.trim().is_empty()),
            handling_unit: handling,
            branch: handling.and_then(|u| org.default_supervisor(u)),
            police_line: unit
                .and_then(|u| u.police_line)
                .map(|l| l.label_zh().to_owned()),
            state: case.state.code(),
            closed: case.state.is_closed(),
            answered_at,
            first_satisfied,
            duplicate_of: case.duplicate_of,
            merged_at,
            scope_units: minsheng_domain::scope::scope_units(case, org),
        },
        stints,
    }
}
