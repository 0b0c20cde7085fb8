//! The knowledge base: standard replies and their versions.

use crate::conformance::at;
use crate::knowledge::{KnowledgeQuery, StandardReply, StandardReplyEdit};
use crate::{Store, StoreError};

pub(crate) fn reply(id: &str, category: &str, title: &str, body: &str) -> StandardReply {
    StandardReply {
        id: id.into(),
        category: category.into(),
        title: title.into(),
        body: body.into(),
        version: 1,
        reviewed_at: None,
        updated_by: None,
        updated_at: at(2026, 2, 1, 8, 0),
        retired: false,
    }
}

pub fn a_standard_reply_edit_on_a_stale_version_is_refused(store: &dyn Store) {
    let first = reply("kb-1", "噪音扰民", "A 夜间施工", "已责令停工。");
    store.insert_standard_reply(&first).unwrap();
    assert_eq!(store.standard_reply("kb-1").unwrap().as_ref(), Some(&first));
    assert!(store.standard_reply_versions("kb-1").unwrap().is_empty());

    let edit = StandardReplyEdit {
        category: "噪音扰民".into(),
        title: "A 夜间施工噪音".into(),
        body: "已责令停工并告知投诉人。".into(),
        updated_by: Some("editor-1".into()),
        updated_at: at(2026, 2, 2, 8, 0),
    };
    let second = store.update_standard_reply("kb-1", 1, &edit).unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(second.title, edit.title);
    assert_eq!(second.body, edit.body);
    assert_eq!(second.updated_by, edit.updated_by);
    assert_eq!(second.updated_at, edit.updated_at);
    assert_eq!(
        store.standard_reply("kb-1").unwrap().as_ref(),
        Some(&second)
    );

    let stale = StandardReplyEdit {
        title: "基于旧版本的修改".into(),
        updated_at: at(2026, 2, 3, 8, 0),
        ..edit.clone()
    };
    let err = store.update_standard_reply("kb-1", 1, &stale).unwrap_err();
    assert!(
        matches!(err, StoreError::StaleVersion { current: 2 }),
        "refused with the current version: {err:?}"
    );
    assert_eq!(
        store.standard_reply("kb-1").unwrap().as_ref(),
        Some(&second),
        "a refused edit writes nothing"
    );

    let third_edit = StandardReplyEdit {
        category: "施工噪音".into(),
        body: "第三版。".into(),
        updated_by: Some("editor-2".into()),
        updated_at: at(2026, 2, 4, 8, 0),
        ..edit.clone()
    };
    let third = store.update_standard_reply("kb-1", 2, &third_edit).unwrap();
    assert_eq!(third.version, 3);
    assert_eq!(third.category, "施工噪音");

    let versions = store.standard_reply_versions("kb-1").unwrap();
    let listed: Vec<_> = versions
        .iter()
        .map(|v| {
            assert_eq!(v.id, "kb-1");
            (
                v.version,
                v.title.as_str(),
                v.body.as_str(),
                v.updated_by.as_deref(),
                v.updated_at,
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (1, "A 夜间施工", "已责令停工。", None, first.updated_at),
            (
                2,
                "A 夜间施工噪音",
                "已责令停工并告知投诉人。",
                Some("editor-1"),
                edit.updated_at
            ),
        ],
        "every replaced version, oldest first"
    );

    let err = store.update_standard_reply("kb-x", 1, &edit).unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err:?}");
}

pub fn standard_replies_are_listed_filtered_reviewed_and_retired(store: &dyn Store) {
    let rows = [
        reply("r1", "B 交通", "B 违停", "已通知交警。"),
        reply("r2", "A 噪音", "B 广场舞", "已协调音量。"),
        reply("r3", "A 噪音", "A 夜间施工", "已责令停工，100% 处理。"),
        reply("r4", "B 交通", "A 拥堵", "已增派警力。"),
    ];
    for r in &rows {
        store.insert_standard_reply(r).unwrap();
    }
    let err = store.insert_standard_reply(&rows[0]).unwrap_err();
    assert_eq!(err.code(), "ALREADY_EXISTS", "{err:?}");

    let ids = |q: &KnowledgeQuery| -> Vec<String> {
        store
            .list_standard_replies(q)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let all = KnowledgeQuery {
        limit: 50,
        ..KnowledgeQuery::default()
    };
    assert_eq!(
        ids(&all),
        ["r3", "r2", "r4", "r1"],
        "by category then title"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            category: Some("B 交通".into()),
            ..all.clone()
        }),
        ["r4", "r1"]
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("停".into()),
            ..all.clone()
        }),
        ["r3", "r1"],
        "a substring of title or body"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("%".into()),
            ..all.clone()
        }),
        ["r3"],
        "`%` is a character, not a wildcard"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            text: Some("_".into()),
            ..all.clone()
        }),
        Vec::<String>::new(),
        "`_` is a character, not a wildcard"
    );
    assert_eq!(
        ids(&KnowledgeQuery {
            limit: 2,
            ..all.clone()
        }),
        ["r3", "r2"]
    );

    let seen = at(2026, 3, 1, 9, 0);
    let reviewed = store
        .mark_standard_reply_reviewed("r2", seen)
        .unwrap()
        .unwrap();
    assert_eq!(reviewed.reviewed_at, Some(seen));
    assert_eq!(reviewed.version, 1, "reviewing keeps the text and version");
    assert_eq!(reviewed.title, rows[1].title);
    assert_eq!(
        store.mark_standard_reply_reviewed("nope", seen).unwrap(),
        None
    );

    let gone = at(2026, 3, 2, 9, 0);
    let retired = store
        .retire_standard_reply("r3", Some("admin-1"), gone)
        .unwrap()
        .unwrap();
    assert!(retired.retired);
    assert_eq!(retired.updated_by.as_deref(), Some("admin-1"));
    assert_eq!(retired.updated_at, gone);
    assert_eq!(
        store.retire_standard_reply("nope", None, gone).unwrap(),
        None
    );
    assert_eq!(ids(&all), ["r2", "r4", "r1"], "retired ones are not listed");
    assert_eq!(
        ids(&KnowledgeQuery {
            include_retired: true,
            ..all.clone()
        }),
        ["r3", "r2", "r4", "r1"],
        "unless asked for"
    );
    assert_eq!(store.standard_reply("r3").unwrap().as_ref(), Some(&retired));
}
