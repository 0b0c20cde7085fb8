//! An attachment queued offline, its upload killed (SIGKILL) mid-way, the client
//! restarted: the file arrives once and intact (SHA-256), the upload resumed where the
//! server was (not from the start), and the 签收 queued after the attachment applied
//! once, without waiting for the upload.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use minsheng_client::DbKey;
use minsheng_tests::server::CityServer;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

const CHUNK: usize = 256 * 1024;

struct Run<'a> {
    cache: &'a Path,
    key: &'a DbKey,
    server: &'a str,
    token: &'a str,
}

impl Run<'_> {
    fn command(&self, mode: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_attach-client"));
        c.env("MS_CACHE", self.cache)
            .env("MS_KEY", self.key.to_hex().as_str())
            .env("MS_SERVER", self.server)
            .env("MS_TOKEN", self.token)
            .env("MS_MODE", mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs to the end; returns its stdout lines.
    fn finish(mut c: Command) -> Vec<String> {
        let out = c.output().expect("run attach-client");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "attach-client failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout.lines().map(str::to_owned).collect()
    }
}

/// Reads the child's lines until `until` holds for what was read; returns them.
fn read_until(child: &mut Child, until: impl Fn(&[String]) -> bool) -> Vec<String> {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
        if until(&lines) {
            return lines;
        }
    }
    let mut err = String::new();
    child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    panic!("the client never got there: {lines:?}\n{err}");
}

fn progress(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("PROGRESS "))
        .filter_map(|l| l.split(' ').nth(1)?.parse().ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_upload_resumes_and_arrives_once_and_the_action_after_it_applies() {
    let server = CityServer::start().await;
    let clerk = server.login("clerk").await;
    let officer = server.login("officer").await;
    let case = server
        .dispatched(&clerk, "JN-LX-QCL", "来信反映小区治安问题")
        .await;

    // A scanned letter of ~1.3 MB (six chunks), as PDF.
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    let mut letter = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    letter.extend((0..1_300_000).map(|_| rng.random::<u8>()));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("letter.pdf");
    std::fs::write(&file, &letter).expect("write letter");
    let want_sha = hex::encode(Sha256::digest(&letter));
    let chunks = letter.len().div_ceil(CHUNK);

    let key = DbKey::generate();
    let cache = dir.path().join("cache.db");
    let run = Run {
        cache: &cache,
        key: &key,
        server: &server.base,
        token: &officer,
    };
    assert!(Run::finish(run.command("prepare")).contains(&"READY".to_owned()));

    // Offline: the letter and then a 签收 of the same case are queued.
    let mut queue = run.command("queue");
    queue
        .env("MS_CASE", case.to_string())
        .env("MS_FILE", &file)
        .env("MS_SERVER", "http://127.0.0.1:9"); // no server needed, none reachable
    let lines = Run::finish(queue);
    let attachment = lines
        .iter()
        .find_map(|l| l.strip_prefix("QUEUED_ATTACHMENT "))
        .expect("queued attachment")
        .to_owned();
    assert!(lines.iter().any(|l| l.starts_with("QUEUED ")), "{lines:?}");

    // Back online on a slow link: killed once the server has two chunks and the sync
    // round (with the 签收) is done: the action did not wait for the upload.
    let mut slow = run.command("run");
    slow.env("MS_PAUSE_MS", "400");
    let mut child = slow.spawn().expect("spawn");
    let seen = read_until(&mut child, |lines| {
        lines.iter().any(|l| l == "SYNCED")
            && progress(lines).iter().any(|p| *p >= 2 * CHUNK as u64)
    });
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(!seen.iter().any(|l| l.starts_with("UPLOADED")), "{seen:?}");
    let conn = server.read_only();
    let (status, stored): (String, i64) = conn
        .query_row(
            "SELECT status, (SELECT coalesce(sum(length(data)), 0) FROM attachment_chunks
                              WHERE attachment_id = a.id)
               FROM attachments a WHERE id = ?1",
            [&attachment],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the upload is declared");
    assert_eq!(status, "uploading");
    assert!(stored > 0 && (stored as usize) < letter.len(), "{stored}");
    assert_eq!(
        server.case(case).state.code(),
        "inProgress",
        "the 签收 queued after the attachment applied while the upload was under way"
    );

    // Restarted: resumes at the server's offset and finishes.
    let lines = Run::finish(run.command("run"));
    assert!(lines.iter().any(|l| l == "UPLOADED 1"), "{lines:?}");
    let resumed = progress(&lines);
    assert!(
        resumed.first().is_some_and(|p| *p >= stored as u64),
        "resumed at the server's offset, not from 0: {resumed:?}"
    );

    // Once, intact.
    let (rows, status, sha, size, chunk_rows, bytes): (i64, String, String, i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM attachments), status, sha256, size,
                    (SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = a.id),
                    (SELECT sum(length(data)) FROM attachment_chunks WHERE attachment_id = a.id)
               FROM attachments a WHERE id = ?1",
            [&attachment],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .expect("attachment");
    assert_eq!((rows, status.as_str()), (1, "complete"));
    assert_eq!((sha, size as usize), (want_sha.clone(), letter.len()));
    assert_eq!(
        (chunk_rows as usize, bytes as usize),
        (chunks, letter.len()),
        "no chunk twice"
    );
    let attach_entries = server
        .timeline(case)
        .iter()
        .filter(|e| e.kind == "attach")
        .count();
    assert_eq!(attach_entries, 1, "on the timeline once");
    let signed: Vec<_> = server
        .timeline(case)
        .into_iter()
        .filter(|e| e.kind == "signIn")
        .collect();
    assert_eq!(signed.len(), 1, "the 签收 applied once");

    // The unit head opens it: the same bytes.
    let head = server.login("head").await;
    let resp = reqwest::Client::new()
        .get(server.url(&format!("/cases/{case}/attachments/{attachment}")))
        .bearer_auth(&head)
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let got = resp.bytes().await.expect("body");
    assert_eq!(hex::encode(Sha256::digest(&got)), want_sha);
}
