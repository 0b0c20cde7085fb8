//! One server and the objects every row is tried on: four cases at two stations of two
//! branches (open and completed at each), their follow-up rounds, a report, standard
//! replies and accounts for the rows that change or consume something.

use std::collections::HashMap;
use std::sync::Arc;

use minsheng_server::notify::gateway::{GatewayError, OutgoingSms, SendFuture, SmsGateway};
use minsheng_server::notify::{self, NotifyConfig};
use minsheng_store::assessment::AlertRecord;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::table::ROLES;
use crate::support::{bj, off_runtime, TestServer};

pub const A: usize = 0;
pub const B: usize = 1;
pub const C: usize = 2;
pub const D: usize = 3;
pub const NAMES: [&str; 4] = ["A", "B", "C", "D"];

pub const QCL: &str = "JN-LX-QCL";
pub const DGY: &str = "JN-SZ-DGY";

/// Shared secret of the SMS webhook in this world.
pub const WEBHOOK_SECRET: &str = "route-matrix-webhook-secret";

pub struct Fixture {
    pub title: &'static str,
    /// Never contains the title: a probe may repeat the content without echoing the title.
    pub content: &'static str,
    pub phone: &'static str,
    pub masked: &'static str,
    pub unit: &'static str,
    pub completed: bool,
}

/// A = 待签收 at 泉城路, B = 待签收 at 大观园 (another branch), C and D = 已办结 (follow-up
/// phase) at 泉城路 and 大观园. Each citizen has their own number.
pub const FIXTURES: [Fixture; 4] = [
    Fixture {
        title: "甲件泉城路夜间噪音扰民",
        content: "泉城路某小区楼下烧烤店深夜喧哗，影响居民休息。",
        phone: "13712340101",
        masked: "137****0101",
        unit: QCL,
        completed: false,
    },
    Fixture {
        title: "乙件大观园商铺噪音扰民",
        content: "大观园附近商铺音响外放声音很大，周边居民不堪其扰。",
        phone: "13922340202",
        masked: "139****0202",
        unit: DGY,
        completed: false,
    },
    Fixture {
        title: "丙件泉城路停车纠纷",
        content: "小区内车辆乱停占用消防通道，邻里因此发生争执。",
        phone: "13732340303",
        masked: "137****0303",
        unit: QCL,
        completed: true,
    },
    Fixture {
        title: "丁件大观园广场舞扰民",
        content: "大观园广场晚间跳舞音响开得太响，附近老人难以入睡。",
        phone: "15942340404",
        masked: "159****0404",
        unit: DGY,
        completed: true,
    },
];

/// Which fixtures each role sees (SPEC §2); checked against the server when the world
/// is built, and the base of every side-channel check.
#[rustfmt::skip]
pub const VISIBLE: [[bool; 4]; 8] = [
    //  A      B      C      D
    [true,  true,  true,  true ], // admin
    [true,  true,  true,  true ], // clerk
    [true,  true,  true,  true ], // leader
    [true,  false, true,  false], // supervisor (历下分局)
    [true,  false, true,  false], // head (泉城路)
    [true,  false, true,  false], // officer (泉城路)
    [false, true,  false, true ], // officer2 (大观园)
    [false, false, true,  true ], // followup: the follow-up phase
];

/// Early-warning alerts raised to 泉城路 (and 历下分局) and to 大观园 (and 市中分局):
/// (station, branch, message).
pub const ALERTS: [(&str, &str, &str); 2] = [
    (
        QCL,
        "JN-LX",
        "预警：泉城路派出所噪音扰民诉求量高于基线（路由矩阵甲）",
    ),
    (
        DGY,
        "JN-SZ",
        "预警：大观园派出所噪音扰民诉求量高于基线（路由矩阵乙）",
    ),
];

/// Which alert each role is shown (SPEC §5: an alert goes to that unit; the city sees all).
#[rustfmt::skip]
pub const ALERT_VISIBLE: [[bool; 2]; 8] = [
    [true, true], [true, true], [true, true],
    [true, false], [true, false], [true, false],
    [false, true],
    [false, false],
];

/// Per role: the in-scope and out-of-scope fixture of `Kind::Case` rows.
#[rustfmt::skip]
pub const CASE_OBJ: [(usize, Option<usize>); 8] = [
    (A, None), (A, None), (A, None),
    (A, Some(B)), (A, Some(B)), (A, Some(B)),
    (B, Some(A)),
    (C, Some(A)),
];

/// Per role: the in-scope and out-of-scope case with a follow-up round.
#[rustfmt::skip]
pub const ROUND_OBJ: [(usize, Option<usize>); 8] = [
    (C, None), (C, None), (C, None),
    (C, Some(D)), (C, Some(D)), (C, Some(D)),
    (D, Some(C)),
    (C, None),
];

/// Per role: the in-scope and out-of-scope unit of a `unit` filter.
#[rustfmt::skip]
pub const UNIT_OBJ: [(&str, Option<&str>); 8] = [
    (QCL, None), (QCL, None), (QCL, None),
    (QCL, Some(DGY)), (QCL, Some(DGY)), (QCL, Some(DGY)),
    (DGY, Some(QCL)),
    (QCL, None),
];

/// Each role's account of the same role for `POST /auth/password` (role code, unit).
const PASSWORD_ACCOUNTS: [(&str, &str); 8] = [
    ("admin", "JN-PTB"),
    ("clerk", "JN-PTB"),
    ("leader", "JN-LD"),
    ("supervisor", "JN-LX"),
    ("unitHead", QCL),
    ("officer", QCL),
    ("officer", DGY),
    ("followUp", "JN-PTB"),
];
pub const OLD_PASSWORD: &str = "Matrix@2026a";
pub const NEW_PASSWORD: &str = "Matrix@2026b";

/// An SMS gateway that refuses everything at once: every queued SMS becomes a dead
/// letter in one notify pass (`POST /sms/outbox/{id}/retry` needs one).
struct RefusingGateway;

impl SmsGateway for RefusingGateway {
    fn send<'a>(&'a self, _sms: &'a OutgoingSms<'a>) -> SendFuture<'a> {
        Box::pin(async { Err(GatewayError::Permanent("路由矩阵：短信网关拒收".into())) })
    }
}

pub struct World {
    pub ts: TestServer,
    pub tokens: HashMap<&'static str, String>,
    /// A, B, C, D.
    pub cases: [String; 4],
    /// The follow-up round of C and D (`None` for A and B).
    pub rounds: [Option<String>; 4],
    pub units: HashMap<&'static str, String>,
    pub report: String,
    /// Fresh standard replies, one per (row, role).
    pub knowledge: HashMap<(&'static str, usize), String>,
    /// The account a `PATCH /users/{id}` aims at.
    pub target_user: String,
    pub password_users: [String; 8],
    pub weights: Value,
    /// Two dead letters: one to retry, one to discard.
    pub dead_letters: [String; 2],
    /// The SLA rules in force (`PUT /config/sla` puts them back).
    pub sla_rules: Value,
    /// Ids of `ALERTS`.
    pub alerts: [String; 2],
    /// A complete photo attached to each fixture case (by its station's officer).
    pub attachments: [String; 4],
}

impl World {
    pub fn tok(&self, ri: usize) -> &str {
        &self.tokens[ROLES[ri]]
    }

    pub fn unit(&self, code: &str) -> &str {
        &self.units[code]
    }

    pub async fn build() -> Self {
        // Monday morning, a working day.
        let ts = TestServer::start_at(bj("2026-03-02 09:00")).await;
        let mut tokens = HashMap::new();
        for r in ROLES {
            tokens.insert(r, ts.login(r).await);
        }
        let mut units = HashMap::new();
        for code in [QCL, DGY, "JN-LX", "JN-SZ"] {
            units.insert(code, ts.unit(code));
        }
        let clerk = tokens["clerk"].clone();
        let mut cases: Vec<String> = Vec::new();
        for f in &FIXTURES {
            let (st, body) = ts
                .post(
                    Some(&clerk),
                    "/cases",
                    &json!({"channel": "12345市长热线", "requestType": "投诉", "title": f.title,
                            "content": f.content, "citizenName": "王女士", "citizenPhone": f.phone,
                            "address": "济南市某小区", "district": "历下区"}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "intake {}: {body}", f.title);
            let id = body["id"].as_str().expect("id").to_owned();
            ts.act_ok(&clerk, &id, ts.dispatch(f.unit, "噪音扰民", json!({})))
                .await;
            if f.completed {
                let (handler, approver) = if f.unit == QCL {
                    (tokens["officer"].clone(), tokens["head"].clone())
                } else {
                    (tokens["officer2"].clone(), ts.login("sz-dgy-head").await)
                };
                ts.act_ok(&handler, &id, json!({"type": "signIn"})).await;
                ts.act_ok(
                    &handler,
                    &id,
                    json!({"type": "submitReply", "text": "已到场调解，问题已解决。"}),
                )
                .await;
                let done = ts
                    .act_ok(&approver, &id, json!({"type": "approve", "comment": null}))
                    .await;
                assert_eq!(done["state"], "completed", "{done}");
            }
            cases.push(id);
        }
        let cases: [String; 4] = cases.try_into().expect("four cases");

        // The webhook secret, and a gateway that refuses: one pass opens the follow-up
        // rounds of C and D, writes the staff notifications, and dead-letters their SMS.
        notify::configure_with_gateway(
            &ts.state,
            NotifyConfig {
                webhook_secret: Some(WEBHOOK_SECRET.into()),
                max_attempts: 1,
                ..NotifyConfig::default()
            },
            Arc::new(RefusingGateway),
        );
        notify::run_once(&ts.state).await.expect("notify pass");
        let admin = tokens["admin"].clone();
        let mut rounds: [Option<String>; 4] = Default::default();
        for i in [C, D] {
            let (st, list) = ts
                .get(Some(&admin), &format!("/followups?caseId={}", cases[i]))
                .await;
            assert_eq!(st, StatusCode::OK, "{list}");
            rounds[i] = Some(
                list[0]["id"]
                    .as_str()
                    .expect("round of a completed case")
                    .to_owned(),
            );
        }
        let (_, dead) = ts.get(Some(&admin), "/sms/outbox?status=dead").await;
        let dead_letters =
            [0, 1].map(|k| dead[k]["id"].as_str().expect("two dead letters").to_owned());

        // The world is what VISIBLE says it is.
        for (ri, role) in ROLES.iter().enumerate() {
            for (i, id) in cases.iter().enumerate() {
                let (st, _) = ts.get(Some(&tokens[role]), &format!("/cases/{id}")).await;
                assert_eq!(
                    st == StatusCode::OK,
                    VISIBLE[ri][i],
                    "{role} reading {}: {st}",
                    NAMES[i]
                );
            }
        }

        let (st, report) = ts
            .post(Some(&admin), "/reports", &json!({"kind": "month"}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{report}");
        let report = report["id"].as_str().expect("report id").to_owned();

        let mut knowledge = HashMap::new();
        for row in [
            "PUT /knowledge/{id}",
            "POST /knowledge/{id}/review",
            "DELETE /knowledge/{id}",
        ] {
            for ri in 0..ROLES.len() {
                let (st, k) = ts
                    .post(
                        Some(&admin),
                        "/knowledge",
                        &json!({"category": "噪音扰民", "title": format!("矩阵口径{}{ri}", row.len()),
                                "body": "经调查核实，已责令相关人员整改。"}),
                    )
                    .await;
                assert_eq!(st, StatusCode::CREATED, "{k}");
                knowledge.insert((row, ri), k["id"].as_str().expect("id").to_owned());
            }
        }

        let qcl = units[QCL].clone();
        let (st, target) = ts
            .post(
                Some(&admin),
                "/users",
                &json!({"username": "rm-target", "displayName": "被修改的民警", "role": "officer",
                        "unitId": qcl, "password": OLD_PASSWORD}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{target}");
        let target_user = target["id"].as_str().expect("id").to_owned();
        let mut password_users: Vec<String> = Vec::new();
        for (ri, (role, unit)) in PASSWORD_ACCOUNTS.iter().enumerate() {
            let username = format!("rm-pw-{ri}");
            let (st, u) = ts
                .post(
                    Some(&admin),
                    "/users",
                    &json!({"username": username, "displayName": format!("改密账号{ri}"),
                            "role": role, "unitId": ts.unit(unit), "password": OLD_PASSWORD}),
                )
                .await;
            assert_eq!(st, StatusCode::CREATED, "{u}");
            password_users.push(username);
        }
        // Two alerts, pushed to their units' staff as notifications.
        let raised = ALERTS.map(|(station, branch, message)| AlertRecord {
            id: uuid::Uuid::now_v7().to_string(),
            kind: "volume".into(),
            area_kind: "unit".into(),
            area: ts.unit(station),
            area_name: message.chars().skip(3).take(5).collect(),
            category: "噪音扰民".into(),
            week: "2026-03-02".into(),
            observed: 9,
            baseline: 1.5,
            statistic: 0.0001,
            message: message.into(),
            raised_at: bj("2026-03-02 08:00"),
            units: [station, branch]
                .map(|u| ts.unit(u).parse().expect("unit id"))
                .to_vec(),
        });
        let stored = off_runtime(|| {
            let stored = ts.state.store.upsert_alerts(&raised).expect("alerts");
            minsheng_server::assessment::alerts::push_pending(&ts.state).expect("push alerts");
            stored
        });
        let alerts = [stored[0].id.clone(), stored[1].id.clone()];
        let (st, config) = ts.get(Some(&admin), "/config").await;
        assert_eq!(st, StatusCode::OK, "{config}");
        let sla_rules = config["sla"]
            .as_array()
            .and_then(|v| v.last())
            .expect("SLA rules")["rules"]
            .clone();
        let (st, weights) = ts.get(Some(&admin), "/assessment/weights").await;
        assert_eq!(st, StatusCode::OK, "{weights}");
        let mut attachments: Vec<String> = Vec::new();
        for (i, f) in FIXTURES.iter().enumerate() {
            let by = if f.unit == QCL { "officer" } else { "officer2" };
            attachments.push(upload_photo(&ts, &tokens[by], &cases[i]).await);
        }
        Self {
            ts,
            tokens,
            cases,
            rounds,
            units,
            report,
            knowledge,
            target_user,
            password_users: password_users.try_into().expect("eight"),
            weights,
            dead_letters,
            sla_rules,
            alerts,
            attachments: attachments.try_into().expect("four"),
        }
    }

    /// A fresh session of a demo account: (access token, refresh token).
    pub async fn fresh_session(&self, username: &str, password: &str) -> (String, String) {
        let (st, pair) = self
            .ts
            .post(
                None,
                "/auth/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "login {username}: {pair}");
        (
            pair["accessToken"].as_str().expect("access").to_owned(),
            pair["refreshToken"].as_str().expect("refresh").to_owned(),
        )
    }

    /// A fresh window-service round (no case), imported by the clerk.
    pub async fn service_round(&self, external_id: &str) -> String {
        let feed = json!([{"externalId": external_id, "service": "户政", "phone": "13600001111",
                           "occurredAt": "2026-03-01 10:00"}]);
        let (st, r) = self
            .ts
            .post_raw(
                Some(&self.tokens["clerk"]),
                "/service-events/import?source=rm-answer",
                "application/json",
                feed.to_string().into_bytes(),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let (_, rounds) = self
            .ts
            .get(Some(&self.tokens["admin"]), "/followups?limit=1000")
            .await;
        let event = format!("rm-answer:{external_id}");
        rounds
            .as_array()
            .expect("rounds")
            .iter()
            .find(|r| r["serviceEventId"] == event.as_str())
            .expect("the imported round")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

/// A small JPEG (a photo from a visit).
pub fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8 * 8, y as u8 * 10, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .expect("jpeg");
    out
}

/// The declaration of `photo()` under a new id: (id, body).
pub fn photo_declaration() -> (String, Value) {
    use sha2::Digest;
    let bytes = photo();
    let id = uuid::Uuid::now_v7().to_string();
    let body = json!({"id": id, "name": "现场照片.jpg", "size": bytes.len(), "contentType": "image/jpeg",
                      "sha256": hex::encode(sha2::Sha256::digest(&bytes))});
    (id, body)
}

/// Declares, sends and completes `photo()` on `case` as `token`; returns its id.
pub async fn upload_photo(ts: &TestServer, token: &str, case: &str) -> String {
    let (id, body) = photo_declaration();
    let (st, v) = ts
        .post(Some(token), &format!("/cases/{case}/attachments"), &body)
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let st = ts
        .client
        .put(ts.url(&format!("/cases/{case}/attachments/{id}/chunks/0")))
        .bearer_auth(token)
        .body(photo())
        .send()
        .await
        .expect("chunk")
        .status();
    assert_eq!(st, StatusCode::OK);
    let (st, v) = ts
        .post(
            Some(token),
            &format!("/cases/{case}/attachments/{id}/complete"),
            &json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    id
}
