//! Sending, the OpenAPI document's operations, and the record of everything observed:
//! status mismatches, malformed errors, side-channel leaks, out-of-scope answers that
//! differ from a missing object's, and statuses the document does not declare.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::requests::{Body, Req, Token};
use super::table::{Row, ROLES};
use super::world::{World, ALERTS, ALERT_VISIBLE, FIXTURES, NAMES, QCL, VISIBLE};

pub struct Resp {
    pub status: u16,
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The token a request goes with when made as role `ri`.
pub fn token_of<'a>(w: &'a World, ri: usize, r: &'a Req) -> Option<&'a str> {
    match &r.token {
        Token::Role => Some(w.tok(ri)),
        Token::Anonymous => None,
        Token::Own(t) => Some(t),
    }
}

pub async fn send(w: &World, r: &Req, token: Option<&str>) -> Resp {
    let mut rb = w.ts.client.request(r.method.clone(), w.ts.url(&r.path));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    for (name, value) in &r.headers {
        rb = rb.header(*name, value);
    }
    rb = match &r.body {
        Body::None => rb,
        Body::Json(v) => rb.json(v),
        Body::Raw(ct, bytes) => rb.header("content-type", *ct).body(bytes.clone()),
    };
    let resp = rb.send().await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.bytes().await.expect("body").to_vec();
    Resp {
        status,
        bytes,
        content_type,
    }
}

/// An operation of the document: whether it needs a bearer token, what it may answer.
pub struct DocOp {
    pub secured: bool,
    pub statuses: BTreeSet<u16>,
}

/// `"METHOD /path"` (without `/api/v1`) → the operation, from the live document.
pub async fn operations(w: &World) -> BTreeMap<String, DocOp> {
    let (st, doc) = w.ts.get(None, "/openapi.json").await;
    assert_eq!(st.as_u16(), 200, "{doc}");
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let short = path
            .strip_prefix("/api/v1")
            .unwrap_or_else(|| panic!("{path}: not under /api/v1"));
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let statuses = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .map(|k| k.parse().unwrap_or_else(|_| panic!("{path}: status {k}")))
                .collect();
            out.insert(
                format!("{} {short}", method.to_uppercase()),
                DocOp { secured, statuses },
            );
        }
    }
    out
}

/// The operation of a row (`"POST /cases [入户走访]"` → `"POST /cases"`).
pub fn base_of(op: &str) -> &str {
    op.split(" [").next().unwrap_or(op)
}

/// The table names every operation of the document, and nothing else.
pub fn assert_complete(doc: &BTreeMap<String, DocOp>, table: &[Row]) {
    let ours: BTreeSet<&str> = table.iter().map(|r| base_of(r.op)).collect();
    let theirs: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    let missing: Vec<&&str> = theirs.difference(&ours).collect();
    let stale: Vec<&&str> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "the access matrix must name every operation of the OpenAPI document exactly:\n  \
         operations without rows (add them to route_matrix/table.rs): {missing:?}\n  \
         rows of no operation (remove or rename them): {stale:?}"
    );
    let mut seen = BTreeSet::new();
    for r in table {
        assert!(seen.insert(r.op), "row {} appears twice", r.op);
    }
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What must not appear in a 2xx body for the role: the ids, titles, follow-up rounds
/// and citizens' numbers (full and masked) of the fixtures it cannot see, and the alerts
/// raised to units outside its scope.
pub fn needles(w: &World, ri: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, f) in FIXTURES.iter().enumerate() {
        if VISIBLE[ri][i] {
            continue;
        }
        let n = NAMES[i];
        out.push((format!("{n}'s id"), w.cases[i].clone()));
        out.push((format!("{n}'s title"), f.title.to_owned()));
        out.push((format!("{n}'s phone"), f.phone.to_owned()));
        out.push((format!("{n}'s masked phone"), f.masked.to_owned()));
        if let Some(round) = &w.rounds[i] {
            out.push((format!("{n}'s follow-up round"), round.clone()));
        }
    }
    for (k, (_, _, message)) in ALERTS.iter().enumerate() {
        if !ALERT_VISIBLE[ri][k] {
            out.push((format!("alert {k}'s id"), w.alerts[k].clone()));
            out.push((format!("alert {k}'s message"), (*message).to_owned()));
        }
    }
    out
}

/// Rows whose figures are per unit: a station of another branch (for 泉城路's roles and
/// 历下分局's supervisor) or the other station (for officer2) must not be among them.
pub const UNIT_SCOPED_FIGURES: &[&str] = &[
    "GET /assessment/scores",
    "GET /assessment/explain",
    "GET /reports/{id}",
    "GET /dashboard",
];

pub fn hidden_units(w: &World, ri: usize) -> Vec<(String, String)> {
    let codes: &[&str] = match ROLES[ri] {
        "supervisor" | "head" | "officer" => &[super::world::DGY, "JN-SZ"],
        "officer2" => &[QCL, "JN-LX"],
        _ => &[],
    };
    codes
        .iter()
        .map(|c| (format!("{c}'s unit id"), w.unit(c).to_owned()))
        .collect()
}

/// Fields that only echo the request (the probe's own number, masked).
const ECHOES: &[&str] = &["phoneMasked"];

fn without_echoes(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for k in ECHOES {
                m.remove(*k);
            }
            m.values_mut().for_each(without_echoes);
        }
        Value::Array(a) => a.iter_mut().for_each(without_echoes),
        _ => {}
    }
}

#[derive(Default)]
pub struct Recorder {
    /// `"<row> | <role> | <in|out|…>"` → what was got instead of the expected.
    pub mismatches: BTreeMap<String, String>,
    pub malformed: BTreeSet<String>,
    pub leaks: BTreeSet<String>,
    pub ghost_diffs: BTreeSet<String>,
    /// Operation → statuses observed.
    pub observed: BTreeMap<String, BTreeSet<u16>>,
    /// Statuses compared with an expected one.
    pub cells: usize,
    /// (operation, role, object) cells of the table that ran.
    pub role_cells: usize,
    pub out_of_scope_cells: usize,
    pub ghost_checks: usize,
    pub unauthenticated_checks: usize,
    pub bodies_scanned: usize,
    pub content_checks: usize,
}

impl Recorder {
    /// Records the status, and the error shape of any error.
    pub fn observe(&mut self, what: &str, base: &str, r: &Resp) {
        self.observed
            .entry(base.to_owned())
            .or_default()
            .insert(r.status);
        if r.status < 400 {
            return;
        }
        let body = r.json();
        let shape_ok = body.as_object().is_some_and(|o| {
            let mut keys: Vec<&str> = o.keys().map(String::as_str).collect();
            keys.sort_unstable();
            keys == ["code", "message"]
        });
        let code_ok = body["code"].as_str().is_some_and(|c| {
            !c.is_empty() && c.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        });
        let message_ok = body["message"].as_str().is_some_and(has_cjk);
        if !(shape_ok && code_ok && message_ok) {
            self.malformed
                .insert(format!("{what}: {} {}", r.status, r.text()));
        }
    }

    /// Compares the status (and the code a status implies) with the table's.
    pub fn expect(&mut self, key: &str, base: &str, want: u16, r: &Resp) {
        self.cells += 1;
        self.observe(key, base, r);
        let code = r.json()["code"].as_str().unwrap_or_default().to_owned();
        let code_ok = match want {
            401 => code == "UNAUTHENTICATED",
            // 责任倒查 refuses with its own code (issue 19: the roles are told why).
            403 if key.contains(" /accountability") => code == "ACCOUNTABILITY_FORBIDDEN",
            403 => code == "FORBIDDEN" || code == "ROLE_NOT_ALLOWED",
            404 => code == "NOT_FOUND",
            _ => true,
        };
        if r.status != want || !code_ok {
            let got = if r.status >= 400 {
                format!("{} {code}", r.status)
            } else {
                r.status.to_string()
            };
            self.mismatches.insert(key.to_owned(), got);
        }
    }

    /// A check of a 2xx body beyond its status (`what` names it).
    pub fn content(&mut self, key: &str, what: &str, ok: bool) {
        self.content_checks += 1;
        if !ok {
            self.mismatches
                .insert(format!("{key} | {what}"), "content".into());
        }
    }

    /// Looks for what the role may not see in a 2xx body.
    pub fn scan(&mut self, key: &str, r: &Resp, needles: &[(String, String)]) {
        self.bodies_scanned += 1;
        let text = match serde_json::from_slice::<Value>(&r.bytes) {
            Ok(mut v) => {
                without_echoes(&mut v);
                v.to_string()
            }
            Err(_) => r.text(),
        };
        for (label, needle) in needles {
            if text.contains(needle.as_str()) {
                self.leaks.insert(format!("{key}: {label}"));
            }
        }
    }
}

/// Asserts that what failed is exactly what the table's lists say fails.
pub fn assert_exactly(what: &str, got: &BTreeSet<String>, expected: &[&str]) {
    let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    let new: Vec<&String> = got.difference(&expected).collect();
    let gone: Vec<&String> = expected.difference(got).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "{what}:\n  unexpected (not in the expected list):\n    {}\n  expected but not observed (fixed? remove from the list):\n    {}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    "),
        gone.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n    "),
    );
}
