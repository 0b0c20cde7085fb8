//! The fault proxy itself, against a scripted upstream: a fault is counted when it takes
//! effect (not when it is drawn), and `CutMidBody` cuts at an exact byte, every time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use minsheng_tests::proxy::{Fault, FaultProxy, Plan};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The upstream's whole answer: its head and a 40-byte body.
const HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 40\r\nconnection: close\r\n\r\n";
const BODY: &str = "0123456789abcdefghij0123456789ABCDEFGHIJ";
/// What `CutMidBody` must deliver: the head and the first 20 bytes of the body.
const CUT: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 40\r\nconnection: close\r\n\r\n0123456789abcdefghij";

/// An upstream that answers every request with `HEAD` + `BODY` and counts the requests.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(format!("{HEAD}{BODY}").as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, seen)
}

/// A loopback URL where nothing listens.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    format!("http://{}", listener.local_addr().expect("addr"))
}

/// One request through the proxy; everything the client receives until the connection
/// ends (a reset counts as the end).
async fn request(proxy: &FaultProxy) -> Vec<u8> {
    let addr = proxy.url().trim_start_matches("http://").to_owned();
    let mut conn = TcpStream::connect(addr)
        .await
        .expect("connect to the proxy");
    conn.write_all(b"POST /api/v1/sync/push HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
        .await
        .expect("send");
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
    got
}

#[tokio::test]
async fn cut_mid_body_delivers_exactly_the_head_and_half_the_body() {
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url, 7).await.expect("proxy");
    proxy.set(Plan::always(Fault::CutMidBody));
    for i in 0..25 {
        let got = request(&proxy).await;
        assert_eq!(String::from_utf8_lossy(&got), CUT, "request {i}");
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        25,
        "every request reached the server"
    );
    assert_eq!(proxy.struck(Fault::CutMidBody), 25);
    // Clean passes deliver everything.
    proxy.set(Plan::pass());
    let got = request(&proxy).await;
    assert_eq!(String::from_utf8_lossy(&got), format!("{HEAD}{BODY}"));
    assert_eq!(proxy.counts().get(&None).copied(), Some(1));
}

#[tokio::test]
async fn a_fault_is_counted_when_it_lands_not_when_it_is_drawn() {
    // The server is down: faults that act on the server's answer never land.
    let proxy = FaultProxy::start(&closed_port().await, 7)
        .await
        .expect("proxy");
    for f in [
        Fault::BadGatewayAfterCommit,
        Fault::DropResponse,
        Fault::Duplicate,
        Fault::Delay,
        Fault::CutMidBody,
    ] {
        proxy.set(Plan::always(f));
        let got = request(&proxy).await;
        assert!(got.is_empty(), "{f:?}: {}", String::from_utf8_lossy(&got));
        assert_eq!(proxy.struck(f), 0, "{f:?} never took effect");
    }
    // Those that need no server land all the same.
    proxy.set(Plan::always(Fault::Offline));
    assert!(request(&proxy).await.is_empty());
    assert_eq!(proxy.struck(Fault::Offline), 1);
    proxy.set(Plan::always(Fault::BadGateway));
    assert!(request(&proxy)
        .await
        .starts_with(b"HTTP/1.1 502 Bad Gateway\r\n"));
    assert_eq!(proxy.struck(Fault::BadGateway), 1);
    assert_eq!(proxy.counts().get(&None).copied(), None);

    // With the server up, each lands once; a duplicate reaches it twice.
    let (url, seen) = upstream().await;
    let proxy = FaultProxy::start(&url, 7).await.expect("proxy");
    for (f, requests) in [
        (Fault::BadGatewayAfterCommit, 1),
        (Fault::DropResponse, 1),
        (Fault::Duplicate, 2),
        (Fault::Delay, 1),
        (Fault::CutMidBody, 1),
    ] {
        let before = seen.load(Ordering::SeqCst);
        proxy.set(Plan::always(f).max_delay(std::time::Duration::from_millis(5)));
        request(&proxy).await;
        assert_eq!(proxy.struck(f), 1, "{f:?}");
        assert_eq!(seen.load(Ordering::SeqCst) - before, requests, "{f:?}");
    }
}
