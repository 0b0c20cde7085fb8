//! The rollups dashboards read equal the per-case facts they sum, on a random fixture:
//! a few hundred cases with random timelines (returns, extensions, duplicates, follow-up
//! answers, re-handling), written in two steps so the second step rewrites facts (and so
//! takes back rollup rows) of cases already counted — including masters whose handling
//! unit changes after duplicates were linked to them. Compared at several "now"s, for
//! every period, level, analytics dimension and scope, and the early-warning cells.

mod support;

use chrono::{DateTime, Duration, Utc};
use minsheng_domain::case::{
    Case, CaseFlags, Category, Channel, RequestType, Satisfaction, Urgency,
};
use minsheng_domain::ids::{CaseId, EntryId, UnitId, UserId};
use minsheng_domain::org::{OrgTree, Unit};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::scope::ListScope;
use minsheng_domain::timeline::TimelineEntry;
use minsheng_domain::workflow::{self, Action, DispatchOrder, FollowUpChannel, NewCase};
use minsheng_server::assessment::board::{self, BoardRequest, Level, Source};
use minsheng_server::assessment::period::{bj_date, Period, PeriodKind};
use minsheng_server::state::AppState;
use minsheng_store::assessment::{AnalyticsFilter, AnalyticsQuery, Dimension, StintGroup, Via};
use minsheng_store::CaseUpdate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::{bj, TestServer};

/// One planned step of a case.
struct Step {
    actor: Actor,
    action: Action,
    at: DateTime<Utc>,
}

struct Planner {
    org: std::sync::Arc<OrgTree>,
    clerk: Actor,
    followup: Actor,
    stations: Vec<Unit>,
}

fn synthetic(unit: UnitId, role: Role, n: u8) -> Actor {
    // The workflow checks role and unit only; officers get stable made-up ids.
    let mut b = *unit.as_uuid().as_bytes();
    b[0] ^= n;
    Actor {
        user_id: UserId::from_uuid(uuid::Uuid::from_bytes(b)),
        name: format!("{role}{n}"),
        role,
        unit_id: unit,
    }
}

impl Planner {
    fn dispatch(rng: &mut StdRng, unit: UnitId, rt: RequestType) -> Action {
        let cats = Category::DEFAULTS;
        let urgency = [
            Urgency::Ordinary,
            Urgency::Ordinary,
            Urgency::Urgent,
            Urgency::Critical,
        ][rng.random_range(0..4)];
        Action::Dispatch(DispatchOrder {
            handling_unit: unit,
            supervising_unit: None,
            co_units: vec![],
            category: Category::new(cats[rng.random_range(0..cats.len())]).expect("category"),
            request_type: rt,
            urgency,
            flags: CaseFlags::default(),
        })
    }

    fn answer(&self, s: Satisfaction, at: DateTime<Utc>) -> Step {
        Step {
            actor: self.followup.clone(),
            action: Action::FollowUpAnswer {
                satisfaction: s,
                channel: FollowUpChannel::Phone,
                note: None,
            },
            at,
        }
    }

    /// A random life for a case received at `t`; steps are validated when applied.
    fn plan(&self, rng: &mut StdRng, t: DateTime<Utc>, masters: &[CaseId]) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut at = t + Duration::minutes(rng.random_range(5..120));
        if !masters.is_empty() && rng.random_bool(0.08) {
            let m = masters[rng.random_range(masters.len().saturating_sub(15)..masters.len())];
            steps.push(Step {
                actor: self.clerk.clone(),
                action: Action::LinkDuplicate { master: m },
                at,
            });
            return steps;
        }
        if rng.random_bool(0.05) {
            return steps;
        }
        let rt = RequestType::ALL[rng.random_range(0..5)];
        let mut unit = self.stations[rng.random_range(0..self.stations.len())].id;
        steps.push(Step {
            actor: self.clerk.clone(),
            action: Self::dispatch(rng, unit, rt),
            at,
        });
        let officer_n = if rng.random_bool(0.5) { 0x11 } else { 0x12 };
        if rng.random_bool(0.2) {
            // Returned, sometimes after signing in, then dispatched elsewhere.
            at += Duration::hours(rng.random_range(1..72));
            if rng.random_bool(0.5) {
                steps.push(Step {
                    actor: synthetic(unit, Role::Officer, officer_n),
                    action: Action::SignIn,
                    at,
                });
                at += Duration::minutes(30);
            }
            steps.push(Step {
                actor: synthetic(unit, Role::Officer, officer_n),
                action: Action::Return {
                    reason: "非本单位管辖".into(),
                },
                at,
            });
            at += Duration::minutes(rng.random_range(10..600));
            unit = self.stations[rng.random_range(0..self.stations.len())].id;
            steps.push(Step {
                actor: self.clerk.clone(),
                action: Self::dispatch(rng, unit, rt),
                at,
            });
        }
        let officer = synthetic(unit, Role::Officer, officer_n);
        let head = synthetic(unit, Role::UnitHead, 0x22);
        at += Duration::minutes(if rng.random_bool(0.8) {
            rng.random_range(5..300)
        } else {
            rng.random_range(600..4000)
        });
        if rng.random_bool(0.1) {
            return steps; // never signed in
        }
        steps.push(Step {
            actor: officer.clone(),
            action: Action::SignIn,
            at,
        });
        if rng.random_bool(0.15) {
            at += Duration::hours(rng.random_range(1..30));
            steps.push(Step {
                actor: head.clone(),
                action: Action::RequestExtension {
                    reason: "需要调查取证".into(),
                    until: at + Duration::days(rng.random_range(5..12)),
                },
                at,
            });
            let branch = self.org.default_supervisor(unit).unwrap_or(unit);
            at += Duration::hours(rng.random_range(1..20));
            steps.push(Step {
                actor: synthetic(branch, Role::Supervisor, 0x33),
                action: if rng.random_bool(0.7) {
                    Action::ApproveExtension { comment: None }
                } else {
                    Action::RejectExtension {
                        reason: "理由不充分".into(),
                    }
                },
                at,
            });
        }
        at += Duration::hours(if rng.random_bool(0.8) {
            rng.random_range(2..80)
        } else {
            rng.random_range(100..400)
        });
        if rng.random_bool(0.1) {
            return steps; // never replied
        }
        steps.push(Step {
            actor: officer,
            action: Action::SubmitReply {
                text: "已处理。".into(),
            },
            at,
        });
        at += Duration::minutes(rng.random_range(10..300));
        steps.push(Step {
            actor: head.clone(),
            action: Action::Approve {
                comment: None,
                verdict: None,
            },
            at,
        });
        at += Duration::hours(rng.random_range(1..60));
        if rng.random_bool(0.2) {
            return steps; // no answer yet
        }
        if rng.random_bool(0.8) {
            steps.push(self.answer(Satisfaction::Satisfied, at));
            return steps;
        }
        steps.push(self.answer(Satisfaction::Unsatisfied, at));
        at += Duration::hours(rng.random_range(5..60));
        steps.push(Step {
            actor: head,
            action: Action::RecordRehandle {
                result: "上门说明".into(),
            },
            at,
        });
        at += Duration::hours(rng.random_range(1..30));
        let last = if rng.random_bool(0.6) {
            Satisfaction::BasicallySatisfied
        } else {
            Satisfaction::Unsatisfied
        };
        steps.push(self.answer(last, at));
        steps
    }
}

fn entry(last: Option<&TimelineEntry>, before: &Case, after: &Case, step: &Step) -> TimelineEntry {
    TimelineEntry::next(
        last,
        EntryId::mint(step.at),
        before.id,
        step.at,
        None,
        &step.actor,
        step.action.kind().code(),
        Some(before.state),
        after.state,
        serde_json::to_value(&step.action).expect("json"),
    )
}

/// Writes the fixture: steps up to `cut` with the intake, the rest as later updates.
fn build(st: &AppState, start: DateTime<Utc>, cut: DateTime<Utc>, end: DateTime<Utc>, n: usize) {
    let org = st.org();
    let user = |name: &str| {
        let u = st.store.user_by_username(name).unwrap().unwrap();
        Actor {
            user_id: u.id,
            name: u.display_name,
            role: u.role,
            unit_id: u.unit_id,
        }
    };
    let planner = Planner {
        org: org.clone(),
        clerk: user("clerk"),
        followup: user("followup"),
        stations: org.units().filter(|u| u.can_handle()).cloned().collect(),
    };
    let mut rng = StdRng::seed_from_u64(7);
    let mut masters = Vec::new();
    let mut later: Vec<(CaseId, Vec<Step>)> = Vec::new();
    let span = (end - start).num_minutes();
    let mut received: Vec<DateTime<Utc>> = (0..n)
        .map(|_| start + Duration::minutes(rng.random_range(0..span)))
        .collect();
    received.sort();
    for t in received {
        let channel = Channel::ALL[rng.random_range(0..Channel::ALL.len())];
        let new = NewCase {
            id: None,
            channel,
            request_type: RequestType::ALL[rng.random_range(0..5)],
            category: None,
            title: "诉求".into(),
            content: "群众反映问题，请处理。".into(),
            citizen_name: "张三".into(),
            citizen_phone: Some("13900001111".into()),
            citizen_id_card: None,
            address: None,
            district: ["历下区", "市中区", "槐荫区", "天桥区"]
                .get(rng.random_range(0..5))
                .map(|d| (*d).to_owned()),
            received_at: Some(t),
            urgency: Urgency::Ordinary,
            flags: CaseFlags::default(),
            // 领导批示 needs the leader and the instruction.
            leader_instruction: (channel == Channel::LeaderInstruction).then(|| {
                minsheng_domain::case::LeaderInstruction {
                    leader: "王市长".into(),
                    instruction: "请抓紧办理。".into(),
                }
            }),
        };
        let mut c = workflow::intake(&new, &planner.clerk, t).expect("intake");
        let mut entries = vec![minsheng_server::cases::intake_entry(
            &c,
            &planner.clerk,
            t,
            None,
        )];
        let mut rest = Vec::new();
        for step in planner.plan(&mut rng, t, &masters) {
            if step.at > end {
                break;
            }
            if step.at > cut || !rest.is_empty() {
                rest.push(step);
                continue;
            }
            let Ok(next) = workflow::apply(
                &c,
                &step.actor,
                &step.action,
                &st.config().ctx(step.at, &org),
            ) else {
                break;
            };
            entries.push(entry(entries.last(), &c, &next, &step));
            c = next;
        }
        masters.push(c.id);
        later.push((c.id, rest));
        st.store
            .insert_cases(&org, vec![(c, entries)])
            .expect("insert");
    }
    minsheng_server::assessment::run_once(st).expect("first worker pass");
    // The rest happens after the first pass: rewritten facts take their old rows back.
    let mut steps: Vec<(CaseId, Step)> = later
        .into_iter()
        .flat_map(|(id, steps)| steps.into_iter().map(move |s| (id, s)))
        .collect();
    steps.sort_by_key(|(_, s)| s.at);
    let mut dead = std::collections::HashSet::new();
    for (id, step) in steps {
        if dead.contains(&id) {
            continue;
        }
        let r = st.store.update_case(&org, id, None, &mut |c, last| {
            let next = workflow::apply(
                c,
                &step.actor,
                &step.action,
                &st.config().ctx(step.at, &org),
            )?;
            Ok(CaseUpdate::Write(
                Box::new(next.clone()),
                Box::new(entry(Some(last), c, &next, &step)),
            ))
        });
        if r.is_err() {
            dead.insert(id);
        }
    }
    minsheng_server::assessment::run_once(st).expect("second worker pass");
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[tokio::test]
async fn rollups_equal_the_facts_on_a_random_fixture() {
    let end = bj("2026-11-26 15:00");
    let s = TestServer::start_at(end).await;
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || {
        build(
            &st,
            bj("2026-09-20 08:00"),
            bj("2026-11-10 12:00"),
            end,
            400,
        );
        let org = st.org();
        let today = bj_date(end);
        let mut periods = vec![Period::containing(PeriodKind::Year, today)];
        for k in 0..11 {
            periods.push(Period::containing(
                PeriodKind::Week,
                today - chrono::Duration::weeks(k),
            ));
        }
        for m in ["2026-09-15", "2026-10-15", "2026-11-15"] {
            let d = chrono::NaiveDate::parse_from_str(m, "%Y-%m-%d").unwrap();
            periods.push(Period::containing(PeriodKind::Month, d));
        }
        let mut compared = 0;
        let mut nonempty = 0;
        for now in [
            end,
            end - Duration::days(2),
            end - Duration::days(25),
            end + Duration::days(60),
        ] {
            for p in &periods {
                for group in [StintGroup::Unit, StintGroup::Officer] {
                    let roll = st
                        .store
                        .period_counts(p.from(), p.to(), now, group, Via::Rollups)
                        .unwrap();
                    let facts = st
                        .store
                        .period_counts(p.from(), p.to(), now, group, Via::Facts)
                        .unwrap();
                    nonempty += usize::from(!facts.is_empty());
                    let by_key = |mut v: Vec<(String, _)>| {
                        v.sort_by(|a: &(String, _), b| a.0.cmp(&b.0));
                        v
                    };
                    assert_eq!(
                        by_key(roll),
                        by_key(facts),
                        "{group:?} {:?} as of {now}",
                        p.view()
                    );
                    compared += 1;
                }
            }
        }
        assert!(nonempty > 40, "the fixture should fill most periods");
        // Duplicates were counted and moved with their masters.
        let year = periods[0];
        let dups: u64 = st
            .store
            .period_counts(year.from(), year.to(), end, StintGroup::Unit, Via::Rollups)
            .unwrap()
            .iter()
            .map(|(_, c)| c.duplicates)
            .sum();
        assert!(dups > 10, "{dups}");

        // The whole board (rollups) equals the board replayed from every timeline.
        for p in [periods[0], periods[1], periods[3], periods[12]] {
            for level in [Level::Station, Level::Branch, Level::Officer] {
                let req = |source| BoardRequest {
                    period: p,
                    level,
                    source,
                };
                let a = board::board(&st, None, &req(Source::Facts), end).unwrap();
                let b = board::board(&st, None, &req(Source::Timeline), end).unwrap();
                assert_eq!(a.rows, b.rows, "{level:?} {:?}", p.view());
            }
        }

        let mut scopes = vec![ListScope::Everything, ListScope::FollowUpPhase];
        scopes.extend(org.units().map(|u| ListScope::Unit(u.id)));
        let dims = [
            Dimension::Category,
            Dimension::PoliceLine,
            Dimension::District,
            Dimension::Unit,
            Dimension::Branch,
            Dimension::Channel,
            Dimension::RequestType,
            Dimension::Day,
            Dimension::Week,
            Dimension::Month,
            Dimension::Hour,
            Dimension::State,
        ];
        let mut buckets = 0;
        for scope in &scopes {
            for p in [periods[0], periods[2], periods[13]] {
                for by in dims {
                    let q = AnalyticsQuery {
                        scope: scope.clone(),
                        from: p.from(),
                        to: p.to(),
                        by,
                        filter: AnalyticsFilter::default(),
                    };
                    let key = |v: Vec<minsheng_store::assessment::BucketCounts>| {
                        let mut v = v;
                        v.sort_by(|a, b| a.key.cmp(&b.key));
                        v
                    };
                    let roll = key(st.store.analytics(&q, Via::Rollups).unwrap());
                    let facts = key(st.store.analytics(&q, Via::Facts).unwrap());
                    buckets += facts.len();
                    assert_eq!(roll, facts, "{scope:?} {by:?} {:?}", p.view());
                }
            }
        }
        assert!(buckets > 1000, "{buckets}");

        let this_week = minsheng_server::assessment::period::day_number(
            Period::containing(PeriodKind::Week, today).start,
        );
        let first = this_week - 7 * 10;
        let a = st.store.week_cells(first, this_week, Via::Rollups).unwrap();
        let b = st.store.week_cells(first, this_week, Via::Facts).unwrap();
        let cells = |v: &[minsheng_store::assessment::WeekCell]| {
            sorted(
                v.iter()
                    .map(|c| {
                        (
                            c.week,
                            c.category.clone(),
                            c.area.clone(),
                            c.count,
                            c.unsatisfied,
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        };
        assert!(!b.by_unit.is_empty() && !b.dissatisfaction_by_unit.is_empty());
        assert_eq!(cells(&a.by_district), cells(&b.by_district));
        assert_eq!(cells(&a.by_unit), cells(&b.by_unit));
        assert_eq!(
            cells(&a.dissatisfaction_by_unit),
            cells(&b.dissatisfaction_by_unit)
        );
        assert!(compared > 100);
    })
    .await
    .expect("join");
}
