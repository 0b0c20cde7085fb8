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
