//! The intake form's checks: every problem at once, named by the field the form shows,
//! and the same verdict as `intake` itself (SPEC §3: phone, ID-card checksum, lengths,
//! received time; 领导批示 carries the leader and the instruction).

use chrono::{TimeZone, Utc};
use minsheng_domain::case::{Channel, LeaderInstruction};
use minsheng_domain::ids::{UnitId, UserId};
use minsheng_domain::role::{Actor, Role};
use minsheng_domain::workflow::{check_intake, clean_text, intake, NewCase};
use serde_json::json;

fn actor(role: Role) -> Actor {
    Actor {
        user_id: UserId::mint(Utc::now()),
        role,
        unit_id: UnitId::mint(Utc::now()),
        name: "测试".into(),
    }
}

fn new_case(channel: &str) -> NewCase {
    serde_json::from_value(json!({
        "channel": channel, "requestType": "投诉",
        "title": "夜间施工噪音扰民", "content": "小区旁工地每晚十一点后仍在施工。",
        "citizenName": "王先生", "citizenPhone": "13812345678",
    }))
    .expect("new case")
}

#[test]
fn a_valid_request_has_no_problems_and_is_taken() {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let clerk = actor(Role::Clerk);
    let n = new_case("12345市长热线");
    assert!(check_intake(&n, &clerk, now).is_empty());
    assert!(intake(&n, &clerk, now).is_ok());
}

#[test]
fn every_problem_is_reported_at_once_by_form_field() {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let clerk = actor(Role::Clerk);
    let mut n = new_case("12345市长热线");
    n.title = "   ".into();
    n.citizen_phone = Some("12345".into());
    // 11010519491231002X is valid; the last digit changed breaks the checksum.
    n.citizen_id_card = Some("110105194912310021".into());
    n.received_at = Some(now + chrono::Duration::hours(2));
    let problems = check_intake(&n, &clerk, now);
    let mut fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["citizenIdCard", "citizenPhone", "receivedAt", "title"]
    );
    assert!(problems.iter().all(|p| p.code == "INVALID_FIELD"));
    // intake refuses the same request, with one of the same messages.
    let err = intake(&n, &clerk, now).unwrap_err().to_string();
    assert!(problems.iter().any(|p| p.message == err), "{err}");
}

#[test]
fn a_role_that_may_not_take_the_channel_is_reported_on_the_channel() {
    let now = Utc::now();
    let officer = actor(Role::Officer);
    let problems = check_intake(&new_case("12345市长热线"), &officer, now);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "channel");
    assert_eq!(problems[0].code, "ROLE_NOT_ALLOWED");
    assert!(check_intake(&new_case("入户走访"), &officer, now).is_empty());
}

#[test]
fn leader_instruction_is_required_for_its_channel_and_only_there() {
    let now = Utc::now();
    let clerk = actor(Role::Clerk);
    let bare = new_case("领导批示");
    let p = check_intake(&bare, &clerk, now);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].field, "leaderName");

    let mut with = bare.clone();
    with.leader_instruction = Some(LeaderInstruction {
        leader: " 王市长 ".into(),
        instruction: "请市公安局核实处理，及时回复群众。".into(),
    });
    let c = intake(&with, &clerk, now).expect("taken");
    assert_eq!(c.channel, Channel::LeaderInstruction);
    assert_eq!(c.leader_instruction.expect("kept").leader, "王市长");

    let mut empty_text = with.clone();
    empty_text.leader_instruction = Some(LeaderInstruction {
        leader: "王市长".into(),
        instruction: " ".into(),
    });
    let p = check_intake(&empty_text, &clerk, now);
    assert_eq!(p[0].field, "leaderInstruction");

    let mut elsewhere = with;
    elsewhere.channel = Channel::MayorHotline;
    assert_eq!(check_intake(&elsewhere, &clerk, now)[0].field, "leaderName");
}

#[test]
fn spreadsheet_debris_is_cleaned_at_intake() {
    assert_eq!(clean_text("第一行_x000D_\n第二行"), "第一行\n第二行");
    assert_eq!(clean_text("甲_x000D_乙\r\n丙\r丁"), "甲\n乙\n丙\n丁");
    let mut n = new_case("12345市长热线");
    n.content = "楼下烧烤_x000D_\n噪音很大".into();
    let c = intake(&n, &actor(Role::Clerk), Utc::now()).expect("taken");
    assert_eq!(c.content, "楼下烧烤\n噪音很大");
    assert!(!c.content.contains("_x000D_"));
}
