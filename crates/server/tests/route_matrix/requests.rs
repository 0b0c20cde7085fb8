//! One request per (row, role, object): what each operation is called with. Rows that
//! change or consume something get a fresh object per role, so rows never disturb
//! each other (and the no-token probes consume nothing).

use chrono::Utc;
use minsheng_domain::ids::CommandId;
use minsheng_server::notify::gateway::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use reqwest::Method;
use serde_json::{json, Value};

use super::table::{Kind, ROLES};
use super::world::{
    World, CASE_OBJ, FIXTURES, NEW_PASSWORD, OLD_PASSWORD, ROUND_OBJ, UNIT_OBJ, WEBHOOK_SECRET,
};
use crate::support::{PASSWORD, SYNC_CLIENT, SYNC_SCHEMA};

/// A well-formed id of nothing.
pub const GHOST: &str = "01900000-0000-7000-8000-000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obj {
    In,
    Out,
    /// An object of the row's kind that does not exist.
    Ghost,
}

impl Obj {
    pub fn label(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
            Self::Ghost => "ghost",
        }
    }
}

pub enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// Whose bearer token goes with the request.
pub enum Token {
    /// The role's demo account.
    Role,
    /// No token (public routes called as the role would).
    Anonymous,
    /// A token of a session made for this request.
    Own(String),
}

pub struct Req {
    pub method: Method,
    /// Under `/api/v1`, with the query.
    pub path: String,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
    pub token: Token,
}

fn req(method: Method, path: impl Into<String>) -> Req {
    Req {
        method,
        path: path.into(),
        body: Body::None,
        headers: Vec::new(),
        token: Token::Role,
    }
}

impl Req {
    fn json(mut self, v: Value) -> Self {
        self.body = Body::Json(v);
        self
    }
    fn token(mut self, t: Token) -> Self {
        self.token = t;
        self
    }
    fn desktop(mut self) -> Self {
        self.headers.push(("x-minsheng-client", SYNC_CLIENT.into()));
        self.headers.push(("x-minsheng-schema", SYNC_SCHEMA.into()));
        self
    }
}

/// The fixture index (A–D) a row names for a role, `None` for a ghost.
pub fn fixture_of(kind: Kind, ri: usize, obj: Obj) -> Option<usize> {
    let (i, o) = match kind {
        Kind::Case => CASE_OBJ[ri],
        Kind::RoundCase | Kind::Round => ROUND_OBJ[ri],
        Kind::Plain | Kind::Unit => return None,
    };
    match obj {
        Obj::In => Some(i),
        Obj::Out => Some(o.expect("the table has no out-of-scope object here")),
        Obj::Ghost => None,
    }
}

fn case_id(w: &World, kind: Kind, ri: usize, obj: Obj) -> String {
    fixture_of(kind, ri, obj).map_or_else(|| GHOST.to_owned(), |i| w.cases[i].clone())
}

/// The case and its complete photo of the row's object (ghosts for a ghost).
fn attachment_of(w: &World, kind: Kind, ri: usize, obj: Obj) -> (String, String) {
    fixture_of(kind, ri, obj).map_or_else(
        || (GHOST.to_owned(), GHOST.to_owned()),
        |i| (w.cases[i].clone(), w.attachments[i].clone()),
    )
}

/// An upload of `photo()` the role declared on its in-scope case (for the upload rows);
/// a ghost id when the role may not declare or no request is to be made.
async fn own_upload(w: &World, ri: usize, case: &str, obj: Obj, anonymous: bool) -> String {
    if anonymous || obj != Obj::In {
        return GHOST.to_owned();
    }
    let (id, body) = super::world::photo_declaration();
    let (st, _) =
        w.ts.post(
            Some(w.tok(ri)),
            &format!("/cases/{case}/attachments"),
            &body,
        )
        .await;
    if st == reqwest::StatusCode::CREATED {
        id
    } else {
        GHOST.to_owned()
    }
}

fn round_id(w: &World, ri: usize, obj: Obj) -> String {
    fixture_of(Kind::Round, ri, obj).map_or_else(
        || GHOST.to_owned(),
        |i| w.rounds[i].clone().expect("a round"),
    )
}

fn unit_id(w: &World, ri: usize, obj: Obj) -> String {
    let (i, o) = UNIT_OBJ[ri];
    match obj {
        Obj::In => w.unit(i).to_owned(),
        Obj::Out => w.unit(o.expect("out-of-scope unit")).to_owned(),
        Obj::Ghost => GHOST.to_owned(),
    }
}

/// The content of the case the role may not see (a duplicate probe), or a neutral text.
fn probe_content(ri: usize) -> (&'static str, Option<&'static str>) {
    match CASE_OBJ[ri].1 {
        Some(o) => (FIXTURES[o].content, Some(FIXTURES[o].phone)),
        None => ("小区门口夜间施工噪音扰民，影响休息。", None),
    }
}

/// The request of `row` for role `ri` on `obj`. `anonymous`: only the shape is needed
/// (a no-token probe of a route that needs one): nothing is prepared or consumed.
pub async fn build(w: &World, row: &str, kind: Kind, ri: usize, obj: Obj, anonymous: bool) -> Req {
    let role = ROLES[ri];
    let get = |p: String| req(Method::GET, p);
    let post = |p: String| req(Method::POST, p);
    match row {
        // ---- session
        "POST /auth/login" => post("/auth/login".into())
            .json(json!({"username": role, "password": PASSWORD}))
            .token(Token::Anonymous),
        "POST /auth/refresh" => {
            let (_, refresh) = w.fresh_session(role, PASSWORD).await;
            post("/auth/refresh".into())
                .json(json!({"refreshToken": refresh}))
                .token(Token::Anonymous)
        }
        "POST /auth/logout" => {
            let r = post("/auth/logout".into());
            if anonymous {
                r
            } else {
                let (access, _) = w.fresh_session(role, PASSWORD).await;
                r.token(Token::Own(access))
            }
        }
        "GET /auth/me" => get("/auth/me".into()),
        "POST /auth/password" => {
            let r = post("/auth/password".into())
                .json(json!({"oldPassword": OLD_PASSWORD, "newPassword": NEW_PASSWORD}));
            if anonymous {
                r
            } else {
                let (access, _) = w.fresh_session(&w.password_users[ri], OLD_PASSWORD).await;
                r.token(Token::Own(access))
            }
        }
        "GET /health" => get("/health".into()),
        "GET /health/ready" => get("/health/ready".into()),
        "GET /openapi.json" => get("/openapi.json".into()),
        // ---- organisation
        "GET /units" => get("/units".into()),
        // A rename to the name it has: the admin's change, nobody else's, and no row's
        // expectations move.
        "PATCH /units/{id}" => req(Method::PATCH, format!("/units/{}", w.ts.unit("JN-LX-QCL")))
            .json(json!({"name": "泉城路派出所"})),
        "POST /units" => post("/units".into()).json(json!({
            "code": format!("JN-LX-RM{ri}"), "name": format!("路由矩阵派出所{ri}"), "level": 3,
            "parent": w.unit("JN-LX"), "kind": "派出所", "policeLine": "治安"})),
        "GET /users [no filter]" => get("/users".into()),
        "GET /users" => get(format!("/users?unit={}", unit_id(w, ri, obj))),
        "POST /users" => post("/users".into()).json(json!({
            "username": format!("rm-new-{ri}"), "displayName": "新民警", "role": "officer",
            "unitId": w.unit(super::world::QCL), "password": "Newbie@2026"})),
        "PATCH /users/{id}" => req(Method::PATCH, format!("/users/{}", w.target_user))
            .json(json!({"displayName": format!("改名{ri}")})),
        "GET /users/search" => get("/users/search?q=rm&limit=200".into()),
        "PUT /users/{id}" => req(Method::PUT, format!("/users/{}", w.target_user)).json(json!({
            "displayName": format!("编辑{ri}"), "role": "officer",
            "unitId": w.unit(super::world::QCL)})),
        "PUT /users/{id}/active" => req(Method::PUT, format!("/users/{}/active", w.target_user))
            .json(json!({"active": true})),
        "POST /users/{id}/password" => post(format!("/users/{}/password", w.target_user))
            .json(json!({"password": format!("Reset@2026{ri}")})),
        "GET /audit" => get("/audit".into()),
        "GET /audit/verify" => get("/audit/verify".into()),
        "GET /audit/search" => get("/audit/search?limit=200".into()),
        "GET /audit/actions" => get("/audit/actions".into()),
        "GET /audit/export.xlsx" => get("/audit/export.xlsx".into()),
        // ---- configuration
        "GET /config" => get("/config".into()),
        "PUT /config/calendar/{year}" => {
            let year = 2090 + ri;
            req(Method::PUT, format!("/config/calendar/{year}")).json(json!({
                "year": year, "source": "路由矩阵",
                "holidays": [{"name": "元旦", "dates": [format!("{year}-01-01")]}],
                "makeupWorkdays": []}))
        }
        "POST /config/categories" => {
            post("/config/categories".into()).json(json!({"op": "add", "name": format!("矩阵类别{ri}")}))
        }
        "PUT /config/sla" => req(Method::PUT, "/config/sla").json(w.sla_rules.clone()),
        // ---- intake
        "POST /cases" => post("/cases".into()).json(json!({
            "channel": "12345市长热线", "title": format!("矩阵受理{ri}"),
            "content": "小区门口夜间施工噪音扰民，影响休息。"})),
        "POST /cases [入户走访]" => post("/cases".into()).json(json!({
            "channel": "入户走访", "title": format!("入户走访记录{ri}"),
            "content": probe_content(ri).0})),
        "POST /intake/bulk" => {
            let csv = format!("title,content,phone\n批量导入测试件{ri},小区门口夜间施工噪音,1360000100{ri}\n");
            Req {
                body: Body::Raw("text/csv", csv.into_bytes()),
                ..post("/intake/bulk?channel=12345市长热线".into())
            }
        }
        "POST /intake/assist" => {
            let (content, phone) = probe_content(ri);
            post("/intake/assist".into())
                .json(json!({"title": "群众来电反映噪音", "content": content, "citizenPhone": phone}))
        }
        // ---- cases
        "GET /cases [no filter]" => get("/cases?limit=500".into()),
        "GET /cases" => get(format!("/cases?unit={}&limit=500", unit_id(w, ri, obj))),
        "GET /cases/{id}" => get(format!("/cases/{}", case_id(w, kind, ri, obj))),
        "GET /cases/{id}/timeline" => get(format!("/cases/{}/timeline", case_id(w, kind, ri, obj))),
        "GET /cases/{id}/timeline/verify" => {
            get(format!("/cases/{}/timeline/verify", case_id(w, kind, ri, obj)))
        }
        "GET /cases/{id}/citizen" => get(format!("/cases/{}/citizen", case_id(w, kind, ri, obj))),
        "GET /cases/{id}/suggestions" => {
            get(format!("/cases/{}/suggestions", case_id(w, kind, ri, obj)))
        }
        "POST /cases/{id}/actions" => post(format!("/cases/{}/actions", case_id(w, kind, ri, obj)))
            .json(json!({"action": {"type": "addNote", "text": "路由矩阵备注"}})),
        "POST /cases/{id}/actions [urge]" => {
            post(format!("/cases/{}/actions", case_id(w, kind, ri, obj)))
                .json(json!({"action": {"type": "urge", "message": "请尽快办理"}}))
        }
        // ---- attachments
        "GET /cases/{id}/attachments" => {
            get(format!("/cases/{}/attachments", case_id(w, kind, ri, obj)))
        }
        "POST /cases/{id}/attachments" => {
            let (_, body) = super::world::photo_declaration();
            post(format!("/cases/{}/attachments", case_id(w, kind, ri, obj))).json(body)
        }
        "GET /cases/{id}/attachments/{aid}/upload" => {
            let case = case_id(w, kind, ri, obj);
            let aid = own_upload(w, ri, &case, obj, anonymous).await;
            get(format!("/cases/{case}/attachments/{aid}/upload"))
        }
        "PUT /cases/{id}/attachments/{aid}/chunks/{offset}" => {
            let case = case_id(w, kind, ri, obj);
            let aid = own_upload(w, ri, &case, obj, anonymous).await;
            Req {
                body: Body::Raw("application/octet-stream", super::world::photo()),
                ..req(Method::PUT, format!("/cases/{case}/attachments/{aid}/chunks/0"))
            }
        }
        "POST /cases/{id}/attachments/{aid}/complete" => {
            let case = case_id(w, kind, ri, obj);
            let aid = own_upload(w, ri, &case, obj, anonymous).await;
            if aid != GHOST {
                let st = w
                    .ts
                    .client
                    .put(w.ts.url(&format!("/cases/{case}/attachments/{aid}/chunks/0")))
                    .bearer_auth(w.tok(ri))
                    .body(super::world::photo())
                    .send()
                    .await
                    .expect("chunk")
                    .status();
                assert_eq!(st, reqwest::StatusCode::OK);
            }
            post(format!("/cases/{case}/attachments/{aid}/complete")).json(json!({}))
        }
        "GET /cases/{id}/attachments/{aid}" => {
            let (case, aid) = attachment_of(w, kind, ri, obj);
            get(format!("/cases/{case}/attachments/{aid}"))
        }
        "GET /cases/{id}/attachments/{aid}/thumbnail" => {
            let (case, aid) = attachment_of(w, kind, ri, obj);
            get(format!("/cases/{case}/attachments/{aid}/thumbnail"))
        }
        "GET /intelligence/accuracy" => get("/intelligence/accuracy".into()),
        "GET /intelligence/model" => get("/intelligence/model".into()),
        "POST /intelligence/model/retrain" => post("/intelligence/model/retrain".into()),
        "POST /intelligence/model/rollback" => {
            post("/intelligence/model/rollback".into()).json(json!({"version": 1}))
        }
        "GET /worklists" => get("/worklists".into()),
        "GET /worklists/{list} [no filter]" => get("/worklists/unsigned?limit=500".into()),
        "GET /worklists/{list}" => get(format!(
            "/worklists/unsigned?unit={}&limit=500",
            unit_id(w, ri, obj)
        )),
        // ---- sync
        "POST /sync/push" => {
            let mint = || CommandId::mint(Utc::now()).to_string();
            post("/sync/push".into())
                .json(json!({"installId": mint(), "commands": [{
                    "id": mint(), "seq": 1, "caseId": case_id(w, kind, ri, obj),
                    "action": {"type": "addNote", "text": "离线备注（路由矩阵）"},
                    "deviceAt": "2026-03-02T00:30:00Z"}]}))
                .desktop()
        }
        "GET /sync/pull" => get("/sync/pull?limit=2000".into()).desktop(),
        // ---- follow-up
        "GET /followups [no filter]" => get("/followups?limit=1000".into()),
        "GET /followups" => get(format!("/followups?caseId={}", case_id(w, kind, ri, obj))),
        "GET /followups/queue" => get("/followups/queue".into()),
        "GET /followups/stats" => get("/followups/stats".into()),
        "GET /followups/{id}/phone" => get(format!("/followups/{}/phone", round_id(w, ri, obj))),
        "POST /followups/{id}/answer" => {
            let round = if anonymous {
                GHOST.to_owned()
            } else {
                w.service_round(&format!("Q{ri}")).await
            };
            post(format!("/followups/{round}/answer")).json(json!({"satisfaction": "satisfied"}))
        }
        "POST /service-events/import" => {
            let feed = json!([{"externalId": format!("E{ri}"), "service": "出入境",
                               "phone": format!("1360000200{ri}"), "occurredAt": "2026-03-01 11:00"}]);
            Req {
                body: Body::Raw("application/json", feed.to_string().into_bytes()),
                ..post(format!("/service-events/import?source=rm-import-{ri}"))
            }
        }
        // ---- notify
        "GET /notifications" => get("/notifications?limit=500".into()),
        "POST /notifications/read" => post("/notifications/read".into()).json(json!({"all": true})),
        "GET /notifications/preferences" => get("/notifications/preferences".into()),
        "PUT /notifications/preferences" => req(Method::PUT, "/notifications/preferences")
            .json(json!({"sms": true, "smsKinds": []})),
        "POST /sms/inbound" => {
            let body = json!({"type": "status", "messageId": format!("rm-status-{ri}"), "status": "DELIVRD"})
                .to_string()
                .into_bytes();
            let ts = Utc::now().timestamp().to_string();
            let sig = sign(WEBHOOK_SECRET, &ts, &body);
            Req {
                body: Body::Raw("application/json", body),
                headers: vec![(TIMESTAMP_HEADER, ts), (SIGNATURE_HEADER, sig)],
                ..post("/sms/inbound".into())
            }
            .token(Token::Anonymous)
        }
        "GET /sms/inbound" => get("/sms/inbound".into()),
        "GET /sms/outbox" => get("/sms/outbox?limit=1000".into()),
        "POST /sms/outbox/{id}/retry" => post(format!("/sms/outbox/{}/retry", w.dead_letters[0])),
        "POST /sms/templates/{code}/preview" => post("/sms/templates/reminder.documentReady/preview".into())
            .json(json!({"body": "温馨提示：您的证件已办好，请携带回执领取。"})),
        "POST /sms/outbox/{id}/discard" => post(format!("/sms/outbox/{}/discard", w.dead_letters[1]))
            .json(json!({"reason": "号码已停用（路由矩阵）"})),
        "GET /sms/templates" => get("/sms/templates".into()),
        "PUT /sms/templates/{code}" => req(Method::PUT, format!("/sms/templates/rm.t{ri}"))
            .json(json!({"body": format!("路由矩阵模板{ri}：请留意短信通知。")})),
        "POST /sms/reminders" => post("/sms/reminders".into()).json(json!({
            "template": "reminder.documentReady", "caseId": case_id(w, kind, ri, obj),
            "params": {"name": "王女士", "item": "居民身份证", "place": "派出所户籍窗口"},
            "key": format!("rm-{ri}-{}", obj.label())})),
        // ---- assessment and analytics
        "GET /dashboard" => get("/dashboard".into()),
        "GET /alerts" => get("/alerts".into()),
        "GET /assessment/bulletin" => get("/assessment/bulletin".into()),
        "GET /assessment/scores" => get("/assessment/scores".into()),
        "GET /assessment/scores [level=officer]" => get("/assessment/scores?level=officer".into()),
        "GET /assessment/scores [level=branch]" => get("/assessment/scores?level=branch".into()),
        "GET /assessment/scores.xlsx" => get("/assessment/scores.xlsx".into()),
        "GET /assessment/explain" => get(format!("/assessment/explain?unit={}", unit_id(w, ri, obj))),
        "GET /assessment/weights" => get("/assessment/weights".into()),
        "PUT /assessment/weights" => req(Method::PUT, "/assessment/weights").json(w.weights.clone()),
        "GET /analytics [no filter]" => get("/analytics".into()),
        "GET /analytics" => get(format!("/analytics?unit={}", unit_id(w, ri, obj))),
        "GET /analytics/cases [no filter]" => get("/analytics/cases?limit=500".into()),
        "GET /analytics/cases" => get(format!(
            "/analytics/cases?unit={}&limit=500",
            unit_id(w, ri, obj)
        )),
        "GET /reports" => get("/reports".into()),
        "POST /reports" => post("/reports".into()).json(json!({"kind": "week"})),
        "GET /reports/{id}" => get(format!("/reports/{}", w.report)),
        "GET /reports/{id}/export.xlsx" => get(format!("/reports/{}/export.xlsx", w.report)),
        // ---- knowledge
        "GET /knowledge" => get("/knowledge".into()),
        "POST /knowledge" => post("/knowledge".into()).json(json!({
            "category": "噪音扰民", "title": format!("新口径{ri}"), "body": "已责令整改并加强巡查。"})),
        "PUT /knowledge/{id}" => req(Method::PUT, format!("/knowledge/{}", w.knowledge[&("PUT /knowledge/{id}", ri)]))
            .json(json!({"expectedVersion": 1, "title": format!("修订口径{ri}"), "body": "修订后的答复口径。"})),
        "POST /knowledge/{id}/review" => post(format!(
            "/knowledge/{}/review",
            w.knowledge[&("POST /knowledge/{id}/review", ri)]
        )),
        "DELETE /knowledge/{id}" => req(
            Method::DELETE,
            format!("/knowledge/{}", w.knowledge[&("DELETE /knowledge/{id}", ri)]),
        ),
        // ---- 优秀监督员
        "GET /supervisors" => get("/supervisors".into()),
        "POST /supervisors" => post("/supervisors".into()).json(json!({
            "name": format!("路由矩阵监督员{ri}"), "phone": format!("1370000100{ri}"),
            "kind": "人大代表", "reason": "路由矩阵", "unitId": w.unit(super::world::QCL),
            "contactPreferences": ["电话"]})),
        "POST /supervisors/proposals" => post("/supervisors/proposals".into()),
        "PATCH /supervisors/{id}" => req(Method::PATCH, format!("/supervisors/{GHOST}"))
            .json(json!({"version": 1, "note": "路由矩阵"})),
        "POST /supervisors/{id}/decision" => post(format!("/supervisors/{GHOST}/decision"))
            .json(json!({"version": 1, "step": "confirm"})),
        "GET /supervisors/{id}/phone" => get(format!("/supervisors/{GHOST}/phone")),
        "GET /supervisors/rounds" => get("/supervisors/rounds".into()),
        "POST /supervisors/rounds" => post("/supervisors/rounds".into()),
        "GET /supervisors/consultations" => get("/supervisors/consultations".into()),
        "POST /supervisors/consultations/{id}/answer" => {
            post(format!("/supervisors/consultations/{GHOST}/answer"))
                .json(json!({"satisfaction": "satisfied", "text": "路由矩阵"}))
        }
        "GET /supervisors/feedback" => get("/supervisors/feedback".into()),
        "GET /supervisors/feedback.xlsx" => get("/supervisors/feedback.xlsx".into()),
        // ---- 责任倒查
        "GET /accountability" => get("/accountability?limit=50".into()),
        "GET /accountability/{id}" => get(format!("/accountability/{GHOST}")),
        "POST /accountability/{id}/steps" => post(format!("/accountability/{GHOST}/steps"))
            .json(json!({"step": {"type": "dismiss", "reason": "系工作机制问题"}})),
        // ---- desktop releases
        "GET /releases" => get("/releases".into()),
        "POST /releases" => post("/releases".into()).json(json!({"version": "0.2.0"})),
        "POST /releases/{id}/withdraw" => post(format!("/releases/{GHOST}/withdraw")),
        "GET /releases/{id}/file" => get(format!("/releases/{GHOST}/file")),
        "GET /updates/{target}/{bundle}/{current}" => get("/updates/linux-x86_64/deb/0.1.0".into()),
        other => panic!("no request for table row {other:?}: add one to route_matrix/requests.rs"),
    }
}
