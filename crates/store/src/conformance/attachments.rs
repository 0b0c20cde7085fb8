//! Attachments (`AttachmentStore`): declarations keyed by the client's id and bounded
//! by the case limit given, chunks stored once per offset, completion once with its
//! timeline entry, refused uploads leaving nothing.

use crate::attachments::{AttachmentRecord, AttachmentStatus, Completed, Declared};
use crate::conformance::{actor, at, entry, new_case, City};
use crate::{CaseUpdate, Store};
use minsheng_domain::ids::CaseId;
use minsheng_domain::role::Role;

/// This area's checks, one `#[test]` each (see `conformance_tests!`).
#[macro_export]
macro_rules! attachments_conformance {
    ($open:expr) => {
        $crate::conformance_tests!(@each $open;
            an_upload_is_declared_once_within_the_case_limit,
            chunks_are_kept_once_and_completion_happens_once,
            a_refused_upload_leaves_nothing,
        );
    };
}

fn record(id: &str, case: CaseId, size: u64) -> AttachmentRecord {
    AttachmentRecord {
        id: id.to_owned(),
        case_id: case,
        name: "走访照片.jpg".into(),
        content_type: "image/jpeg".into(),
        size,
        sha256: "ab".repeat(32),
        uploader: "01900000-0000-7000-8000-0000000000b1"
            .parse()
            .expect("user id"),
        uploader_name: "民警 张伟".into(),
        created_at: at(2026, 3, 2, 2, 0),
        status: AttachmentStatus::Uploading,
        completed_at: None,
        has_thumbnail: false,
    }
}

fn a_case(store: &dyn Store) -> (City, minsheng_domain::org::OrgTree, CaseId) {
    let city = City::new();
    let org = city.install(store);
    let clerk = actor(Role::Clerk, &city.city);
    let (c, e) = new_case(&clerk, at(2026, 3, 2, 1, 0), "来信", "内容");
    store.insert_cases(&org, vec![(c.clone(), e)]).unwrap();
    (city, org, c.id)
}

const ID1: &str = "01900000-0000-7000-8000-0000000000a1";
const ID2: &str = "01900000-0000-7000-8000-0000000000a2";
const ID3: &str = "01900000-0000-7000-8000-0000000000a3";

pub fn an_upload_is_declared_once_within_the_case_limit(store: &dyn Store) {
    let (_, _, case) = a_case(store);
    let first = match store
        .declare_attachment(&record(ID1, case, 60), 100)
        .unwrap()
    {
        Declared::Created(a) => a,
        other => panic!("created: {other:?}"),
    };
    assert_eq!(first, record(ID1, case, 60));
    // The same id again: the stored row, whatever the second declaration says.
    let mut again = record(ID1, case, 60);
    again.name = "别的.jpg".into();
    assert_eq!(
        store.declare_attachment(&again, 100).unwrap(),
        Declared::Existing(first.clone())
    );
    // 60 + 41 passes 100; 60 + 40 does not.
    assert_eq!(
        store
            .declare_attachment(&record(ID2, case, 41), 100)
            .unwrap(),
        Declared::CaseFull { used: 60 }
    );
    assert!(store.attachment(ID2).unwrap().is_none(), "nothing stored");
    assert!(matches!(
        store
            .declare_attachment(&record(ID2, case, 40), 100)
            .unwrap(),
        Declared::Created(_)
    ));
    let listed: Vec<String> = store
        .case_attachments(case)
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(listed, vec![ID1.to_owned(), ID2.to_owned()]);
}

pub fn chunks_are_kept_once_and_completion_happens_once(store: &dyn Store) {
    let (city, org, case) = a_case(store);
    store
        .declare_attachment(&record(ID1, case, 10), 100)
        .unwrap();
    assert_eq!(store.put_attachment_chunk(ID1, 0, b"0123").unwrap(), 4);
    // A repeated chunk (even with other bytes) changes nothing.
    assert_eq!(store.put_attachment_chunk(ID1, 0, b"xxxx").unwrap(), 4);
    assert_eq!(store.put_attachment_chunk(ID1, 4, b"456789").unwrap(), 10);
    assert_eq!(store.attachment_received(ID1).unwrap(), 10);
    assert_eq!(store.attachment_content(ID1).unwrap(), b"0123456789");
    assert!(
        store.put_attachment_chunk(ID3, 0, b"1").is_err(),
        "an unknown upload"
    );

    let officer = actor(Role::Officer, &city.station_a);
    let t = at(2026, 3, 2, 3, 0);
    let mut runs = 0;
    let mut f = |cur: &minsheng_domain::case::Case,
                 last: &minsheng_domain::timeline::TimelineEntry| {
        runs += 1;
        let e = entry(
            Some(last),
            cur,
            &officer,
            t,
            "attach",
            Some(cur.state),
            cur.state,
        );
        Ok(CaseUpdate::Write(Box::new(cur.clone()), Box::new(e)))
    };
    let done = match store
        .complete_attachment(&org, ID1, Some(b"thumb"), t, &mut f)
        .unwrap()
    {
        Completed::Now(a) => a,
        other @ Completed::Before(_) => panic!("completed now: {other:?}"),
    };
    assert_eq!(
        (done.status, done.completed_at, done.has_thumbnail),
        (AttachmentStatus::Complete, Some(t), true)
    );
    assert!(matches!(
        store
            .complete_attachment(&org, ID1, None, t, &mut f)
            .unwrap(),
        Completed::Before(_)
    ));
    assert_eq!(runs, 1, "the timeline step runs once");
    assert_eq!(
        store.attachment_thumbnail(ID1).unwrap().as_deref(),
        Some(&b"thumb"[..])
    );
    let tl = store.timeline(case).unwrap();
    assert_eq!(tl.iter().filter(|e| e.kind == "attach").count(), 1);
    assert_eq!(store.case(case).unwrap().unwrap().version, 2);
    // A complete upload is not deleted as a refused one would be.
    assert!(!store.delete_uploading_attachment(ID1).unwrap());
    assert!(store.attachment(ID1).unwrap().is_some());
}

pub fn a_refused_upload_leaves_nothing(store: &dyn Store) {
    let (_, _, case) = a_case(store);
    store
        .declare_attachment(&record(ID1, case, 10), 100)
        .unwrap();
    store.put_attachment_chunk(ID1, 0, b"01234").unwrap();
    store.discard_attachment_chunks(ID1).unwrap();
    assert_eq!(
        store.attachment_received(ID1).unwrap(),
        0,
        "a corrupt transfer starts over"
    );
    store.put_attachment_chunk(ID1, 0, b"01234").unwrap();
    assert!(store.delete_uploading_attachment(ID1).unwrap());
    assert!(store.attachment(ID1).unwrap().is_none());
    assert_eq!(store.attachment_content(ID1).unwrap(), Vec::<u8>::new());
    assert!(store.case_attachments(case).unwrap().is_empty());
}
