//! The `minsheng-nlp` binary end to end on fixture files.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng-nlp"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or_default()
}

#[test]
fn train_eval_cv_retrain() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let data = fixture("train.csv");
    let (model_s, data_s) = (model.to_str().unwrap(), data.to_str().unwrap());
    run(&[
        "train",
        "--data",
        data_s,
        "--out",
        model_s,
        "--org",
        fixture("org.json").to_str().unwrap(),
        "--cv-folds",
        "0",
    ]);
    for task in ["police_related", "category", "request_type", "unit_type"] {
        let out = run(&["eval", "--model", model_s, "--task", task, "--data", data_s]);
        let line = last_line(&out);
        assert!(
            line.starts_with(&format!("task={task} n=30 accuracy=")),
            "{line}"
        );
        assert!(line.contains(" macro_f1="), "{line}");
    }

    let folds = dir.path().join("folds.csv");
    let out = run(&[
        "cv",
        "--data",
        data_s,
        "--task",
        "category",
        "--folds",
        "3",
        "--seed",
        "42",
        "--folds-out",
        folds.to_str().unwrap(),
    ]);
    assert!(last_line(&out).starts_with("task=category n=30 accuracy="));
    let fold_text = std::fs::read_to_string(&folds).unwrap();
    assert_eq!(fold_text.lines().count(), 31);
    assert!(fold_text.starts_with("row,fold\n"));

    // Other label column (as for gov_category7.csv).
    let out = run(&[
        "cv",
        "--data",
        data_s,
        "--task",
        "kind",
        "--label-column",
        "unit_type",
        "--folds",
        "3",
    ]);
    assert!(last_line(&out).starts_with("task=kind n=30 "));

    let history = dir.path().join("history.csv");
    std::fs::copy(&data, &history).unwrap();
    run(&[
        "retrain",
        "--history",
        history.to_str().unwrap(),
        "--base",
        data_s,
        "--out",
        model_s,
        "--cv-folds",
        "0",
    ]);
    let manifest = std::fs::read_to_string(model.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"version\": 2"), "{manifest}");
}

#[test]
fn duplicate_eval_prints_prf() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let corpus = dir.path().join("corpus.csv");
    let pairs = dir.path().join("pairs.csv");
    std::fs::write(
        &corpus,
        "source,id,user,time,title,detail\n\
         s,1,u,t,小区广场舞噪音扰民,每天晚上十点后广场舞音响很大严重影响休息请处理\n\
         s,2,u,t,再次反映小区广场舞噪音扰民,每天晚上十点后广场舞音响很大严重影响休息请尽快处理\n\
         s,3,u,t,咨询身份证补办,请问身份证丢失补办需要什么材料多长时间\n",
    )
    .unwrap();
    std::fs::write(
        &pairs,
        "source,id_a,id_b,duplicate\ns,1,2,1\ns,1,3,0\ns,2,3,0\n",
    )
    .unwrap();
    let (c, p) = (corpus.to_str().unwrap(), pairs.to_str().unwrap());
    run(&[
        "train",
        "--data",
        fixture("train.csv").to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--pairs",
        p,
        "--corpus",
        c,
    ]);
    let out = run(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--task",
        "duplicates",
        "--data",
        p,
        "--corpus",
        c,
    ]);
    assert_eq!(
        last_line(&out),
        "task=duplicates n=3 precision=1.000 recall=1.000 f1=1.000"
    );
}

// ---------------------------------------------------------------- values on held-out data

/// The labelled data set (`police_labeled.csv`, SPEC §5) beside the repository, read in
/// place and never copied in: `$MINSHENG_SHARED_DATA`, else `../shared/data` beside the
/// workspace, else the workplace's own `/work/shared/data` (a clone elsewhere, e.g. under
/// /tmp, finds it there; scripts/deny.sh finds its advisory snapshot the same way).
fn shared_data(name: &str) -> PathBuf {
    let dir = std::env::var_os("MINSHENG_SHARED_DATA").map_or_else(
        || {
            let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
            if beside.join(name).is_file() {
                beside
            } else {
                PathBuf::from("/work/shared/data")
            }
        },
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: the held-out evaluation needs the labelled data set \
         (set MINSHENG_SHARED_DATA to its folder)",
        path.display()
    );
    path
}

/// The labelled rows split by a rule of this test (every fourth row held out), written to
/// two files: the model never sees a held-out text. Held-out rows whose title also occurs
/// in the training part (a few messages were filed twice) are dropped from the held-out
/// file. Returns the held-out rows as column → value.
fn split(
    dir: &Path,
) -> (
    PathBuf,
    PathBuf,
    Vec<std::collections::BTreeMap<String, String>>,
) {
    let mut reader = csv::Reader::from_path(shared_data("police_labeled.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.len() > 700,
        "police_labeled.csv has {} rows",
        rows.len()
    );
    let title = headers.iter().position(|h| h == "title").unwrap();
    let (mut train, mut held): (Vec<_>, Vec<_>) = (Vec::new(), Vec::new());
    for (i, r) in rows.into_iter().enumerate() {
        if i % 4 == 3 {
            held.push(r);
        } else {
            train.push(r);
        }
    }
    let seen: std::collections::HashSet<String> =
        train.iter().map(|r| r[title].trim().to_owned()).collect();
    held.retain(|r| !seen.contains(r[title].trim()));
    let write = |name: &str, rows: &[csv::StringRecord]| {
        let path = dir.join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&headers).unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        path
    };
    let (train_path, held_path) = (write("train.csv", &train), write("held.csv", &held));
    let held_rows = held
        .iter()
        .map(|r| {
            headers
                .iter()
                .map(str::to_owned)
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (train_path, held_path, held_rows)
}

/// Accuracy and macro-F1 (over the labels in truth or prediction, as scikit-learn's
/// `f1_score(average="macro")`), counted here rather than by the crate's metrics.
fn oracle_metrics(pairs: &[(String, String)]) -> (f64, f64) {
    let n = pairs.len() as f64;
    let correct = pairs.iter().filter(|(t, p)| t == p).count() as f64;
    let labels: std::collections::BTreeSet<&String> =
        pairs.iter().flat_map(|(t, p)| [t, p]).collect();
    let mut f1 = 0.0;
    for l in &labels {
        let tp = pairs.iter().filter(|(t, p)| t == *l && p == *l).count() as f64;
        let fp = pairs.iter().filter(|(t, p)| t != *l && p == *l).count() as f64;
        let fn_ = pairs.iter().filter(|(t, p)| t == *l && p != *l).count() as f64;
        if tp > 0.0 {
            f1 += 2.0 * tp / (2.0 * tp + fp + fn_);
        }
    }
    (correct / n, f1 / labels.len() as f64)
}

/// The share of the most frequent label: what always answering it would score.
fn majority_share(truth: &[String]) -> f64 {
    let mut counts: std::collections::HashMap<&String, usize> = std::collections::HashMap::new();
    for t in truth {
        *counts.entry(t).or_default() += 1;
    }
    *counts.values().max().unwrap() as f64 / truth.len() as f64
}

/// Parses `task=T n=N accuracy=A macro_f1=F`.
fn printed(line: &str) -> (usize, f64, f64) {
    let field = |k: &str| {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {line}"))
    };
    (
        field("n").parse().unwrap(),
        field("accuracy").parse().unwrap(),
        field("macro_f1").parse().unwrap(),
    )
}

/// Trained by the CLI on three quarters of the labelled data, scored on the quarter it
/// never saw: each task clears a floor well above what answering the most frequent label
/// scores, and `eval` prints the accuracy and macro-F1 this test counts itself from the
/// model's predictions.
#[test]
fn held_out_messages_are_classified_well_and_eval_reports_it_truly() {
    let dir = tempfile::tempdir().unwrap();
    let (train, held, held_rows) = split(dir.path());
    let model = dir.path().join("model");
    run(&[
        "train",
        "--data",
        train.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--cv-folds",
        "0",
    ]);
    let loaded = minsheng_nlp::ModelDir::load(&model).unwrap();
    // Floors (accuracy, points above always answering the most frequent label, macro-F1).
    // This split scored 0.900 / 0.867 / 0.783 / 0.894 accuracy and 0.89 / 0.77 / 0.72 /
    // 0.81 macro-F1 with the title lexicon and the rare-label priors (issue 16); the
    // majority answers score 0.65 / 0.65 / 0.51 / 0.65. Before them category scored
    // 0.40 macro-F1 here: its rare classes went unpredicted.
    let floors = [
        ("police_related", 0.85, 0.15, 0.84),
        ("category", 0.82, 0.12, 0.65),
        ("request_type", 0.72, 0.18, 0.65),
        ("unit_type", 0.84, 0.14, 0.70),
    ];
    for (task, floor, above_majority, f1_floor) in floors {
        let labelled: Vec<&std::collections::BTreeMap<String, String>> = held_rows
            .iter()
            .filter(|r| !r[task].trim().is_empty())
            .collect();
        let pairs: Vec<(String, String)> = labelled
            .iter()
            .map(|r| {
                let p = loaded
                    .engine
                    .predict(task, &r["title"], &r["detail"])
                    .unwrap();
                (r[task].trim().to_owned(), p)
            })
            .collect();
        let (accuracy, macro_f1) = oracle_metrics(&pairs);
        let truth: Vec<String> = pairs.iter().map(|(t, _)| t.clone()).collect();
        let majority = majority_share(&truth);
        assert!(
            accuracy >= floor && accuracy >= majority + above_majority,
            "{task}: held-out accuracy {accuracy:.3} (floor {floor}, majority {majority:.3})"
        );
        assert!(
            macro_f1 >= f1_floor,
            "{task}: held-out macro-F1 {macro_f1:.3} (floor {f1_floor})"
        );
        let out = run(&[
            "eval",
            "--model",
            model.to_str().unwrap(),
            "--task",
            task,
            "--data",
            held.to_str().unwrap(),
        ]);
        let (n, acc, f1) = printed(last_line(&out));
        assert_eq!(n, labelled.len(), "{task}: eval counted other rows");
        assert!(
            (acc - accuracy).abs() < 0.0006 && (f1 - macro_f1).abs() < 0.0006,
            "{task}: eval printed accuracy={acc} macro_f1={f1}, the predictions give \
             {accuracy:.4} / {macro_f1:.4}"
        );
    }
}

/// Messages written for this test (in no data file), each plainly one thing: the model
/// trained on the labelled data names it.
#[test]
fn unambiguous_new_messages_get_their_labels() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let data = shared_data("police_labeled.csv");
    run(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        model.to_str().unwrap(),
        "--cv-folds",
        "0",
    ]);
    let corpus = std::fs::read_to_string(&data).unwrap();
    // (title, detail, police matter, category, unit kind, request type when plain).
    // Worded like the data's own police matters: its noise complaints are mahjong rooms
    // and bars, its fraud is illegal fund-raising (square-dance noise and phone scams
    // are too rare in it to be learned; see the report of issue 18).
    let cases = [
        (
            "住宅楼一楼被改成麻将馆通宵打牌扰民",
            "我们单元一楼住户把房子改成麻将馆，每天打牌到凌晨两三点，吵闹声不断，深夜扰民严重，请派出所取缔。",
            true,
            "噪音扰民",
            "派出所",
            None,
        ),
        (
            "理财公司非法集资后老板卷款跑路",
            "我在一家理财投资公司投了二十万，承诺高息返利，现在公司关门老板卷款跑路，几百名受害人血汗钱追不回，请求公安立案侦查。",
            true,
            "诈骗与经济犯罪",
            "经侦反诈",
            None,
        ),
        (
            "咨询身份证丢失后如何补办",
            "我的居民身份证不慎丢失，请问到哪个派出所户籍窗口补办，需要带户口本吗，多久能拿到新身份证？",
            true,
            "户政管理",
            "派出所",
            Some("咨询"),
        ),
        (
            "路口大货车闯红灯违章严重",
            "每天早上路口都有大货车闯红灯、违章超速行驶，交通非常危险，希望交警加强路口执法查处。",
            true,
            "交通管理",
            "交警大队",
            None,
        ),
        (
            "驾驶证到期换证需要什么材料",
            "我的机动车驾驶证明年到期，请问车管所换领驾驶证需要体检吗，带什么材料？",
            true,
            "车驾管",
            "车管所",
            Some("咨询"),
        ),
        (
            "办理护照和港澳通行证的流程",
            "想去香港旅游，请问出入境管理部门办理护照和港澳通行证需要多久？",
            true,
            "出入境",
            "出入境管理",
            Some("咨询"),
        ),
        // Rare classes (2–11 labelled rows each): predicted from their words
        // in the 政法 taxonomy and the labelling rules, per the data README
        // (黑恶 groups → 刑事案件/刑侦; police conduct → 民警作风与执法/督察).
        (
            "菜市场周边黑恶势力强收保护费",
            "一伙涉黑恶势力团伙长期霸占菜市场，强收摊位保护费，持刀威胁不交钱的商户，请求扫黑除恶严厉打击。",
            true,
            "刑事案件",
            "刑侦",
            None,
        ),
        (
            "值班民警态度恶劣推诿不予立案",
            "我被人打伤后去报案，值班民警态度恶劣，推诿不予立案，还让我自己去找对方协商，请督察部门调查民警不作为。",
            true,
            "民警作风与执法",
            "督察",
            Some("投诉"),
        ),
        (
            "小区楼下排水管堵塞污水横流",
            "小区排水管道堵塞半个月了，污水流到路面，臭气熏天，物业不处理，请住建部门和街道督促维修管道。",
            false,
            "非公安",
            "非公安",
            None,
        ),
        (
            "学校食堂饭菜价格上涨质量下降",
            "孩子学校食堂的饭菜又涨价了，分量越来越少，质量也差，请教育局调查学校食堂的承包和收费问题。",
            false,
            "非公安",
            "非公安",
            None,
        ),
    ];
    for (title, detail, police, category, kind, request) in cases {
        assert!(
            !corpus.contains(title) && !corpus.contains(detail),
            "{title} is in the data"
        );
        let out = run(&[
            "suggest",
            "--model",
            model.to_str().unwrap(),
            "--title",
            title,
            "--detail",
            detail,
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["policeRelated"][0], police, "{title}: {v}");
        assert_eq!(v["category"][0]["label"], category, "{title}: {v}");
        assert_eq!(v["unitKind"][0]["label"], kind, "{title}: {v}");
        if let Some(r) = request {
            assert_eq!(v["requestType"][0]["label"], r, "{title}: {v}");
        }
    }
}
