//! `minsheng-nlp`: train, evaluate and cross-validate the text models.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use minsheng_nlp::dataset::{read_labeled, read_records, stratified_folds};
use minsheng_nlp::evaluation::{
    best_threshold, cross_validate, cross_validate_pairs, duplicate_scores, read_corpus,
    read_pairs, retrieved_through_index,
};
use minsheng_nlp::metrics::{classification, pairs};
use minsheng_nlp::model_dir::{read_manifest, ModelDir};
use minsheng_nlp::org::{load_org_units, place_words};
use minsheng_nlp::training::{merge_history, train_all, TrainOptions};
use minsheng_nlp::{DuplicateConfig, Intelligence, NlpError, Result, TrainConfig};

#[derive(Parser)]
#[command(
    name = "minsheng-nlp",
    about = "民生警务平台 text intelligence: train, evaluate, cross-validate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train every task from a CSV with the columns of police_labeled.csv.
    Train {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Org tree JSON whose place and unit names join the segmenter's dictionary.
        #[arg(long)]
        org: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Folds for the metrics stored in the manifest (0 = none).
        #[arg(long, default_value_t = 5)]
        cv_folds: usize,
        /// Labelled duplicate pairs (with --corpus) to calibrate the link threshold.
        #[arg(long)]
        pairs: Option<PathBuf>,
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Retrain from the server's exported history plus the base data set.
    Retrain {
        #[arg(long)]
        history: PathBuf,
        #[arg(long)]
        base: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        org: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 5)]
        cv_folds: usize,
    },
    /// Score a model on labelled data (or duplicate pairs).
    Eval {
        #[arg(long)]
        model: PathBuf,
        /// police_related, category, request_type, unit_type or duplicates.
        #[arg(long)]
        task: String,
        #[arg(long)]
        data: PathBuf,
        /// corpus_messages.csv (duplicates only).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Label column when it differs from the task name.
        #[arg(long)]
        label_column: Option<String>,
    },
    /// k-fold cross-validation; writes the fold assignment for the Python baseline.
    Cv {
        #[arg(long)]
        data: PathBuf,
        /// A label column (police_related, category, …, or e.g. label with --label-column) or duplicates.
        #[arg(long)]
        task: String,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        folds_out: Option<PathBuf>,
        #[arg(long)]
        label_column: Option<String>,
        /// corpus_messages.csv (duplicates only).
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Print the suggestion for one message as JSON.
    Suggest {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        org: Option<PathBuf>,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        detail: String,
        #[arg(long)]
        address: Option<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Train {
            data,
            out,
            org,
            seed,
            cv_folds,
            pairs: pair_file,
            corpus,
        } => {
            let records = read_records(&data)?;
            let mut duplicates = DuplicateConfig::default();
            if let (Some(pair_file), Some(corpus)) = (pair_file, corpus) {
                let pair_rows = read_pairs(&pair_file)?;
                let truth: Vec<bool> = pair_rows.iter().map(|p| p.duplicate).collect();
                let scores = duplicate_scores(&duplicates, &pair_rows, &read_corpus(&corpus)?);
                duplicates.link_threshold = best_threshold(&scores, &truth);
                println!(
                    "duplicate link threshold calibrated on {} pairs: {:.3}",
                    pair_rows.len(),
                    duplicates.link_threshold
                );
            }
            train_and_save(
                records,
                &out,
                org.as_deref(),
                seed,
                cv_folds,
                vec![display(&data)],
                duplicates,
            )
        }
        Command::Retrain {
            history,
            base,
            out,
            org,
            seed,
            cv_folds,
        } => {
            let base_records = base
                .as_deref()
                .map(read_records)
                .transpose()?
                .unwrap_or_default();
            let records = merge_history(base_records, read_records(&history)?);
            let mut sources: Vec<String> = base.iter().map(|p| display(p)).collect();
            sources.push(display(&history));
            let duplicates = read_manifest(&out)
                .map(|m| m.duplicates)
                .unwrap_or_default();
            train_and_save(
                records,
                &out,
                org.as_deref(),
                seed,
                cv_folds,
                sources,
                duplicates,
            )
        }
        Command::Eval {
            model,
            task,
            data,
            corpus,
            label_column,
        } => {
            if task == "duplicates" {
                let corpus = corpus.ok_or_else(|| NlpError::MissingColumn {
                    path: data.clone(),
                    column: "--corpus".into(),
                })?;
                let threshold = read_manifest(&model)?.duplicates;
                let pair_rows = read_pairs(&data)?;
                let corpus = read_corpus(&corpus)?;
                let scores = duplicate_scores(&threshold, &pair_rows, &corpus);
                let truth: Vec<bool> = pair_rows.iter().map(|p| p.duplicate).collect();
                let predicted: Vec<bool> =
                    scores.iter().map(|s| *s >= threshold.min_score).collect();
                let via_index = pairs(
                    &truth,
                    &retrieved_through_index(&threshold, &pair_rows, &corpus),
                );
                println!(
                    "through the index (LSH retrieval included): precision={:.3} recall={:.3} f1={:.3}",
                    via_index.precision, via_index.recall, via_index.f1
                );
                println!("link_threshold={:.3}", threshold.link_threshold);
                let m = pairs(&truth, &predicted);
                println!(
                    "task=duplicates n={} precision={:.3} recall={:.3} f1={:.3}",
                    m.n, m.precision, m.recall, m.f1
                );
                return Ok(());
            }
            let dir = ModelDir::load(&model)?;
            let column = label_column.unwrap_or_else(|| task.clone());
            let rows = read_labeled(&data, &column)?;
            if !dir.engine.has_task(&task) {
                return Err(NlpError::MissingTask(task));
            }
            let truth: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let predicted = rows
                .iter()
                .map(|r| dir.engine.predict(&task, &r.title, &r.detail))
                .collect::<Result<Vec<_>>>()?;
            let m = classification(&truth, &predicted);
            println!(
                "model version={} created={}",
                dir.manifest.version, dir.manifest.created_at
            );
            println!(
                "task={task} n={} accuracy={:.3} macro_f1={:.3}",
                m.n, m.accuracy, m.macro_f1
            );
            Ok(())
        }
        Command::Cv {
            data,
            task,
            folds,
            seed,
            folds_out,
            label_column,
            corpus,
        } => {
            if task == "duplicates" {
                let corpus = corpus.ok_or_else(|| NlpError::MissingColumn {
                    path: data.clone(),
                    column: "--corpus".into(),
                })?;
                let pair_rows = read_pairs(&data)?;
                let truth: Vec<bool> = pair_rows.iter().map(|p| p.duplicate).collect();
                let labels: Vec<String> = truth.iter().map(|t| u8::from(*t).to_string()).collect();
                let assignment = stratified_folds(&labels, folds, seed);
                write_folds(folds_out.as_deref(), &assignment)?;
                let scores = duplicate_scores(
                    &DuplicateConfig::default(),
                    &pair_rows,
                    &read_corpus(&corpus)?,
                );
                println!(
                    "threshold chosen on all pairs: {:.3}",
                    best_threshold(&scores, &truth)
                );
                let predicted = cross_validate_pairs(&scores, &truth, &assignment);
                let m = pairs(&truth, &predicted);
                println!(
                    "task=duplicates n={} precision={:.3} recall={:.3} f1={:.3}",
                    m.n, m.precision, m.recall, m.f1
                );
                return Ok(());
            }
            let column = label_column.unwrap_or_else(|| task.clone());
            let rows = read_labeled(&data, &column)?;
            let truth: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            let assignment = stratified_folds(&truth, folds, seed);
            write_folds(folds_out.as_deref(), &assignment)?;
            let mut config = TrainConfig::default().with_seed(seed);
            // Undocumented knobs for model selection experiments.
            if let Ok(v) = std::env::var("NLP_MIN_DF") {
                config.vectorizer.min_df = v.parse().unwrap_or(1);
            }
            if let Ok(v) = std::env::var("NLP_HMM") {
                config.analyzer.hmm = v == "1";
            }
            if let Ok(v) = std::env::var("NLP_SEG") {
                config.analyzer.max_segmented_chars = v.parse().unwrap_or(400);
            }
            if let Ok(v) = std::env::var("NLP_C") {
                config.svm.c = v.parse().unwrap_or(1.0);
            }
            let predicted = cross_validate(&config, &rows, &assignment)?;
            let m = classification(&truth, &predicted);
            println!(
                "task={task} n={} accuracy={:.3} macro_f1={:.3}",
                m.n, m.accuracy, m.macro_f1
            );
            Ok(())
        }
        Command::Suggest {
            model,
            org,
            title,
            detail,
            address,
        } => {
            let units = org
                .as_deref()
                .map(load_org_units)
                .transpose()?
                .unwrap_or_default();
            let intelligence = Intelligence::load(&model, units)?;
            let suggestion = intelligence.suggest(&title, &detail, address.as_deref());
            println!(
                "{}",
                serde_json::to_string_pretty(&suggestion).unwrap_or_default()
            );
            Ok(())
        }
    }
}

fn train_and_save(
    records: Vec<minsheng_nlp::TrainingRecord>,
    out: &Path,
    org: Option<&Path>,
    seed: u64,
    cv_folds: usize,
    sources: Vec<String>,
    duplicates: DuplicateConfig,
) -> Result<()> {
    let mut options = TrainOptions {
        config: TrainConfig::default().with_seed(seed),
        cv_folds,
        sources,
        duplicates,
    };
    if let Some(org) = org {
        options
            .config
            .analyzer
            .domain_words
            .extend(place_words(&load_org_units(org)?));
    }
    let (engine, manifest) = train_all(&records, &options)?;
    let manifest = ModelDir::save(out, &engine, manifest)?;
    println!(
        "wrote {} version {} ({} rows)",
        out.display(),
        manifest.version,
        manifest.training_rows
    );
    for (task, info) in &manifest.tasks {
        let cv = info.cv.map_or_else(String::new, |m| {
            format!(" cv accuracy={:.3} macro_f1={:.3}", m.accuracy, m.macro_f1)
        });
        println!(
            "  {task}: {} labels, {} rows{cv}",
            info.labels.len(),
            info.training_rows
        );
    }
    Ok(())
}

fn write_folds(path: Option<&Path>, assignment: &[usize]) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let mut text = String::from("row,fold\n");
    for (row, fold) in assignment.iter().enumerate() {
        let _ = writeln!(text, "{row},{fold}");
    }
    std::fs::write(path, text).map_err(|e| NlpError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

fn display(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
