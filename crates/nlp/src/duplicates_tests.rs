use super::*;

const TEXT: &str = "A市A3区中海国际社区三期与四期中间空地夜间施工噪音扰民，每天晚上十点到凌晨五点挖土机作业，严重影响居民休息。";

fn filler(index: &mut DuplicateIndex) {
    // Other matters, so that IDF tells common from rare bigrams.
    for (i, t) in [
        "A7县交通信号灯时间太短，行人过马路来不及，建议延长绿灯时间。",
        "咨询身份证补办需要什么材料，户口在外地能不能办理。",
        "小区楼下烧烤摊油烟扰民，每天晚上营业到凌晨。",
        "A2区某路口经常有车辆违停，影响通行，希望交警处理。",
        "反映公交线路太少，居民出行不便，建议增开线路。",
    ]
    .iter()
    .enumerate()
    {
        index.insert(&format!("f{i}"), None, t, 0);
    }
}

#[test]
fn finds_near_copy_and_same_phone() {
    let mut index = DuplicateIndex::default();
    filler(&mut index);
    index.insert("c1", Some("13800001111"), TEXT, 10);
    index.insert(
        "c3",
        Some("138-0000-1111"),
        "咨询身份证补办需要什么材料",
        30,
    );
    let near = format!("{TEXT}请尽快处理！");
    let found = index.candidates(None, &near, 5);
    assert_eq!(found[0].case_id, "c1");
    assert!(found[0].text_similarity > 0.8, "{found:?}");
    assert!(
        found.iter().skip(1).all(|c| c.text_similarity < 0.3),
        "{found:?}"
    );
    let by_phone = index.candidates(Some("+86 13800001111"), "完全不同的内容", 5);
    let ids: Vec<_> = by_phone.iter().map(|c| c.case_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(by_phone.iter().all(|c| c.same_phone));
}

#[test]
fn same_template_for_another_estate_scores_lower_than_a_repost() {
    let a = "A4区英祥春天小区一楼被搞成商业门面，噪音扰民严重。我们是英祥春天小区居民，架空层被侵占，望政府来管管。";
    let b = "A5区魅力之城小区一楼被搞成商业门面，噪音扰民严重。我们是魅力之城小区居民，架空层被侵占，望政府来管管。";
    let repost =
        "再次反映：A4区英祥春天小区一楼被搞成商业门面，噪音扰民严重。架空层被侵占，望政府来管管。";
    let mut index = DuplicateIndex::default();
    filler(&mut index);
    assert!(DuplicateIndex::places_differ(a, b));
    assert!(!DuplicateIndex::places_differ(a, repost));
    let template = index.text_similarity(a, b);
    let same = index.text_similarity(a, repost);
    assert!(same > 0.7, "{same}");
    assert!(template < same * 0.6, "{template} vs {same}");
}

#[test]
fn remove_and_reinsert() {
    let mut index = DuplicateIndex::default();
    index.insert("c1", None, TEXT, 10);
    assert!(index.remove("c1"));
    assert!(!index.remove("c1"));
    assert!(index.candidates(None, TEXT, 5).is_empty());
    index.insert("c1", None, TEXT, 11);
    index.insert("c1", None, TEXT, 12);
    assert_eq!(index.len(), 1);
    assert_eq!(index.candidates(None, TEXT, 5).len(), 1);
    assert_eq!(index.remove_older_than(100), 1);
    assert!(index.is_empty());
}

#[test]
fn compaction_keeps_live_cases_findable() {
    let mut index = DuplicateIndex::default();
    for i in 0..3000 {
        index.insert(
            &format!("x{i}"),
            None,
            &format!("第{i}号无关事项{}", i * 7919),
            0,
        );
    }
    index.insert("keep", Some("13900002222"), TEXT, 5);
    for i in 0..3000 {
        assert!(index.remove(&format!("x{i}")));
    }
    assert_eq!(index.len(), 1);
    let found = index.candidates(Some("13900002222"), TEXT, 5);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].case_id, "keep");
    assert!(found[0].same_phone);
    assert!(index.remove("keep"));
}

#[test]
fn odd_inputs_do_not_panic() {
    let mut index = DuplicateIndex::default();
    let html = "<div><p>楼上噪音</p><script>x</script></div>&nbsp;";
    for (i, t) in [
        "",
        "  ",
        "a",
        "😀😀",
        &"长".repeat(100_000),
        html,
        "Ωмир 混合 العربية",
    ]
    .iter()
    .enumerate()
    {
        index.insert(&i.to_string(), Some("***"), t, 0);
        let _ = index.candidates(Some(""), t, 3);
    }
    assert!(index.candidates(None, "", 3).is_empty());
}

/// Distinct CJK characters from `start`, so generated texts share no bigram.
fn distinct_text(start: u32, len: u32) -> String {
    (start..start + len)
        .filter_map(|c| char::from_u32(0x4E00 + c))
        .collect()
}

#[test]
fn a_case_indexed_when_the_index_was_small_does_not_crowd_the_rerank_set() {
    // Only the single best partial score is re-scored. The long first case
    // shares the query's bigrams but its cosine to the query is small; the
    // short last case is almost the query. Retrieval must rank them as the
    // exact cosine does, whenever they were inserted.
    let config = DuplicateConfig {
        rerank: 1,
        min_score: 0.0,
        ..DuplicateConfig::default()
    };
    let mut index = DuplicateIndex::new(config);
    index.insert(
        "early",
        None,
        &format!("路灯损坏{}", distinct_text(0, 300)),
        0,
    );
    for i in 0..200 {
        index.insert(&format!("f{i}"), None, &distinct_text(1000 + i * 20, 20), 1);
    }
    index.insert("late", None, "路灯损坏无人修", 2);
    let query = "路灯损坏";
    assert!(index.text_similarity(query, "路灯损坏无人修") > 0.5);
    let found = index.candidates(None, query, 5);
    assert_eq!(
        found.first().map(|c| c.case_id.as_str()),
        Some("late"),
        "{found:?}"
    );
}
