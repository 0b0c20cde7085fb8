//! A suggestion model trained in-process from the NLP crate's 30-row fixture (texts
//! with districts written A1区 …, which the demo org knows as aliases).

use std::path::{Path, PathBuf};

use minsheng_nlp::dataset::read_records;
use minsheng_nlp::training::{train_all, TrainOptions};
use minsheng_nlp::ModelDir;

use crate::support::{bj, TestServer};

pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../nlp/tests/fixtures/train.csv")
}

pub fn train_model(dir: &Path) {
    let records = read_records(&fixture()).expect("fixture");
    let options = TrainOptions {
        cv_folds: 0,
        ..TrainOptions::default()
    };
    let (engine, manifest) = train_all(&records, &options).expect("train");
    ModelDir::save(dir, &engine, manifest).expect("save model");
}

/// A test server with a freshly trained model installed (the model dir must outlive it).
pub async fn server_with_model() -> (TestServer, tempfile::TempDir) {
    let ts = TestServer::start_at(bj("2026-11-23 09:00")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    train_model(dir.path());
    minsheng_server::intelligence::load_model(&ts.state, dir.path()).expect("load model");
    assert_eq!(ts.state.intel.model_version(), Some(1));
    (ts, dir)
}
