//! An oracle for the assessment board (一网考, SPEC §7) independent of the code that
//! computes it: three weeks of cases with known timelines, driven through the HTTP API,
//! and every figure the board shows — counts, rates, scores, ranks, movement, why a row
//! is unranked, totals, 红黑榜 — for stations, branches and officers, per week and per
//! month, worked out by hand below and written literally. The facts path (rollups) and
//! the replayed timelines (`source=timeline`) must both give them: the other tests only
//! compare those two with each other, so a rule both get wrong passes there.
//!
//! The rules applied by hand (SPEC §4 deadlines; the scoring rules of SPEC §7 as
//! `minsheng_domain::assessment` documents them):
//! * Working time is 09:00–17:00 Beijing, Monday to Friday (November 2026 has no holiday
//!   nor make-up day). Sign-in: 特急 1 working hour, 紧急 4, otherwise 8 (one working
//!   day). Reply: 特急 1 working day, 紧急 3; otherwise 投诉/举报/求助 5, 咨询/建议 3.
//!   Counted from the dispatch; an approved extension moves the reply deadline.
//! * A handling stint counts in the period of its dispatch. Sign-in (reply = 已办结, the
//!   approval) is decided once done or once its deadline passed while the stint lasted
//!   (a return ends it); late when done after the deadline or not done by it.
//!   overdue = late on either. returned = the stint ended by 退办.
//!   answered = the stint that completed the case got a follow-up answer; rehandled = its
//!   first answer was 不满意; satisfied = its latest answer is 满意 or 基本满意.
//!   duplicates = cases linked in the period to a case the unit handles.
//! * Rates (percent, 2 decimals, none without a denominator): sign-in on time
//!   (decided − late)/decided, reply on time likewise, return rate returned/received,
//!   re-handle rate rehandled/answered, satisfaction satisfied/answered, duplicate share
//!   duplicates/(received + duplicates).
//! * Score: weights 15 sign-in, 25 reply, 40 satisfaction, 10 (1 − return rate),
//!   10 (1 − re-handle rate), averaged over the parts that have data, × 100, minus 0.5
//!   per overdue stint (at most 20), 2 decimals. Ranked with at least 5 decided replies
//!   (else 样本不足，不参与排名); competition ranks, best first, then unranked rows by
//!   score. movement = previous rank − rank. 红黑榜: red takes at most half the ranked
//!   rows (rounded up), black the rest ranked below every red row, worst first.
//!
//! Stations: Q = 泉城路派出所 (JN-LX-QCL), J = 解放路派出所 (JN-LX-JFL), both under
//! 历下分局 (LX); D = 大观园派出所 (JN-SZ-DGY) under 市中分局 (SZ). Officers: `officer`
//! and `lx-qcl-01` (Q), `lx-jfl-01` (J), `officer2` (D). "Now" is Thu 2026-11-19 12:00.

mod support;

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{bj, TestServer};

const TOO_FEW: &str = "样本不足，不参与排名";

struct Fx<'a> {
    s: &'a TestServer,
    tokens: HashMap<&'static str, String>,
}

impl Fx<'_> {
    fn t(&self, who: &str) -> &str {
        &self.tokens[who]
    }

    fn at(&self, when: &str) {
        self.s.clock.set(bj(when));
    }

    async fn act(&self, who: &str, id: &str, action: Value) {
        self.s.act_ok(self.t(who), id, action).await;
    }

    /// A new case, received now.
    async fn intake(&self, title: &str) -> String {
        self.s.intake(self.t("clerk"), title).await
    }

    async fn dispatch(&self, id: &str, unit: &str, request_type: &str, urgency: &str) {
        let order = json!({"type": "dispatch", "handlingUnit": self.s.unit(unit),
            "category": "治安管理", "requestType": request_type, "urgency": urgency, "flags": {}});
        self.act("clerk", id, order).await;
    }

    /// Received and dispatched now.
    async fn case(&self, title: &str, unit: &str, request_type: &str, urgency: &str) -> String {
        let id = self.intake(title).await;
        self.dispatch(&id, unit, request_type, urgency).await;
        id
    }

    async fn sign(&self, who: &str, id: &str) {
        self.act(who, id, json!({"type": "signIn"})).await;
    }

    /// Reply and approval at the same minute: the case is 已办结 now.
    async fn complete(&self, officer: &str, head: &str, id: &str) {
        self.act(
            officer,
            id,
            json!({"type": "submitReply", "text": "已核实处理并答复群众。"}),
        )
        .await;
        self.act(head, id, json!({"type": "approve", "comment": "同意"}))
            .await;
    }

    async fn answer(&self, id: &str, satisfaction: &str) {
        let a = json!({"type": "followUpAnswer", "satisfaction": satisfaction, "channel": "phone", "note": null});
        self.act("followup", id, a).await;
    }

    async fn give_back(&self, who: &str, id: &str) {
        self.act(who, id, json!({"type": "return", "reason": "非本单位管辖"}))
            .await;
    }
}

/// The three weeks. Deadlines are worked out in each comment.
#[allow(clippy::many_single_char_names)] // stations Q, J, D as in the module doc
async fn fixture(s: &TestServer) {
    let mut tokens = HashMap::new();
    for who in [
        "clerk",
        "officer",
        "lx-qcl-01",
        "head",
        "lx-jfl-01",
        "lx-jfl-head",
        "officer2",
        "sz-dgy-head",
        "supervisor",
        "followup",
    ] {
        tokens.insert(who, s.login(who).await);
    }
    let f = Fx { s, tokens };
    let (q, j, d) = ("JN-LX-QCL", "JN-LX-JFL", "JN-SZ-DGY");

    // ---------------- week 1: Mon 11-02 – Sun 11-08
    f.at("2026-11-02 09:00");
    // Q1 投诉/普通: sign-in due Mon 17:00, reply due Fri 11-06 17:00. Signed Mon 10:00,
    // done Tue 10:00; 满意. E1 is linked to it Mon 12:00 (a Q duplicate of week 1).
    let q1 = f.case("Q1 楼道堆物", q, "投诉", "普通").await;
    // Q2 咨询/普通: sign-in due Mon 17:00, reply due Wed 11-04 17:00. Signed Tue 09:30
    // (late), done Wed 16:00 (on time); 基本满意.
    let q2 = f.case("Q2 咨询养犬登记", q, "咨询", "普通").await;
    // J1, J2 投诉/普通 (due Mon 17:00 / Fri 17:00): signed 09:30 and 10:00, done Tue
    // 09:00 and Wed 09:00; both 满意.
    let j1 = f.case("J1 夜市噪音", j, "投诉", "普通").await;
    let j2 = f.case("J2 商铺占道", j, "投诉", "普通").await;
    // D1 投诉/普通: signed Mon 16:00 (due 17:00), done Fri 11-06 16:00 (due 17:00); 满意.
    let d1 = f.case("D1 广告扰民", d, "投诉", "普通").await;
    f.at("2026-11-02 09:30");
    f.sign("lx-jfl-01", &j1).await;
    f.at("2026-11-02 10:00");
    f.sign("officer", &q1).await;
    f.sign("lx-jfl-01", &j2).await;
    f.at("2026-11-02 12:00");
    let e1 = f.intake("E1 楼道堆物（再次反映）").await;
    f.act("clerk", &e1, json!({"type": "linkDuplicate", "master": q1}))
        .await;
    // Q3 求助/紧急 at Mon 14:00: sign-in due 4 working hours later = Tue 10:00 (3 h on
    // Mon, 1 h on Tue); reply due 3 working days = 24 h later = Thu 11-05 14:00. Signed
    // Mon 15:00, done Thu 15:00 (late); 不满意, re-handled, then 满意.
    f.at("2026-11-02 14:00");
    let q3 = f.case("Q3 老人走失求助", q, "求助", "紧急").await;
    f.at("2026-11-02 15:00");
    f.sign("officer", &q3).await;
    f.at("2026-11-02 16:00");
    f.sign("officer2", &d1).await;

    f.at("2026-11-03 09:00");
    // D2 咨询/普通: sign-in due Tue 17:00, reply due Thu 11-05 17:00. Signed Wed 09:00
    // (late), never done (late).
    let d2 = f.case("D2 咨询户口迁移", d, "咨询", "普通").await;
    // J3 建议/普通: due Tue 17:00 / Thu 17:00; signed Tue 10:00, done Thu 16:00; no answer.
    let j3 = f.case("J3 建议增设监控", j, "建议", "普通").await;
    // J4 投诉/普通: due Tue 17:00 / Mon 11-09 17:00; signed Tue 11:00, done Mon 11-09
    // 17:30 (late); 满意.
    let j4 = f.case("J4 停车纠纷", j, "投诉", "普通").await;
    f.complete("lx-jfl-01", "lx-jfl-head", &j1).await;
    f.at("2026-11-03 09:30");
    f.sign("officer", &q2).await;
    f.at("2026-11-03 10:00");
    f.complete("officer", "head", &q1).await;
    f.sign("lx-jfl-01", &j3).await;
    // Q4 举报/特急 at Tue 10:00: sign-in due 11:00, reply due 1 working day = Wed 10:00.
    // Signed 10:30, done Wed 09:30; 不满意 (stays in level-2 follow-up).
    let q4 = f.case("Q4 举报聚众赌博", q, "举报", "特急").await;
    f.at("2026-11-03 10:30");
    f.sign("officer", &q4).await;
    f.at("2026-11-03 11:00");
    f.sign("lx-jfl-01", &j4).await;

    f.at("2026-11-04 09:00");
    f.sign("officer2", &d2).await;
    f.complete("lx-jfl-01", "lx-jfl-head", &j2).await;
    // Q5 投诉/普通 at Wed 09:00 (sign-in due 17:00), returned unsigned at 11:00: sign-in
    // and reply undecided, returned. Re-dispatched to J at 13:00 (J5): sign-in due Thu
    // 13:00 (4 h + 4 h), reply due Wed 11-11 13:00 (4 h + 4 × 8 h + 4 h); signed Thu 14:00
    // (late), done Tue 11-10 10:00; no answer.
    let q5 = f.case("Q5 非本辖区纠纷", q, "投诉", "普通").await;
    f.at("2026-11-04 09:30");
    f.complete("officer", "head", &q4).await;
    f.at("2026-11-04 11:00");
    f.give_back("officer", &q5).await;
    f.at("2026-11-04 13:00");
    f.dispatch(&q5, j, "投诉", "普通").await;
    f.at("2026-11-04 16:00");
    f.complete("officer", "head", &q2).await;

    f.at("2026-11-05 09:00");
    // Q6 投诉/普通: due Thu 17:00 / Wed 11-11 17:00; never signed: late on both.
    let _q6 = f.case("Q6 无人签收", q, "投诉", "普通").await;
    f.at("2026-11-05 14:00");
    f.sign("lx-jfl-01", &q5).await;
    f.at("2026-11-05 15:00");
    f.complete("officer", "head", &q3).await;
    f.at("2026-11-05 16:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j3).await;
    f.at("2026-11-06 16:00");
    f.complete("officer2", "sz-dgy-head", &d1).await;
    f.at("2026-11-06 16:30");
    for (id, a) in [
        (&q1, "satisfied"),
        (&q2, "basicallySatisfied"),
        (&q3, "unsatisfied"),
        (&q4, "unsatisfied"),
        (&j1, "satisfied"),
        (&j2, "satisfied"),
        (&d1, "satisfied"),
    ] {
        f.answer(id, a).await;
    }
    f.act(
        "head",
        &q3,
        json!({"type": "recordRehandle", "result": "所长上门回访，协助寻找"}),
    )
    .await;
    f.at("2026-11-06 16:40");
    f.answer(&q3, "satisfied").await;

    // ---------------- week 2: Mon 11-09 – Sun 11-15
    f.at("2026-11-09 09:00");
    // Q7, Q8 投诉/普通 (due 17:00 / Fri 11-13 17:00): signed 09:10 / 09:20, done Mon
    // 15:00 / Tue 10:00; 满意.
    let q7 = f.case("Q7 电动车被盗", q, "投诉", "普通").await;
    let q8 = f.case("Q8 小区门禁", q, "投诉", "普通").await;
    // J6 投诉/普通: signed 09:30, done Tue 09:00; 满意.
    let j6 = f.case("J6 酒吧噪音", j, "投诉", "普通").await;
    // J7 投诉/普通: sign-in due Mon 17:00, signed 17:30 (late); done Wed 09:00; 满意.
    let j7 = f.case("J7 路口乱停", j, "投诉", "普通").await;
    f.at("2026-11-09 09:10");
    f.sign("officer", &q7).await;
    f.at("2026-11-09 09:20");
    f.sign("officer", &q8).await;
    f.at("2026-11-09 09:30");
    f.sign("lx-jfl-01", &j6).await;
    f.at("2026-11-09 15:00");
    f.complete("officer", "head", &q7).await;
    f.at("2026-11-09 17:30");
    f.complete("lx-jfl-01", "lx-jfl-head", &j4).await;
    f.sign("lx-jfl-01", &j7).await;

    f.at("2026-11-10 09:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j6).await;
    // Q9 咨询/普通: signed 10:00, done Tue 14:00; 基本满意.
    let q9 = f.case("Q9 咨询居住证", q, "咨询", "普通").await;
    // Q10 投诉/普通: sign-in due Tue 17:00, reply due Mon 11-16 17:00. Signed 09:30 by
    // lx-qcl-01; an extension to Wed 11-18 17:00 approved Fri; done Tue 11-17 10:00: on
    // time (it would be late without the extension); 满意.
    let q10 = f.case("Q10 邻里纠纷", q, "投诉", "普通").await;
    // J8 求助/紧急: sign-in due 13:00, reply due Thu 11-12 17:00. Signed 12:00, done Fri
    // 11-13 09:00 (late); 不满意.
    let j8 = f.case("J8 求助开锁", j, "求助", "紧急").await;
    // J9 投诉/普通: signed 10:00, returned 14:00 (signed on time; reply undecided,
    // returned). Re-dispatched to D at 15:00 (D3): sign-in due Wed 15:00 (2 h + 6 h),
    // reply due Tue 11-17 15:00 (2 h + 4 × 8 h + 6 h); signed Wed 10:00, done Mon 11-16
    // 10:00; 满意.
    let j9 = f.case("J9 跨辖区求助", j, "投诉", "普通").await;
    f.at("2026-11-10 09:30");
    f.sign("lx-qcl-01", &q10).await;
    f.at("2026-11-10 10:00");
    f.complete("officer", "head", &q8).await;
    f.sign("officer", &q9).await;
    f.sign("lx-jfl-01", &j9).await;
    f.complete("lx-jfl-01", "lx-jfl-head", &q5).await;
    f.at("2026-11-10 12:00");
    f.sign("lx-jfl-01", &j8).await;
    f.at("2026-11-10 14:00");
    f.complete("officer", "head", &q9).await;
    f.give_back("lx-jfl-01", &j9).await;
    f.at("2026-11-10 15:00");
    f.dispatch(&j9, d, "投诉", "普通").await;

    f.at("2026-11-11 09:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j7).await;
    // Q11 投诉/普通: signed 09:30 by lx-qcl-01, done 11:00; 不满意, re-handled, 满意.
    let q11 = f.case("Q11 快递丢失", q, "投诉", "普通").await;
    // J10 投诉/普通: signed 09:30, done Thu 09:00; 满意. E2 is linked to it Wed 10:00
    // (a J duplicate of week 2).
    let j10 = f.case("J10 宠物扰民", j, "投诉", "普通").await;
    f.at("2026-11-11 09:30");
    f.sign("lx-qcl-01", &q11).await;
    f.sign("lx-jfl-01", &j10).await;
    f.at("2026-11-11 10:00");
    f.sign("officer2", &j9).await;
    let e2 = f.intake("E2 宠物扰民（再次反映）").await;
    f.act(
        "clerk",
        &e2,
        json!({"type": "linkDuplicate", "master": j10}),
    )
    .await;
    f.at("2026-11-11 11:00");
    f.complete("lx-qcl-01", "head", &q11).await;

    f.at("2026-11-12 09:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j10).await;
    // D4 举报/特急: sign-in due 10:00, reply due 17:00; signed 09:30, done 16:30; no answer.
    let d4 = f.case("D4 举报涉黄", d, "举报", "特急").await;
    f.at("2026-11-12 09:30");
    f.sign("officer2", &d4).await;
    f.at("2026-11-12 16:30");
    f.complete("officer2", "sz-dgy-head", &d4).await;

    f.at("2026-11-13 09:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j8).await;
    f.at("2026-11-13 10:00");
    f.act(
        "head",
        &q10,
        json!({"type": "requestExtension", "reason": "需协调双方当事人",
               "until": bj("2026-11-18 17:00")}),
    )
    .await;
    f.at("2026-11-13 11:00");
    f.act(
        "supervisor",
        &q10,
        json!({"type": "approveExtension", "comment": "同意延期"}),
    )
    .await;
    f.at("2026-11-13 16:00");
    for (id, a) in [
        (&q7, "satisfied"),
        (&q8, "satisfied"),
        (&q9, "basicallySatisfied"),
        (&q11, "unsatisfied"),
        (&j4, "satisfied"),
        (&j6, "satisfied"),
        (&j7, "satisfied"),
        (&j8, "unsatisfied"),
        (&j10, "satisfied"),
    ] {
        f.answer(id, a).await;
    }
    f.act(
        "head",
        &q11,
        json!({"type": "recordRehandle", "result": "协调快递公司赔付"}),
    )
    .await;
    f.at("2026-11-13 16:30");
    f.answer(&q11, "satisfied").await;

    // ---------------- week 3: Mon 11-16 – , now Thu 11-19 12:00
    f.at("2026-11-16 09:00");
    // Q12 投诉/普通: signed 10:00 by lx-qcl-01; reply due Fri 11-20 17:00, not yet.
    let q12 = f.case("Q12 待办结", q, "投诉", "普通").await;
    // J11 咨询/普通: signed 09:30, done 11:00; 满意.
    let j11 = f.case("J11 咨询无犯罪证明", j, "咨询", "普通").await;
    f.at("2026-11-16 09:30");
    f.sign("lx-jfl-01", &j11).await;
    f.at("2026-11-16 10:00");
    f.sign("lx-qcl-01", &q12).await;
    f.complete("officer2", "sz-dgy-head", &j9).await;
    f.at("2026-11-16 11:00");
    f.complete("lx-jfl-01", "lx-jfl-head", &j11).await;
    f.at("2026-11-17 10:00");
    f.complete("lx-qcl-01", "head", &q10).await;
    f.at("2026-11-17 11:00");
    for (id, a) in [(&q10, "satisfied"), (&j9, "satisfied"), (&j11, "satisfied")] {
        f.answer(id, a).await;
    }
    // Q13 投诉/普通 at Wed 09:00: sign-in due Wed 17:00, never signed (late); reply due
    // Tue 11-24 17:00, not yet.
    f.at("2026-11-18 09:00");
    let _q13 = f.case("Q13 无人签收", q, "投诉", "普通").await;

    f.at("2026-11-19 12:00");
    let st = s.state.clone();
    tokio::task::spawn_blocking(move || minsheng_server::assessment::run_once(&st))
        .await
        .expect("join")
        .expect("assessment pass");
}

/// Counts in the order of `Counts`: received, sign-in decided / late, reply decided /
/// late, returned, answered, rehandled, satisfied, overdue, duplicates.
fn counts(c: [u64; 11]) -> Value {
    json!({"received": c[0], "signInDecided": c[1], "signInLate": c[2], "replyDecided": c[3],
           "replyLate": c[4], "returned": c[5], "answered": c[6], "rehandled": c[7],
           "satisfied": c[8], "overdue": c[9], "duplicates": c[10],
           // No 涉警投诉 in these timelines: no 责任倒查 record to count.
           "accountability": 0})
}

/// Rates: sign-in on time, reply on time, return, re-handle, satisfaction, duplicate share.
fn rates(r: [Option<f64>; 6]) -> Value {
    json!({"signInOnTime": r[0], "replyOnTime": r[1], "returnRate": r[2],
           "rehandleRate": r[3], "satisfaction": r[4], "duplicateShare": r[5]})
}

/// One expected row: who, counts, rates, score, rank, previous rank, movement, unranked.
struct Row {
    key: &'static str,
    counts: [u64; 11],
    rates: [Option<f64>; 6],
    score: Option<f64>,
    rank: Option<u32>,
    previous: Option<u32>,
    movement: Option<i64>,
    unranked: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)]
const fn row(
    key: &'static str,
    counts: [u64; 11],
    rates: [Option<f64>; 6],
    score: Option<f64>,
    rank: Option<u32>,
    previous: Option<u32>,
    movement: Option<i64>,
    unranked: Option<&'static str>,
) -> Row {
    Row {
        key,
        counts,
        rates,
        score,
        rank,
        previous,
        movement,
        unranked,
    }
}

struct Ids {
    units: HashMap<&'static str, String>,
    officers: HashMap<&'static str, String>,
}

impl Ids {
    fn of(&self, key: &str) -> &str {
        self.units
            .get(key)
            .or_else(|| self.officers.get(key))
            .unwrap_or_else(|| panic!("{key}"))
    }
}

/// The board's rows, in order, are exactly `want`; its totals are their sums; its lists
/// are `red` and `black` (keys, in order).
fn check_board(
    board: &Value,
    ids: &Ids,
    officer_level: bool,
    want: &[Row],
    red: &[&str],
    black: &[&str],
    what: &str,
) {
    let rows = board["rows"].as_array().expect("rows");
    let key_of = |r: &Value| -> String {
        if officer_level {
            r["officerId"].as_str().unwrap_or_default().to_owned()
        } else {
            r["unitId"].as_str().unwrap_or_default().to_owned()
        }
    };
    let got: Vec<String> = rows.iter().map(key_of).collect();
    let expected: Vec<String> = want.iter().map(|w| ids.of(w.key).to_owned()).collect();
    let names = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|id| {
                ids.units
                    .iter()
                    .chain(&ids.officers)
                    .find(|(_, x)| *x == id)
                    .map_or_else(|| id.clone(), |(k, _)| (*k).to_owned())
            })
            .collect()
    };
    assert_eq!(
        names(&got),
        names(&expected),
        "{what}: rows and their order"
    );
    let mut total = [0u64; 11];
    for (r, w) in rows.iter().zip(want) {
        let who = format!("{what} {}", w.key);
        assert_eq!(r["counts"], counts(w.counts), "{who}: counts");
        assert_eq!(r["rates"], rates(w.rates), "{who}: rates");
        assert_eq!(r["score"], json!(w.score), "{who}: score");
        assert_eq!(r["rank"], json!(w.rank), "{who}: rank");
        assert_eq!(r["previousRank"], json!(w.previous), "{who}: previous rank");
        assert_eq!(r["movement"], json!(w.movement), "{who}: movement");
        assert_eq!(r["unranked"], json!(w.unranked), "{who}: unranked");
        for (t, c) in total.iter_mut().zip(w.counts) {
            *t += c;
        }
    }
    assert_eq!(board["totals"]["counts"], counts(total), "{what}: totals");
    let list = |name: &str| -> Vec<String> {
        board["lists"][name]
            .as_array()
            .expect("list")
            .iter()
            .map(|e| {
                if officer_level {
                    e["officerId"].as_str().unwrap_or_default().to_owned()
                } else {
                    e["unitId"].as_str().unwrap_or_default().to_owned()
                }
            })
            .collect()
    };
    let keys = |ks: &[&str]| -> Vec<String> { ks.iter().map(|k| ids.of(k).to_owned()).collect() };
    assert_eq!(names(&list("red")), names(&keys(red)), "{what}: 红榜");
    assert_eq!(names(&list("black")), names(&keys(black)), "{what}: 黑榜");
}

#[tokio::test]
#[allow(clippy::many_single_char_names)] // p = Some, n = None keep the tables readable
async fn three_weeks_of_known_timelines_give_the_hand_computed_board() {
    let s = TestServer::start_at(bj("2026-11-01 08:00")).await;
    fixture(&s).await;
    let leader = s.login("leader").await;
    let (st, users) = s.get(Some(&s.login("admin").await), "/users").await;
    assert_eq!(st, StatusCode::OK, "{users}");
    let user_id = |name: &str| -> String {
        users
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["username"] == name)
            .and_then(|u| u["id"].as_str())
            .unwrap_or_else(|| panic!("user {name}"))
            .to_owned()
    };
    let ids = Ids {
        units: [
            ("Q", s.unit("JN-LX-QCL")),
            ("J", s.unit("JN-LX-JFL")),
            ("D", s.unit("JN-SZ-DGY")),
            ("LX", s.unit("JN-LX")),
            ("SZ", s.unit("JN-SZ")),
        ]
        .into(),
        officers: [
            ("officer", user_id("officer")),
            ("lx-qcl-01", user_id("lx-qcl-01")),
            ("lx-jfl-01", user_id("lx-jfl-01")),
            ("officer2", user_id("officer2")),
        ]
        .into(),
    };
    let p = Some;
    let n: Option<f64> = None;

    // Week 1. Q: Q1–Q6 received; sign-in decided Q1–Q4, Q6 (Q5 returned before its
    // deadline), late Q2, Q6; reply decided Q1–Q4, Q6, late Q3, Q6; returned Q5; answered
    // Q1–Q4, rehandled Q3, Q4, satisfied Q1–Q3; overdue Q2, Q3, Q6; duplicate E1.
    // Rates 3/5, 3/5, 1/6, 2/4, 3/4, 1/7. Score (15·.6 + 25·.6 + 40·.75 + 10·5/6 + 10·.5)
    // = 67.33, − 1.5 = 65.83.
    // J: J1–J4, J5 all decided; sign-in late J5, reply late J4; answered J1, J2, J4, all
    // satisfied; overdue J4, J5. Score (12 + 20 + 40 + 10 + 10) − 1 = 91.
    // D: D1, D2 decided; D2 late on both; answered D1 satisfied. Score (7.5 + 12.5 + 40 +
    // 10 + 10) − 0.5 = 79.5, 2 decided replies: unranked.
    let q_w1 = [6, 5, 2, 5, 2, 1, 4, 2, 3, 3, 1];
    let j_w1 = [5, 5, 1, 5, 1, 0, 3, 0, 3, 2, 0];
    let d_w1 = [2, 2, 1, 2, 1, 0, 1, 0, 1, 1, 0];
    let week1 = [
        row(
            "J",
            j_w1,
            [p(80.0), p(80.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(91.0),
            Some(1),
            None,
            None,
            None,
        ),
        row(
            "Q",
            q_w1,
            [p(60.0), p(60.0), p(16.67), p(50.0), p(75.0), p(14.29)],
            p(65.83),
            Some(2),
            None,
            None,
            None,
        ),
        row(
            "D",
            d_w1,
            [p(50.0), p(50.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(79.5),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
    ];
    // Week 2. Q: Q7–Q11 all on time (Q10 thanks to its extension), all answered, Q11
    // first 不满意. Score (15 + 25 + 40 + 10 + 8) = 98; rank 1, up from 2.
    // J: J6–J10 signed (J7 late); reply decided J6, J7, J8, J10 (J9 returned first), late
    // J8; returned J9; answered J6, J7, J8, J10, rehandled J8, satisfied J6, J7, J10;
    // overdue J7, J8; duplicate E2. Score (12 + 18.75 + 30 + 8 + 7.5) − 1 = 75.25 with 4
    // decided replies: unranked (its previous rank, 1, still shown).
    // D: D3 (J9 re-dispatched), D4 on time; D3 satisfied. Score 100, unranked.
    let q_w2 = [5, 5, 0, 5, 0, 0, 5, 1, 5, 0, 0];
    let j_w2 = [5, 5, 1, 4, 1, 1, 4, 1, 3, 2, 1];
    let d_w2 = [2, 2, 0, 2, 0, 0, 1, 0, 1, 0, 0];
    let week2 = [
        row(
            "Q",
            q_w2,
            [p(100.0), p(100.0), p(0.0), p(20.0), p(100.0), p(0.0)],
            p(98.0),
            Some(1),
            Some(2),
            Some(1),
            None,
        ),
        row(
            "D",
            d_w2,
            [p(100.0), p(100.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(100.0),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
        row(
            "J",
            j_w2,
            [p(80.0), p(75.0), p(20.0), p(25.0), p(75.0), p(16.67)],
            p(75.25),
            None,
            Some(1),
            None,
            Some(TOO_FEW),
        ),
    ];
    // Week 3, as of Thu 12:00. Q: Q12 signed, reply not yet due; Q13 late on sign-in,
    // reply not yet due. Only sign-in (½) and no-return (1) have data: (7.5 + 10) / 25
    // = 70, − 0.5 = 69.5. J: J11 on time and satisfied: 100. D has nothing: no row.
    let week3 = [
        row(
            "J",
            [1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0],
            [p(100.0), p(100.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(100.0),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
        row(
            "Q",
            [2, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0],
            [p(50.0), n, p(0.0), n, n, p(0.0)],
            p(69.5),
            None,
            Some(1),
            None,
            Some(TOO_FEW),
        ),
    ];
    // November: the three weeks summed. Q: rates 9/12, 8/10, 1/13, 3/9, 8/9, 1/14; score
    // 11.25 + 20 + 35.56 + 9.23 + 6.67 = 82.70, − 2 = 80.70. J: 9/11, 8/10, 1/11, 1/8,
    // 7/8, 1/12; 12.27 + 20 + 35 + 9.09 + 8.75 = 85.11, − 2 = 83.11. D: 89.5, unranked.
    let q_m = [13, 12, 3, 10, 2, 1, 9, 3, 8, 4, 1];
    let j_m = [11, 11, 2, 10, 2, 1, 8, 1, 7, 4, 1];
    let d_m = [4, 4, 1, 4, 1, 0, 2, 0, 2, 1, 0];
    let month = [
        row(
            "J",
            j_m,
            [p(81.82), p(80.0), p(9.09), p(12.5), p(87.5), p(8.33)],
            p(83.11),
            Some(1),
            None,
            None,
            None,
        ),
        row(
            "Q",
            q_m,
            [p(75.0), p(80.0), p(7.69), p(33.33), p(88.89), p(7.14)],
            p(80.7),
            Some(2),
            None,
            None,
            None,
        ),
        row(
            "D",
            d_m,
            [p(75.0), p(75.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(89.5),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
    ];
    // Branches: LX = Q + J, SZ = D.
    let branch_w1 = [
        // 7/10, 7/10, 1/11, 2/7, 6/7, 1/12: 10.5 + 17.5 + 34.29 + 9.09 + 7.14 = 78.52, − 2.5.
        row(
            "LX",
            [11, 10, 3, 10, 3, 1, 7, 2, 6, 5, 1],
            [p(70.0), p(70.0), p(9.09), p(28.57), p(85.71), p(8.33)],
            p(76.02),
            Some(1),
            None,
            None,
            None,
        ),
        row(
            "SZ",
            d_w1,
            [p(50.0), p(50.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(79.5),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
    ];
    let branch_m = [
        // 18/23, 16/20, 2/24, 4/17, 15/17, 2/26: 11.74 + 20 + 35.29 + 9.17 + 7.65 = 83.85, − 4.
        row(
            "LX",
            [24, 23, 5, 20, 4, 2, 17, 4, 15, 8, 2],
            [p(78.26), p(80.0), p(8.33), p(23.53), p(88.24), p(7.69)],
            p(79.85),
            Some(1),
            None,
            None,
            None,
        ),
        row(
            "SZ",
            d_m,
            [p(75.0), p(75.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(89.5),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
    ];
    // Officers (November; the stints each signed, duplicates count for units only):
    // officer Q1–Q4, Q7–Q9; lx-qcl-01 Q10–Q12; lx-jfl-01 every J stint; officer2 D1–D4.
    // officer: 6/7, 6/7, 0, 2/7, 6/7: 12.86 + 21.43 + 34.29 + 10 + 7.14 = 85.71, − 1.
    let officers_m = [
        row(
            "officer",
            [7, 7, 1, 7, 1, 0, 7, 2, 6, 2, 0],
            [p(85.71), p(85.71), p(0.0), p(28.57), p(85.71), p(0.0)],
            p(84.71),
            Some(1),
            None,
            None,
            None,
        ),
        row(
            "lx-jfl-01",
            [11, 11, 2, 10, 2, 1, 8, 1, 7, 4, 0],
            [p(81.82), p(80.0), p(9.09), p(12.5), p(87.5), p(0.0)],
            p(83.11),
            Some(2),
            None,
            None,
            None,
        ),
        row(
            "lx-qcl-01",
            [3, 3, 0, 2, 0, 0, 2, 1, 2, 0, 0],
            [p(100.0), p(100.0), p(0.0), p(50.0), p(100.0), p(0.0)],
            p(95.0),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
        row(
            "officer2",
            [4, 4, 1, 4, 1, 0, 2, 0, 2, 1, 0],
            [p(75.0), p(75.0), p(0.0), p(0.0), p(100.0), p(0.0)],
            p(89.5),
            None,
            None,
            None,
            Some(TOO_FEW),
        ),
    ];

    for source in ["", "&source=timeline"] {
        let board = |q: String| {
            let s = &s;
            let leader = &leader;
            async move {
                let path = format!("/assessment/scores?{q}{source}");
                let (st, b) = s.get(Some(leader), &path).await;
                assert_eq!(st, StatusCode::OK, "{path}: {b}");
                (b, path)
            }
        };
        let (b, w) = board("period=week&date=2026-11-05".into()).await;
        assert_eq!(b["period"]["start"], "2026-11-02");
        check_board(&b, &ids, false, &week1, &["J"], &["Q"], &w);
        let (b, w) = board("period=week&date=2026-11-15".into()).await;
        check_board(&b, &ids, false, &week2, &["Q"], &[], &w);
        let (b, w) = board("period=week&date=2026-11-16".into()).await;
        check_board(&b, &ids, false, &week3, &[], &[], &w);
        let (b, w) = board("period=month&date=2026-11-19".into()).await;
        check_board(&b, &ids, false, &month, &["J"], &["Q"], &w);
        // The totals' rates are the rules applied to the summed counts: 21/27, 19/24,
        // 2/28, 4/19, 17/19, 2/30.
        assert_eq!(
            b["totals"]["rates"],
            rates([p(77.78), p(79.17), p(7.14), p(21.05), p(89.47), p(6.67)]),
            "{w}"
        );
        let (b, w) = board("period=week&date=2026-11-02&level=branch".into()).await;
        check_board(&b, &ids, false, &branch_w1, &["LX"], &[], &w);
        let (b, w) = board("period=month&date=2026-11-02&level=branch".into()).await;
        check_board(&b, &ids, false, &branch_m, &["LX"], &[], &w);
        let (b, w) = board("period=month&date=2026-11-02&level=officer".into()).await;
        check_board(
            &b,
            &ids,
            true,
            &officers_m,
            &["officer"],
            &["lx-jfl-01"],
            &w,
        );
    }
}
