//! Case attachments over real HTTP, on either backend (MINSHENG_TEST_BACKEND): the
//! resumable upload (declare, chunks, resume, complete, each repeat harmless), the file
//! and its thumbnail, scope like the case's, who may attach, and bad input that must
//! leave nothing stored (row counts read past the server).

mod support;

use std::io::Cursor;

use minsheng_domain::attachment::AttachmentLimits;
use minsheng_server::state::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{bj, TestServer};

const CHUNK: usize = 64 * 1024;

/// Small limits so the tests cross them cheaply: 64 KB chunks, 1 MB a file, 1.5 MB a case.
async fn server() -> TestServer {
    let settings = Settings {
        access_ttl: chrono::Duration::days(365),
        refresh_ttl: chrono::Duration::days(400),
        session_absolute_secs: 400 * 24 * 3600,
        attachment_limits: AttachmentLimits {
            max_file_bytes: 1024 * 1024,
            max_case_bytes: 1536 * 1024,
            chunk_bytes: CHUNK as u64,
        },
        ..Settings::default()
    };
    TestServer::start_with(bj("2026-11-24 10:00"), settings, 0).await
}

/// A noisy photo (so it does not compress to nothing), `w`×`h`, as JPEG.
fn photo(w: u32, h: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed & 0x3f) as u8;
        image::Rgb([(x % 256) as u8 ^ n, (y % 256) as u8, n.wrapping_mul(3)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .expect("jpeg");
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn decl(id: &str, name: &str, bytes: &[u8], ty: &str) -> Value {
    json!({"id": id, "name": name, "size": bytes.len(), "contentType": ty, "sha256": sha(bytes)})
}

/// A 入户走访 registered by `officer` (泉城路派出所): pending acceptance, no handling unit.
async fn home_visit(s: &TestServer, officer: &str) -> String {
    let (st, v) = s
        .post(
            Some(officer),
            "/cases",
            &json!({"channel": "入户走访", "requestType": "求助", "title": "独居老人反映门锁被撬",
                    "content": "走访中王大爷反映昨夜门锁被撬，请求加强巡逻。",
                    "citizenName": "王大爷", "citizenPhone": "0531-86012345"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    v["id"].as_str().expect("id").to_owned()
}

async fn put_chunk(
    s: &TestServer,
    token: &str,
    case: &str,
    id: &str,
    offset: usize,
    data: &[u8],
) -> (StatusCode, Value) {
    let rb = s
        .client
        .put(s.url(&format!("/cases/{case}/attachments/{id}/chunks/{offset}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(data.to_vec());
    let r = rb.send().await.expect("send");
    let st = r.status();
    (st, r.json().await.unwrap_or(Value::Null))
}

async fn get_bytes(s: &TestServer, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let r = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    let st = r.status();
    let ty = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (st, ty, r.bytes().await.expect("body").to_vec())
}

/// Declares and sends every chunk, then completes; returns the completion's answer.
async fn upload(
    s: &TestServer,
    token: &str,
    case: &str,
    name: &str,
    bytes: &[u8],
    ty: &str,
) -> (StatusCode, Value) {
    let id = new_id();
    let (st, v) = s
        .post(
            Some(token),
            &format!("/cases/{case}/attachments"),
            &decl(&id, name, bytes, ty),
        )
        .await;
    if st != StatusCode::CREATED {
        return (st, v);
    }
    for (i, c) in bytes.chunks(CHUNK).enumerate() {
        let (st, v) = put_chunk(s, token, case, &id, i * CHUNK, c).await;
        if st != StatusCode::OK {
            return (st, v);
        }
    }
    s.post(
        Some(token),
        &format!("/cases/{case}/attachments/{id}/complete"),
        &json!({}),
    )
    .await
}

fn count(s: &TestServer, table: &str) -> i64 {
    s.sql_i64(&format!("SELECT COUNT(*) FROM {table}"))
}

#[tokio::test]
async fn a_photo_arrives_once_resumed_and_repeated_and_shows_to_the_case_only() {
    let s = server().await;
    let officer = s.login("officer").await;
    let head = s.login("head").await;
    let officer2 = s.login("officer2").await;
    let case = home_visit(&s, &officer).await;
    let bytes = photo(900, 600);
    assert!(
        bytes.len() > 3 * CHUNK && bytes.len() < 1024 * 1024,
        "{}",
        bytes.len()
    );
    let id = new_id();
    let base = format!("/cases/{case}/attachments");
    let body = decl(&id, "走访照片.jpg", &bytes, "image/jpeg");

    let (st, v) = s.post(Some(&officer), &base, &body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["received"], 0);
    assert_eq!(v["chunkBytes"], CHUNK);
    // The same declaration again (a client that lost the answer): the same upload.
    let (st, v) = s.post(Some(&officer), &base, &body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["attachment"]["id"], id);
    // The same id for another file is refused.
    let mut other = body.clone();
    other["name"] = json!("别的.jpg");
    let (st, v) = s.post(Some(&officer), &base, &other).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ATTACHMENT_ID_CONFLICT")
        )
    );

    // Two chunks, then the client "dies"; a repeated chunk changes nothing.
    let chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
    for (i, c) in chunks.iter().take(2).enumerate() {
        let (st, v) = put_chunk(&s, &officer, &case, &id, i * CHUNK, c).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, v) = put_chunk(&s, &officer, &case, &id, CHUNK, chunks[1]).await;
    assert_eq!(
        (st, v["received"].as_u64()),
        (StatusCode::OK, Some(2 * CHUNK as u64))
    );
    // Completing early says how far it is; a gap is refused with where to resume.
    let done_path = format!("{base}/{id}/complete");
    let (st, v) = s.post(Some(&officer), &done_path, &json!({})).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ATTACHMENT_INCOMPLETE")
        ),
        "{v}"
    );
    let (st, v) = put_chunk(&s, &officer, &case, &id, 3 * CHUNK, chunks[3]).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ATTACHMENT_BAD_OFFSET")
        ),
        "{v}"
    );
    // Restarted: asks where to resume, sends the rest.
    let (st, v) = s.get(Some(&officer), &format!("{base}/{id}/upload")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let resume = v["received"].as_u64().expect("received") as usize;
    assert_eq!(resume, 2 * CHUNK);
    for (i, c) in chunks.iter().enumerate().skip(resume / CHUNK) {
        let (st, v) = put_chunk(&s, &officer, &case, &id, i * CHUNK, c).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, first) = s.post(Some(&officer), &done_path, &json!({})).await;
    assert_eq!(st, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "complete");
    assert_eq!(first["sha256"], sha(&bytes));
    assert_eq!(first["size"], bytes.len());
    assert_eq!(first["hasThumbnail"], true);
    // Completing again, declaring again, a late chunk: the same one attachment.
    let (st, again) = s.post(Some(&officer), &done_path, &json!({})).await;
    assert_eq!((st, &again), (StatusCode::OK, &first));
    let (st, _) = s.post(Some(&officer), &base, &body).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = put_chunk(&s, &officer, &case, &id, 0, chunks[0]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(count(&s, "attachments"), 1);
    assert_eq!(count(&s, "attachment_chunks") as usize, chunks.len());

    // The unit head sees it in the list, the file intact, its thumbnail, the timeline.
    let (st, list) = s.get(Some(&head), &base).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["name"], "走访照片.jpg");
    assert_eq!(list[0]["uploaderName"], "民警 张伟");
    let (st, ty, file) = get_bytes(&s, &head, &format!("{base}/{id}")).await;
    assert_eq!((st, ty.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(sha(&file), sha(&bytes), "the file arrives intact");
    let (st, ty, thumb) = get_bytes(&s, &head, &format!("{base}/{id}/thumbnail")).await;
    assert_eq!((st, ty.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(&thumb[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    let t = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).expect("decodes");
    assert_eq!(
        (t.width(), t.height()),
        (240, 160),
        "900×600 fits 240 px keeping 3:2"
    );
    let (_, timeline) = s.get(Some(&head), &format!("/cases/{case}/timeline")).await;
    let attach: Vec<&Value> = timeline
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "attach")
        .collect();
    assert_eq!(attach.len(), 1, "one timeline entry: {timeline}");
    assert_eq!(attach[0]["detail"]["attachmentId"], id);
    assert_eq!(attach[0]["detail"]["name"], "走访照片.jpg");
    let (_, chain) = s
        .get(Some(&head), &format!("/cases/{case}/timeline/verify"))
        .await;
    assert_eq!(chain["valid"], true, "{chain}");
    // Other clients learn the metadata with the pull: the entry, never the bytes.
    let (st, page) = s.pull(&head, "", 500).await;
    assert_eq!(st, StatusCode::OK);
    let pulled: Vec<&Value> = page["timelines"]
        .as_array()
        .expect("timelines")
        .iter()
        .filter(|e| e["kind"] == "attach")
        .collect();
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0]["detail"]["sha256"], sha(&bytes));
    assert!(page.to_string().len() < bytes.len(), "no bytes in the pull");

    // Another unit's officer: the same answer as for a case that does not exist.
    let (st_case, unseen) = s.get(Some(&officer2), &format!("/cases/{case}")).await;
    assert_eq!(st_case, StatusCode::NOT_FOUND);
    for path in [
        base.clone(),
        format!("{base}/{id}"),
        format!("{base}/{id}/thumbnail"),
        format!("{base}/{id}/upload"),
    ] {
        let (st, v) = s.get(Some(&officer2), &path).await;
        assert_eq!(
            (st, &v["code"]),
            (StatusCode::NOT_FOUND, &unseen["code"]),
            "{path}"
        );
        assert_eq!(v["message"], unseen["message"], "{path}");
    }
}

#[tokio::test]
async fn bad_files_names_and_cases_leave_nothing() {
    let s = server().await;
    let officer = s.login("officer").await;
    let officer2 = s.login("officer2").await;
    let case = home_visit(&s, &officer).await;
    let base = format!("/cases/{case}/attachments");
    let small = photo(64, 48);
    let code = |v: &Value| v["code"].as_str().unwrap_or_default().to_owned();

    // Oversized (declared past the per-file limit).
    let big = vec![0u8; 1024 * 1024 + 1];
    let (st, v) = s
        .post(
            Some(&officer),
            &base,
            &decl(&new_id(), "大.jpg", &big, "image/jpeg"),
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENT_TOO_LARGE".into()
        )
    );
    assert!(v["message"].as_str().unwrap().contains("1 MB"), "{v}");
    // A path in the name, `..`, a control character.
    for name in [
        "../../etc/passwd.jpg",
        "C:\\Users\\a.jpg",
        "证据/照片.jpg",
        "a\u{7}.jpg",
    ] {
        let (st, v) = s
            .post(
                Some(&officer),
                &base,
                &decl(&new_id(), name, &small, "image/jpeg"),
            )
            .await;
        assert_eq!(
            (st, code(&v)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "ATTACHMENT_BAD_NAME".into()
            ),
            "{name}"
        );
    }
    // A type not accepted, a malformed checksum.
    let (st, v) = s
        .post(
            Some(&officer),
            &base,
            &decl(&new_id(), "a.gif", &small, "image/gif"),
        )
        .await;
    assert_eq!(
        (st, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENT_TYPE_UNSUPPORTED".into()
        )
    );
    let mut bad_sum = decl(&new_id(), "a.jpg", &small, "image/jpeg");
    bad_sum["sha256"] = json!("abc");
    let (st, v) = s.post(Some(&officer), &base, &bad_sum).await;
    assert_eq!(
        (st, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENT_BAD_CHECKSUM".into()
        )
    );
    assert_eq!(count(&s, "attachments"), 0);

    // Disguised: an executable and a PNG, each declared as a JPEG named .jpg.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(4000, 0);
    for (bytes, what) in [
        (exe, "application/vnd.microsoft.portable-executable"),
        (png(32, 32), "image/png"),
    ] {
        let (st, v) = upload(&s, &officer, &case, "照片.jpg", &bytes, "image/jpeg").await;
        assert_eq!(
            (st, code(&v)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "ATTACHMENT_TYPE_MISMATCH".into()
            ),
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains(what), "{v}");
    }
    // A JPEG header with garbage behind it: caught when decoding at completion.
    let mut fake = small[..200].to_vec();
    fake.extend(std::iter::repeat_n(0x55u8, 5000));
    let (st, v) = upload(&s, &officer, &case, "坏图.jpg", &fake, "image/jpeg").await;
    assert_eq!(
        (st, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENT_TYPE_MISMATCH".into()
        ),
        "{v}"
    );
    assert_eq!(
        (count(&s, "attachments"), count(&s, "attachment_chunks")),
        (0, 0),
        "nothing stored"
    );

    // Out of scope: another unit's officer gets the unseen-case answer, nothing stored.
    let (st, v) = s
        .post(
            Some(&officer2),
            &base,
            &decl(&new_id(), "a.jpg", &small, "image/jpeg"),
        )
        .await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND".into()));
    let (st, v) = s
        .post(
            Some(&officer),
            "/cases/0190a000-0000-7000-8000-000000000000/attachments",
            &decl(&new_id(), "a.jpg", &small, "image/jpeg"),
        )
        .await;
    assert_eq!((st, code(&v)), (StatusCode::NOT_FOUND, "NOT_FOUND".into()));
    assert_eq!(count(&s, "attachments"), 0);

    // A wrong checksum: the bytes are dropped at completion and the upload starts over.
    let id = new_id();
    let mut lying = decl(&id, "a.jpg", &small, "image/jpeg");
    lying["sha256"] = json!(sha(b"something else"));
    let (st, _) = s.post(Some(&officer), &base, &lying).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = put_chunk(&s, &officer, &case, &id, 0, &small).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = s
        .post(Some(&officer), &format!("{base}/{id}/complete"), &json!({}))
        .await;
    assert_eq!(
        (st, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "ATTACHMENT_CHECKSUM_MISMATCH".into()
        )
    );
    assert_eq!(count(&s, "attachment_chunks"), 0);
    let (_, v) = s.get(Some(&officer), &format!("{base}/{id}/upload")).await;
    assert_eq!(v["received"], 0);
    let (_, list) = s.get(Some(&officer), &base).await;
    assert_eq!(list, json!([]));

    // A chunk bigger than the server takes.
    let (st, v) = put_chunk(&s, &officer, &case, &id, 0, &vec![0xFF; CHUNK + 2048]).await;
    assert_eq!(
        (st, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE".into()),
        "{v}"
    );
}

#[tokio::test]
async fn a_case_holds_at_most_its_limit() {
    let s = server().await;
    let officer = s.login("officer").await;
    let case = home_visit(&s, &officer).await;
    let base = format!("/cases/{case}/attachments");
    // 1.5 MB a case: a declared 1 MB upload (not even sent) and a small photo fit...
    let declared = vec![0u8; 1024 * 1024];
    let (st, _) = s
        .post(
            Some(&officer),
            &base,
            &decl(&new_id(), "a.jpg", &declared, "image/jpeg"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let small = photo(40, 40);
    let (st, v) = upload(&s, &officer, &case, "b.jpg", &small, "image/jpeg").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // ... one more of 0.5 MB does not.
    let half = vec![0u8; 512 * 1024];
    let (st, v) = s
        .post(
            Some(&officer),
            &base,
            &decl(&new_id(), "c.jpg", &half, "image/jpeg"),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ATTACHMENT_CASE_LIMIT")
        ),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("1.5 MB"), "{v}");
    assert_eq!(count(&s, "attachments"), 2);
}

#[tokio::test]
async fn who_may_attach() {
    let s = server().await;
    let clerk = s.login("clerk").await;
    let officer = s.login("officer").await;
    let admin = s.login("admin").await;
    let followup = s.login("followup").await;
    let supervisor = s.login("supervisor").await;
    let head = s.login("head").await;
    let officer2 = s.login("officer2").await;
    let f = photo(48, 32);
    // A hotline case dispatched to 泉城路派出所 (in 历下分局, the supervisor's branch).
    let case = s.intake(&clerk, "夜间施工噪音扰民").await;
    s.act_ok(
        &clerk,
        &case,
        s.dispatch("JN-LX-QCL", "治安管理", json!({})),
    )
    .await;
    let base = format!("/cases/{case}/attachments");

    // Admins manage the system, not cases: they see the case, may not attach.
    let (st, v) = s
        .post(
            Some(&admin),
            &base,
            &decl(&new_id(), "a.jpg", &f, "image/jpeg"),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("ROLE_NOT_ALLOWED")),
        "{v}"
    );
    // Follow-up staff do not see a case before its follow-up.
    let (st, v) = s
        .post(
            Some(&followup),
            &base,
            &decl(&new_id(), "a.jpg", &f, "image/jpeg"),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND")),
        "{v}"
    );
    let (st, _) = s
        .post(
            Some(&officer2),
            &base,
            &decl(&new_id(), "a.jpg", &f, "image/jpeg"),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(count(&s, "attachments"), 0);

    // The clerk (intake), the handling unit's officer and head, the branch supervisor.
    for (who, token) in [
        ("clerk", &clerk),
        ("officer", &officer),
        ("head", &head),
        ("supervisor", &supervisor),
    ] {
        let (st, v) = upload(&s, token, &case, &format!("{who}.jpg"), &f, "image/jpeg").await;
        assert_eq!(st, StatusCode::OK, "{who}: {v}");
    }
    let (_, list) = s.get(Some(&officer), &base).await;
    assert_eq!(list.as_array().map(Vec::len), Some(4));

    // Someone else's upload cannot be continued or completed by another user.
    let id = new_id();
    let (st, _) = s
        .post(Some(&officer), &base, &decl(&id, "x.jpg", &f, "image/jpeg"))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, v) = put_chunk(&s, &head, &case, &id, 0, &f).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("NOT_FOUND"))
    );
    let (st, _) = s
        .post(Some(&head), &format!("{base}/{id}/complete"), &json!({}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // An id that is not a UUID is an unknown attachment, never a path.
    let (st, _) = s
        .get(Some(&head), &format!("{base}/..%2F..%2Fetc/upload"))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A PDF: accepted, no thumbnail.
    let mut pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    pdf.extend(std::iter::repeat_n(b' ', 300));
    let (st, v) = upload(&s, &head, &case, "签收回执.pdf", &pdf, "application/pdf").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["hasThumbnail"], false);
    let pid = v["id"].as_str().unwrap();
    let (st, v) = s.get(Some(&head), &format!("{base}/{pid}/thumbnail")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (st, ty, body) = get_bytes(&s, &clerk, &format!("{base}/{pid}")).await;
    assert_eq!(
        (st, ty.as_str(), body),
        (StatusCode::OK, "application/pdf", pdf)
    );
}
