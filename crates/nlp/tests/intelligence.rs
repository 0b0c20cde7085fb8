//! Behaviour of the library on a small hand-written data set and org tree.

use std::path::{Path, PathBuf};

use minsheng_nlp::dataset::read_records;
use minsheng_nlp::model_dir::read_manifest;
use minsheng_nlp::training::{merge_history, train_all, TrainOptions};
use minsheng_nlp::{load_org_units, Engine, Intelligence, ModelDir, TrainingRecord};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn options() -> TrainOptions {
    TrainOptions {
        cv_folds: 0,
        ..TrainOptions::default()
    }
}

fn trained() -> Engine {
    let records = read_records(&fixture("train.csv")).unwrap();
    train_all(&records, &options()).unwrap().0
}

fn encoded(engine: &Engine) -> Vec<u8> {
    bincode::serde::encode_to_vec(engine.set(), bincode::config::standard()).unwrap()
}

#[test]
fn training_is_deterministic() {
    assert_eq!(encoded(&trained()), encoded(&trained()));
}

#[test]
fn model_dir_round_trip_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let records = read_records(&fixture("train.csv")).unwrap();
    let (engine, manifest) = train_all(
        &records,
        &TrainOptions {
            cv_folds: 3,
            ..TrainOptions::default()
        },
    )
    .unwrap();
    let saved = ModelDir::save(dir.path(), &engine, manifest.clone()).unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.training_rows, 30);
    assert!(saved.tasks["category"].cv.is_some());

    let loaded = ModelDir::load(dir.path()).unwrap();
    // (Floats in JSON may differ in the last bit, so compare the rest.)
    assert_eq!(loaded.manifest.version, saved.version);
    assert_eq!(loaded.manifest.created_at, saved.created_at);
    assert_eq!(loaded.manifest.duplicates, saved.duplicates);
    for (task, info) in &saved.tasks {
        assert_eq!(loaded.manifest.tasks[task].labels, info.labels);
    }
    assert_eq!(encoded(&loaded.engine), encoded(&engine));
    for r in &records {
        for task in ["police_related", "category", "request_type", "unit_type"] {
            assert_eq!(
                loaded.engine.predict(task, &r.title, &r.detail).unwrap(),
                engine.predict(task, &r.title, &r.detail).unwrap()
            );
        }
    }

    let again = ModelDir::save(dir.path(), &engine, manifest).unwrap();
    assert_eq!(again.version, 2);
    assert_eq!(read_manifest(dir.path()).unwrap().version, 2);
    assert!(dir.path().join("model.v1.bin").exists());
    assert!(dir.path().join("manifest.v1.json").exists());
}

#[test]
fn corrupt_model_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let records = read_records(&fixture("train.csv")).unwrap();
    let (engine, manifest) = train_all(&records, &options()).unwrap();
    ModelDir::save(dir.path(), &engine, manifest).unwrap();
    std::fs::write(dir.path().join("model.bin"), b"not a model").unwrap();
    assert!(ModelDir::load(dir.path()).is_err());
    assert!(ModelDir::load(&dir.path().join("missing")).is_err());
}

#[test]
fn odd_inputs_give_a_clear_result() {
    let units = load_org_units(&fixture("org.json")).unwrap();
    let intelligence = Intelligence::from_models(trained(), units);
    let long = "噪音扰民".repeat(25_000); // 300 KB of UTF-8
    let inputs: [(&str, &str); 6] = [
        ("", ""),
        ("   ", "\n\t"),
        (&long, &long),
        ("鄰居深夜噪音擾民", "樓上住戶每天半夜裝修，報警也沒人處理。"),
        (
            "Help!!! 😀😀 交通 signal broken 🚦",
            "ＡＢＣ road ＃１２３ 🚗💨",
        ),
        ("\u{0}\u{feff}\u{200b}", "🙂"),
    ];
    for (title, detail) in inputs {
        let s = intelligence.suggest(title, detail, Some(detail));
        let (_, p) = s.police_related;
        assert!((0.0..=1.0).contains(&p), "{p}");
        for list in [&s.category, &s.request_type, &s.unit_kind] {
            assert!(!list.is_empty());
            let sum: f32 = list.iter().map(|x| x.score).sum();
            assert!((sum - 1.0).abs() < 1e-3, "{sum}");
            assert!(list.windows(2).all(|w| w[0].score >= w[1].score));
        }
        assert!(s.handling_units.len() <= 3);
    }
    // Traditional input is converted, so it reads like the simplified training text.
    let s = intelligence.suggest("鄰居深夜噪音擾民", "樓上住戶每天半夜裝修噪音擾民", None);
    assert_eq!(s.category[0].label, "噪音扰民");
}

/// A reason is a phrase of the message, never the name of an internal
/// feature such as a lexicon class ("标题:户政").
#[test]
fn reasons_are_phrases_of_the_message() {
    let intelligence = Intelligence::from_models(trained(), Vec::new());
    for (title, detail) in [
        (
            "小区广场舞噪音扰民",
            "每天晚上广场舞音响开得很大，吵得老人孩子无法休息。",
        ),
        (
            "咨询新生儿落户",
            "孩子刚出生，请问上户口需要带什么材料，去哪个派出所办理？",
        ),
        (
            "路口违停车辆太多",
            "学校门口每天早上违停车辆堵路，希望交警贴条处罚。",
        ),
    ] {
        let s = intelligence.suggest(title, detail, None);
        assert!(!s.category_reasons.is_empty(), "{s:?}");
        for reason in &s.category_reasons {
            assert!(
                title.contains(reason.as_str()) || detail.contains(reason.as_str()),
                "{reason} is not in the message: {:?}",
                s.category_reasons
            );
        }
    }
}

#[test]
fn handling_unit_follows_kind_and_jurisdiction() {
    let units = load_org_units(&fixture("org.json")).unwrap();
    let intelligence = Intelligence::from_models(trained(), units);

    let s = intelligence.suggest(
        "A3区小区广场舞噪音扰民",
        "每天晚上广场舞噪音扰民，影响休息。",
        None,
    );
    assert!(s.police_related.0);
    assert_eq!(s.unit_kind[0].label, "派出所");
    assert_eq!(s.district.as_deref(), Some("A3区"));
    let ids: Vec<&str> = s
        .handling_units
        .iter()
        .map(|u| u.unit_id.as_str())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids[..2].contains(&"JN-HY-DY") && ids[..2].contains(&"JN-HY-ZJ"),
        "{ids:?}"
    );
    assert_eq!(s.supervising_unit.as_deref(), Some("JN-HY"));
    let reasons = &s.handling_units[0].reasons;
    assert!(reasons.iter().any(|r| r == "A3区"), "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("扰民") || r.contains("噪音") || r.contains("广场舞")),
        "{reasons:?}"
    );

    // A street in the address narrows it to one station.
    let s = intelligence.suggest(
        "小区广场舞噪音扰民",
        "每天晚上广场舞噪音扰民。",
        Some("槐荫区道德街街道12号"),
    );
    assert_eq!(s.handling_units[0].unit_id, "JN-HY-DY");
    assert_eq!(s.street.as_deref(), Some("道德街街道"));
    assert!(s.handling_units[0].score > s.handling_units[1].score);

    // Traffic goes to the traffic brigade of the district, supervised by its line 支队.
    let s = intelligence.suggest(
        "A1区路口红绿灯时间太短",
        "A1区某路口信号灯时间太短，行人过不去。",
        None,
    );
    assert_eq!(s.handling_units[0].unit_id, "JN-JJ-LX");
    assert_eq!(s.supervising_unit.as_deref(), Some("JN-JJ"));
}

#[test]
fn corrections_from_history_are_learned() {
    let base = read_records(&fixture("train.csv")).unwrap();
    let title = "A2区小区物业乱收费";
    let detail = "我住在A市A2区，小区物业乱收费，已经持续很久了，希望有关部门尽快处理。";
    let before = train_all(&base, &options()).unwrap().0;
    assert_eq!(before.predict("category", title, detail).unwrap(), "非公安");
    // A clerk re-labels this kind of case several times.
    let history: Vec<TrainingRecord> = (0..6)
        .map(|i| TrainingRecord {
            title: format!("A{}区小区物业乱收费", i + 1),
            detail: format!(
                "我住在A市A{}区，小区物业乱收费，已经持续很久了，希望有关部门尽快处理。",
                i + 1
            ),
            police_related: Some(true),
            category: Some("治安管理".into()),
            request_type: Some("举报".into()),
            unit_type: Some("派出所".into()),
            district: None,
        })
        .collect();
    let merged = merge_history(base.clone(), history);
    assert_eq!(
        merged.len(),
        base.len() + 5,
        "the A1 row replaces nothing, rows with the same text are replaced"
    );
    let after = train_all(&merged, &options()).unwrap().0;
    assert_eq!(
        after.predict("category", title, detail).unwrap(),
        "治安管理"
    );
}

#[test]
fn a_model_from_a_newer_build_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let records = read_records(&fixture("train.csv")).unwrap();
    let (engine, manifest) = train_all(&records, &options()).unwrap();
    ModelDir::save(dir.path(), &engine, manifest).unwrap();
    let path = dir.path().join("manifest.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["format"] = serde_json::json!(minsheng_nlp::engine::MODEL_FORMAT + 1);
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    let err = ModelDir::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, minsheng_nlp::NlpError::ModelTooNew { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[test]
fn a_corrupt_or_truncated_model_file_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let records = read_records(&fixture("train.csv")).unwrap();
    let (engine, manifest) = train_all(&records, &options()).unwrap();
    ModelDir::save(dir.path(), &engine, manifest).unwrap();
    let model = dir.path().join("model.bin");
    let bytes = std::fs::read(&model).unwrap();

    // One flipped byte: the checksum in the manifest no longer matches.
    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    std::fs::write(&model, &flipped).unwrap();
    let err = ModelDir::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, minsheng_nlp::NlpError::ModelCorrupt { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("corrupt"), "{err}");

    // Truncated, and the manifest without a checksum: decoding fails cleanly.
    std::fs::write(&model, &bytes[..bytes.len() / 3]).unwrap();
    let manifest_path = dir.path().join("manifest.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("modelSha256");
    std::fs::write(&manifest_path, serde_json::to_vec(&json).unwrap()).unwrap();
    let err = ModelDir::load(dir.path()).unwrap_err();
    assert!(
        matches!(err, minsheng_nlp::NlpError::ModelCorrupt { .. }),
        "{err}"
    );

    // A manifest that is not JSON is an error too, naming the file.
    std::fs::write(&manifest_path, b"{ not json").unwrap();
    let err = ModelDir::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

/// Hostile or contentless text: no panic, and a low-confidence answer. A
/// text the vocabulary knows nothing of gets uniform scores (1/k for k
/// labels, 0.5 for police relevance, which is "not police").
#[test]
fn garbage_text_gets_a_low_confidence_answer() {
    let intelligence = Intelligence::from_models(trained(), Vec::new());
    let emoji = "😀🙂🚗💨🎉".repeat(40);
    let html = "<html><head><script>var a=1;</script></head><body><div class=\"x\"></div><br/></body></html>";
    let hundred_kb: String = "ж".repeat(50_000); // 100 KB of Cyrillic
    let mixed = "Привет مرحبا שלום こんにちは 안녕하세요 ∑∫√";
    for (name, title, detail) in [
        ("empty", "", ""),
        ("whitespace", " \t", "\n\n"),
        ("only emoji", emoji.as_str(), emoji.as_str()),
        ("html markup only", html, html),
        (
            "100 KB of another script",
            hundred_kb.as_str(),
            hundred_kb.as_str(),
        ),
        ("mixed scripts", mixed, mixed),
    ] {
        let c = intelligence.classify(title, detail);
        let (is_police, p) = c.police_related;
        assert!(!is_police, "{name}: {p}");
        assert!((p - 0.5).abs() < 0.05, "{name}: police probability {p}");
        for list in [&c.category, &c.request_type, &c.unit_kind] {
            let uniform = 1.0 / list.len() as f32;
            assert!(
                list[0].score < uniform * 1.5,
                "{name}: top score {} with {} labels",
                list[0].score,
                list.len()
            );
        }
        let s = intelligence.suggest(title, detail, Some(detail));
        assert!(s.handling_units.len() <= 3, "{name}");
    }
    // Police words inside markup are still read.
    let c = intelligence.classify(
        "<p>小区广场舞<b>噪音扰民</b></p>",
        "<div>每天晚上广场舞噪音扰民，影响休息。</div>",
    );
    assert!(c.police_related.0, "{:?}", c.police_related);
}
