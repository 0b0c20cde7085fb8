//! A fault-injecting HTTP/1.1 proxy between the client crate and the city server.
//!
//! Raw TCP rather than a full HTTP stack, so a fault can strike at an exact byte:
//! after the server committed but before one byte of its answer, half-way through the
//! body, or by delivering the same request twice. Each client connection carries one
//! request (`connection: close` both ways), which keeps the byte handling trivial and
//! makes every request a fresh fault decision.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What can go wrong with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The connection closes before the request reaches the server (no network).
    Offline,
    /// 502 from the "gateway" without asking the server.
    BadGateway,
    /// The server processed (and committed) the request; the client gets a 502.
    BadGatewayAfterCommit,
    /// The server committed; the connection closes before any byte of the answer.
    DropResponse,
    /// The request reaches the server twice, concurrently; the client gets one answer.
    Duplicate,
    /// The request and the answer are each held back a while (up to the plan's delay).
    Delay,
    /// The server committed; the answer stops half-way through its body.
    CutMidBody,
}

impl Fault {
    pub const ALL: [Self; 7] = [
        Self::Offline,
        Self::BadGateway,
        Self::BadGatewayAfterCommit,
        Self::DropResponse,
        Self::Duplicate,
        Self::Delay,
        Self::CutMidBody,
    ];
}

/// Which requests get which faults.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Chance that a request gets a fault (0 = pass everything, 1 = every request).
    pub rate: f64,
    /// The faults drawn from, uniformly.
    pub faults: Vec<Fault>,
    /// Only paths containing this (e.g. `/sync/push`) get faults; others pass.
    pub path_filter: Option<String>,
    /// Upper bound of `Fault::Delay`.
    pub max_delay: Duration,
}

impl Plan {
    pub fn pass() -> Self {
        Self::random(0.0, &[])
    }

    pub fn always(f: Fault) -> Self {
        Self::random(1.0, &[f])
    }

    pub fn offline() -> Self {
        Self::always(Fault::Offline)
    }

    pub fn random(rate: f64, faults: &[Fault]) -> Self {
        Self {
            rate,
            faults: faults.to_vec(),
            path_filter: None,
            max_delay: Duration::from_millis(200),
        }
    }

    #[must_use]
    pub fn on_path(mut self, part: &str) -> Self {
        self.path_filter = Some(part.to_owned());
        self
    }

    #[must_use]
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }
}

struct Shared {
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    rng: Mutex<StdRng>,
    /// How often each fault took effect, and how many requests passed clean (`None`).
    /// Counted when the fault lands, not when it is drawn: a request whose upstream
    /// exchange failed, or whose client went away first, is not counted.
    counts: Mutex<HashMap<Option<Fault>, usize>>,
}

impl Shared {
    fn decide(&self, path: &str) -> (Option<Fault>, Duration) {
        let plan = self.plan.lock().unwrap_or_else(PoisonError::into_inner);
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        let applies = plan.path_filter.as_deref().is_none_or(|p| path.contains(p));
        let fault =
            (applies && !plan.faults.is_empty() && rng.random_bool(plan.rate.clamp(0.0, 1.0)))
                .then(|| plan.faults[rng.random_range(0..plan.faults.len())]);
        let max = plan.max_delay.as_millis().max(1) as u64;
        let delay = Duration::from_millis(rng.random_range(0..max));
        (fault, delay)
    }

    /// Records that `fault` (or a clean pass) has just taken effect.
    fn landed(&self, fault: Option<Fault>) {
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(fault)
            .or_default() += 1;
    }
}

/// The proxy; dropping it does not stop the listener (tests end with the runtime).
#[derive(Clone)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards to `upstream` (`http://127.0.0.1:port`).
    pub async fn start(upstream: &str, seed: u64) -> std::io::Result<Self> {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(Plan::pass()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            counts: Mutex::new(HashMap::new()),
        });
        let sh = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    continue;
                };
                let sh = sh.clone();
                tokio::spawn(async move {
                    // A failed exchange is exactly what the client must survive.
                    let _ = serve(conn, &sh).await;
                });
            }
        });
        Ok(Self { addr, shared })
    }

    /// The base URL the client uses instead of the server's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, plan: Plan) {
        *self
            .shared
            .plan
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = plan;
    }

    /// How often each fault took effect (`None`: passed clean), counted when it landed.
    pub fn counts(&self) -> HashMap<Option<Fault>, usize> {
        self.shared
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How often `f` took effect.
    pub fn struck(&self, f: Fault) -> usize {
        self.counts().get(&Some(f)).copied().unwrap_or(0)
    }
}

/// One request as read from the client: the head rewritten for the upstream
/// (`connection: close`) and the body.
struct Request {
    path: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

async fn serve(mut conn: TcpStream, sh: &Shared) -> std::io::Result<()> {
    let Some(req) = read_request(&mut conn).await? else {
        return Ok(());
    };
    let (fault, delay) = sh.decide(&req.path);
    // Each fault is counted at the moment it takes effect, just before the client can
    // see it (the end of the connection), so a caller that got its answer also sees the
    // count; a request whose exchange failed on the way is not counted.
    match fault {
        Some(Fault::Offline) => {
            // Closed without forwarding a byte: the request never reaches the server.
            sh.landed(fault);
            drop(conn);
            return Ok(());
        }
        Some(Fault::BadGateway) => {
            write_502(&mut conn).await?;
            sh.landed(fault);
            return conn.shutdown().await;
        }
        Some(Fault::Delay) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let resp = if fault == Some(Fault::Duplicate) {
        let (a, b) = tokio::join!(forward(sh.upstream, &req), forward(sh.upstream, &req));
        b?;
        a?
    } else {
        forward(sh.upstream, &req).await?
    };
    // From here the server has processed the request (twice for `Duplicate`).
    match fault {
        Some(Fault::DropResponse) => {
            sh.landed(fault);
            drop(conn);
            Ok(())
        }
        Some(Fault::BadGatewayAfterCommit) => {
            write_502(&mut conn).await?;
            sh.landed(fault);
            conn.shutdown().await
        }
        Some(Fault::CutMidBody) => {
            // Exactly the head and half the body are forwarded, then the connection is
            // closed in order (FIN after those bytes): the client reads a body shorter
            // than its content-length, whatever the timing.
            let cut = cut_point(&resp);
            conn.write_all(&resp[..cut]).await?;
            conn.flush().await?;
            sh.landed(fault);
            conn.shutdown().await?;
            // Wait for the client to drop its end (it has read the cut answer), so
            // closing ours cannot reset the connection under bytes it still has to read.
            let mut sink = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(10), async {
                while matches!(conn.read(&mut sink).await, Ok(n) if n > 0) {}
            })
            .await;
            Ok(())
        }
        Some(Fault::Delay) => {
            tokio::time::sleep(delay).await;
            conn.write_all(&resp).await?;
            sh.landed(fault);
            conn.shutdown().await
        }
        _ => {
            conn.write_all(&resp).await?;
            sh.landed(fault);
            conn.shutdown().await
        }
    }
}

/// Where `CutMidBody` stops: after the head and half the body, so at least one body
/// byte is withheld; an answer without a body is cut half-way through its head. Either
/// way the client never gets a complete answer.
fn cut_point(resp: &[u8]) -> usize {
    let head_end = find(resp, b"\r\n\r\n").map_or(resp.len(), |i| i + 4);
    match resp.len() - head_end {
        0 => head_end / 2,
        body => head_end + body / 2,
    }
}

/// Writes a gateway's 502 (the caller closes the connection).
async fn write_502(conn: &mut TcpStream) -> std::io::Result<()> {
    conn.write_all(
        b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 15\r\n\
          connection: close\r\n\r\n<h1>502 BG</h1>",
    )
    .await
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one request (head + `content-length` body); None if the client went away.
async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_len = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let status = parsed
        .parse(&buf[..head_len])
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    if status.is_partial() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "partial head",
        ));
    }
    let method = parsed.method.unwrap_or("GET").to_owned();
    let path = parsed.path.unwrap_or("/").to_owned();
    let mut head = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    let mut length = 0usize;
    for h in parsed.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        }
        if h.name.eq_ignore_ascii_case("connection") || h.name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        head.extend_from_slice(h.name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(h.value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    let mut body = buf[head_len..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(Request { path, head, body }))
}

/// Sends the request on a fresh upstream connection and reads the whole answer (the
/// server closes after it because of `connection: close`).
async fn forward(upstream: SocketAddr, req: &Request) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&req.head).await?;
    up.write_all(&req.body).await?;
    up.flush().await?;
    let mut resp = Vec::with_capacity(8192);
    up.read_to_end(&mut resp).await?;
    Ok(resp)
}
