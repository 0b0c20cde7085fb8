//! `minsheng-nlp`: train, evaluate and cross-validate the text models.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use minsheng_nlp::dataset::{read_labeled, read_records};
use minsheng_nlp::evaluation::{
    cross_validate, cross_validate_pairs, duplicate_scores, pair_groups, read_corpus, read_pairs,
    retrieved_through_index, template_pairs, PairSettings,
};
use minsheng_nlp::folds::{
    grouped_stratified_folds, near_duplicate_groups, NEAR_DUPLICATE_JACCARD,
};
use minsheng_nlp::metrics::{classification, pairs, per_class};
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
                let settings = PairSettings::grid(&pair_rows, &read_corpus(&corpus)?);
                let all = vec![1; truth.len()]; // one fold 0 is never the test fold
                let (_, chosen) = cross_validate_pairs(&settings, &truth, &all);
                if let Some(&(s, threshold)) = chosen.first() {
                    duplicates = settings[s].config.clone();
                    duplicates.link_threshold = threshold;
                }
                println!(
                    "duplicate settings calibrated on {} pairs: idf_power={} place_penalty={} link_threshold={:.3}",
                    pair_rows.len(),
                    duplicates.idf_power,
                    duplicates.place_penalty,
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
                let config = read_manifest(&model)?.duplicates;
                let pair_rows = read_pairs(&data)?;
                let corpus = read_corpus(&corpus)?;
                let scores = duplicate_scores(&config, &pair_rows, &corpus);
                let truth: Vec<bool> = pair_rows.iter().map(|p| p.duplicate).collect();
                let predicted: Vec<bool> =
                    scores.iter().map(|s| *s >= config.link_threshold).collect();
                print_index_recall(&config, &pair_rows, &corpus, &truth);
                print_template_breakdown(&template_pairs(&pair_rows, &corpus), &truth, &predicted);
                println!("link_threshold={:.3}", config.link_threshold);
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
                let corpus = read_corpus(&corpus)?;
                let truth: Vec<bool> = pair_rows.iter().map(|p| p.duplicate).collect();
                let labels: Vec<String> = truth.iter().map(|t| u8::from(*t).to_string()).collect();
                let groups = pair_groups(&pair_rows, &corpus);
                let assignment = grouped_stratified_folds(&labels, &groups, folds, seed);
                let template = template_pairs(&pair_rows, &corpus);
                let flags: Vec<String> =
                    template.iter().map(|t| u8::from(*t).to_string()).collect();
                write_folds(
                    folds_out.as_deref(),
                    &assignment,
                    Some(("template", &flags)),
                )?;
                let settings = PairSettings::grid(&pair_rows, &corpus);
                let (predicted, chosen) = cross_validate_pairs(&settings, &truth, &assignment);
                for (fold, (s, threshold)) in chosen.iter().enumerate() {
                    let c = &settings[*s].config;
                    println!(
                        "fold {fold}: idf_power={} place_penalty={} threshold={threshold:.3} (chosen on the other folds)",
                        c.idf_power, c.place_penalty
                    );
                }
                if let Some(&(s, threshold)) = chosen.first() {
                    let config = DuplicateConfig {
                        link_threshold: threshold,
                        ..settings[s].config.clone()
                    };
                    print_index_recall(&config, &pair_rows, &corpus, &truth);
                }
                print_template_breakdown(&template, &truth, &predicted);
                println!(
                    "matter groups: {} for {} pairs",
                    groups
                        .iter()
                        .collect::<std::collections::BTreeSet<_>>()
                        .len(),
                    groups.len()
                );
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
            let texts: Vec<String> = rows
                .iter()
                .map(|r| format!("{}\n{}", r.title, r.detail))
                .collect();
            let groups = near_duplicate_groups(&texts, NEAR_DUPLICATE_JACCARD).labels();
            let assignment = grouped_stratified_folds(&truth, &groups, folds, seed);
            write_folds(folds_out.as_deref(), &assignment, None)?;
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
            if let Ok(v) = std::env::var("NLP_LEXICON_WEIGHT") {
                config.vectorizer.block_weights[3] = v.parse().unwrap_or(1.0);
            }
            if let Ok(v) = std::env::var("NLP_C") {
                config.svm.c = v.parse().unwrap_or(1.0);
            }
            let predicted = cross_validate(&config, &rows, &assignment)?;
            println!(
                "re-post groups: {} for {} messages (a group never spans folds)",
                groups
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                groups.len()
            );
            for c in per_class(&truth, &predicted) {
                println!(
                    "  class {:<12} n={:<4} recall={:.3} precision={:.3}",
                    c.label, c.support, c.recall, c.precision
                );
            }
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

/// `row,fold[,extra]` for the Python baseline (which reads the same folds).
fn write_folds(
    path: Option<&Path>,
    assignment: &[usize],
    extra: Option<(&str, &[String])>,
) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let mut text = String::from("row,fold");
    if let Some((name, _)) = extra {
        let _ = write!(text, ",{name}");
    }
    text.push('\n');
    for (row, fold) in assignment.iter().enumerate() {
        let _ = write!(text, "{row},{fold}");
        if let Some((_, values)) = extra {
            let _ = write!(text, ",{}", values[row]);
        }
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| NlpError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Recall of the positive pairs through an index of the whole corpus: b is
/// among the 10 best candidates for a, and linked (≥ the link threshold).
fn print_index_recall(
    config: &DuplicateConfig,
    pair_rows: &[minsheng_nlp::evaluation::LabeledPair],
    corpus: &std::collections::BTreeMap<(String, String), String>,
    truth: &[bool],
) {
    let shown = retrieved_through_index(config, pair_rows, corpus, 10);
    let linked_config = DuplicateConfig {
        min_score: config.link_threshold,
        ..config.clone()
    };
    let linked = retrieved_through_index(&linked_config, pair_rows, corpus, 10);
    let positives = truth.iter().filter(|t| **t).count().max(1) as f64;
    let recall = |found: &[bool]| {
        found.iter().zip(truth).filter(|(f, t)| **f && **t).count() as f64 / positives
    };
    println!(
        "through the live index ({} corpus cases): recall of true duplicates in the top 10 = {:.3}, linked (≥ {:.3}) = {:.3}",
        corpus.len(),
        recall(&shown),
        config.link_threshold,
        recall(&linked)
    );
}

/// Precision/recall on the pairs whose texts differ mainly by a place name.
fn print_template_breakdown(template: &[bool], truth: &[bool], predicted: &[bool]) {
    let pick = |v: &[bool]| -> Vec<bool> {
        v.iter()
            .zip(template)
            .filter(|(_, t)| **t)
            .map(|(x, _)| *x)
            .collect()
    };
    let (t, p) = (pick(truth), pick(predicted));
    let m = pairs(&t, &p);
    let negatives_rejected = t.iter().zip(&p).filter(|(t, p)| !**t && !**p).count();
    println!(
        "same template, different place: {} pairs ({} duplicates): precision={:.3} recall={:.3}; {} of {} non-duplicates rejected",
        t.len(),
        t.iter().filter(|x| **x).count(),
        m.precision,
        m.recall,
        negatives_rejected,
        t.iter().filter(|x| !**x).count()
    );
}

fn display(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
