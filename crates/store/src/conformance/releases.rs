//! Desktop releases (`ReleaseStore`): a release and its bytes come back exactly as
//! stored (across several chunks), lists are per target and bundle with the newest
//! first, and withdrawing happens once.

use crate::conformance::at;
use crate::releases::ReleaseRecord;
use crate::{Store, StoreError};

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! releases_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            a_release_comes_back_with_its_bytes,
            releases_are_listed_per_target_newest_first_and_withdrawn_once,
        );
    };
}

fn record(id: &str, version: &str, bundle: &str, day: u32) -> ReleaseRecord {
    ReleaseRecord {
        id: id.to_owned(),
        version: version.to_owned(),
        target: "linux-x86_64".into(),
        bundle: bundle.to_owned(),
        notes: "修复离线同步的问题；新增打印功能".into(),
        file_name: format!("minsheng-desktop_{version}_amd64.{bundle}"),
        size: 10,
        sha256: "cd".repeat(32),
        signature: "c2lnbmF0dXJl".into(),
        published_at: at(2026, 3, day, 2, 0),
        published_by: "01900000-0000-7000-8000-0000000000b2"
            .parse()
            .expect("user id"),
        published_by_name: "系统管理员".into(),
        withdrawn_at: None,
    }
}

const R1: &str = "01900000-0000-7000-8000-0000000000c1";
const R2: &str = "01900000-0000-7000-8000-0000000000c2";
const R3: &str = "01900000-0000-7000-8000-0000000000c3";

pub fn a_release_comes_back_with_its_bytes(store: &dyn Store) {
    let content: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut rec = record(R1, "0.2.0", "deb", 2);
    rec.size = content.len() as u64;
    store.insert_release(&rec, &content, 64).unwrap();
    assert_eq!(store.release(R1).unwrap(), Some(rec));
    let mut back = Vec::new();
    let mut index = 0;
    while let Some(chunk) = store.release_chunk(R1, index).unwrap() {
        assert!(chunk.len() <= 64, "chunks of at most the size asked for");
        back.extend_from_slice(&chunk);
        index += 1;
    }
    assert_eq!(index, 16, "1000 bytes in chunks of 64");
    assert_eq!(back, content);
    assert_eq!(store.release(R2).unwrap(), None);
    assert_eq!(store.release_chunk(R2, 0).unwrap(), None);
}

pub fn releases_are_listed_per_target_newest_first_and_withdrawn_once(store: &dyn Store) {
    store
        .insert_release(&record(R1, "0.2.0", "deb", 2), b"0123456789", 4)
        .unwrap();
    store
        .insert_release(&record(R2, "0.3.0", "deb", 5), b"0123456789", 4)
        .unwrap();
    store
        .insert_release(&record(R3, "0.3.0", "appimage", 4), b"0123456789", 4)
        .unwrap();
    let debs: Vec<String> = store
        .releases_for("linux-x86_64", "deb")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(debs, [R2, R1]);
    assert!(store
        .releases_for("windows-x86_64", "deb")
        .unwrap()
        .is_empty());
    let all: Vec<String> = store
        .all_releases()
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(all, [R2, R3, R1]);

    let when = at(2026, 3, 6, 1, 0);
    assert!(store.withdraw_release(R2, when).unwrap());
    assert!(!store.withdraw_release(R2, at(2026, 3, 7, 1, 0)).unwrap());
    assert_eq!(store.release(R2).unwrap().unwrap().withdrawn_at, Some(when));
    assert!(matches!(
        store.withdraw_release("01900000-0000-7000-8000-0000000000cf", when),
        Err(StoreError::NotFound(_))
    ));
}
