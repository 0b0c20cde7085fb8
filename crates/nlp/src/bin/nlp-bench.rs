//! Benchmark: classification throughput on one thread and duplicate lookup
//! latency with 1,000,000 indexed cases.
//!
//! `cargo run --release -p minsheng-nlp --bin nlp-bench -- [--data DIR] [--cases N] [--model DIR] [--background all]`

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use minsheng_nlp::dataset::read_records;
use minsheng_nlp::evaluation::{read_corpus, read_pairs};
use minsheng_nlp::folds::{jaccard, shingle_set, NEAR_DUPLICATE_JACCARD};
use minsheng_nlp::pair_evaluation::{cross_validate_pairs, LabeledPair, PairSettings};
use minsheng_nlp::training::{train_all, TrainOptions};
use minsheng_nlp::{DuplicateConfig, DuplicateIndex, Intelligence, ModelDir};

type Corpus = BTreeMap<(String, String), String>;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let data = PathBuf::from(arg("--data").unwrap_or_else(|| "../shared/data".into()));
    let cases: Vec<usize> = arg("--cases")
        .unwrap_or_else(|| "1000000".into())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;

    let corpus: Vec<String> = read_corpus(&data.join("corpus_messages.csv"))?
        .into_values()
        .collect();
    println!(
        "corpus: {} messages, mean {} chars",
        corpus.len(),
        corpus.iter().map(|t| t.chars().count()).sum::<usize>() / corpus.len()
    );

    // Classification.
    let started = Instant::now();
    let intelligence = match arg("--model") {
        Some(dir) => {
            let dir = ModelDir::load(&PathBuf::from(dir))?;
            Intelligence::from_models(dir.engine, Vec::new())
        }
        None => {
            let records = read_records(&data.join("police_labeled.csv"))?;
            let options = TrainOptions {
                cv_folds: 0,
                ..TrainOptions::default()
            };
            Intelligence::from_models(train_all(&records, &options)?.0, Vec::new())
        }
    };
    let load_s = started.elapsed().as_secs_f64();
    let messages: Vec<(&str, &str)> = corpus
        .iter()
        .map(|t| t.split_once('\n').unwrap_or((t.as_str(), "")))
        .collect();
    let mut police = 0usize;
    let started = Instant::now();
    let cpu_started = thread_cpu_s();
    for _ in 0..3 {
        for (title, detail) in &messages {
            police += usize::from(intelligence.classify(title, detail).police_related.0);
        }
    }
    police /= 3;
    let classify_s = started.elapsed().as_secs_f64() / 3.0;
    let classify_cpu_s = (thread_cpu_s() - cpu_started) / 3.0;
    let started = Instant::now();
    let n_suggest = 500.min(messages.len());
    for (title, detail) in &messages[..n_suggest] {
        std::hint::black_box(intelligence.suggest(title, detail, None));
    }
    let suggest_ms = started.elapsed().as_secs_f64() * 1000.0 / n_suggest as f64;

    // Duplicate index: N synthetic cases (corpus messages outside the
    // labelled pairs, re-posted with small edits and with their estate or
    // district swapped: the "same template, different place" decoys a city
    // produces) plus every message of the labelled pairs; then each positive
    // pair's first message is looked up and its partner must come back.
    //
    // Each background message is copied ~N/6,000 times, so a background
    // message that is itself the same matter as a pair message (an unlabelled
    // re-post, another victim of the same P2P platform) would fill the top 10
    // with true duplicates and count the partner as missed. Such messages are
    // left out of the background: near-copies of a pair message (character
    // 3-gram Jaccard ≥ NEAR_DUPLICATE_JACCARD, the folds' re-post rule) and
    // messages the calibrated index links to one (similarity ≥ link_threshold
    // in an index of the whole corpus). `--background all` keeps them.
    let pair_rows = read_pairs(&data.join("duplicate_pairs.csv"))?;
    let keyed = read_corpus(&data.join("corpus_messages.csv"))?;
    let config = match arg("--model") {
        Some(dir) => ModelDir::load(&PathBuf::from(dir))?.manifest.duplicates,
        None => calibrated_config(&pair_rows, &keyed),
    };
    let in_pairs: std::collections::BTreeSet<(String, String)> = pair_rows
        .iter()
        .flat_map(|p| {
            [
                (p.source.clone(), p.id_a.clone()),
                (p.source.clone(), p.id_b.clone()),
            ]
        })
        .collect();
    let same_matter = if arg("--background").as_deref() == Some("all") {
        std::collections::BTreeSet::new()
    } else {
        same_matter_as_pairs(&config, &in_pairs, &keyed)
    };
    let sources: Vec<&String> = keyed
        .iter()
        .filter(|(k, _)| !in_pairs.contains(*k) && !same_matter.contains(*k))
        .map(|(_, t)| t)
        .collect();
    let background_note = format!(
        "background from {} corpus messages ({} left out as the same matter as a pair message); \
         idf_power={} place_penalty={} link_threshold={:.3}",
        sources.len(),
        same_matter.len(),
        config.idf_power,
        config.place_penalty,
        config.link_threshold
    );
    let mut dup_rows = Vec::new();
    for n in cases {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let rss_before = rss_mb();
        let started = Instant::now();
        let mut index = DuplicateIndex::new(config.clone());
        for i in 0..n {
            let text = perturb(sources[i % sources.len()], &mut rng);
            let phone = format!("1{:010}", rng.random_range(0..2_000_000u64));
            index.insert(&format!("case-{i}"), Some(&phone), &text, i as i64);
        }
        for (source, id) in &in_pairs {
            if let Some(text) = keyed.get(&(source.clone(), id.clone())) {
                index.insert(&format!("{source}/{id}"), None, text, n as i64);
            }
        }
        let build_s = started.elapsed().as_secs_f64();
        let index_mb = rss_mb() - rss_before;
        let mut latencies = Vec::new();
        let (mut positives, mut found) = (0usize, 0usize);
        for p in pair_rows.iter().filter(|p| p.duplicate) {
            let Some(text) = keyed.get(&(p.source.clone(), p.id_a.clone())) else {
                continue;
            };
            let own = format!("{}/{}", p.source, p.id_a);
            let want = format!("{}/{}", p.source, p.id_b);
            let started = Instant::now();
            let candidates = index.candidates_excluding(None, text, 10, Some(&own));
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
            positives += 1;
            found += usize::from(candidates.iter().any(|c| c.case_id == want));
        }
        // Plus lookups of fresh synthetic re-posts with a phone (the intake path).
        for q in 0..1000 {
            let text = perturb(sources[(q * 7919) % sources.len()], &mut rng);
            let phone = format!("1{:010}", rng.random_range(0..2_000_000u64));
            let started = Instant::now();
            std::hint::black_box(index.candidates(Some(&phone), &text, 10));
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
        dup_rows.push(format!(
            "| {} | {build_s:.1} s | {index_mb:.0} MB | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} ({found}/{positives}) |",
            index.len(),
            pct(0.5),
            pct(0.95),
            pct(0.99),
            latencies[latencies.len() - 1],
            found as f64 / positives.max(1) as f64
        ));
        drop(index);
    }

    println!();
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| model load/train | {load_s:.2} s | |");
    println!(
        "| classification, 1 thread ({} msgs, all 4 tasks) | {:.0} msgs/s | ≥ 10,000 |",
        messages.len(),
        messages.len() as f64 / classify_s
    );
    println!(
        "| same, per CPU-second of the thread (unaffected by other load) | {:.0} msgs/s | ≥ 10,000 |",
        messages.len() as f64 / classify_cpu_s
    );
    println!("| full suggestion incl. explanations | {suggest_ms:.2} ms/msg | |");
    println!(
        "| police-related in corpus | {police} of {} | |",
        messages.len()
    );
    println!();
    println!("Duplicate index (lookups: the positive pairs' first messages + 1,000 synthetic re-posts with a phone; recall: partner among the top 10)");
    println!("{background_note}");
    println!();
    println!("| indexed cases N | build | memory (RSS growth) | lookup p50 ms | p95 ms | p99 ms | max ms | live-index recall of true duplicates |");
    println!("|---|---|---|---|---|---|---|---|");
    for row in dup_rows {
        println!("{row}");
    }
    Ok(())
}

/// The settings `minsheng-nlp train --pairs` calibrates (what a trained
/// model's index uses).
fn calibrated_config(pairs: &[LabeledPair], corpus: &Corpus) -> DuplicateConfig {
    let truth: Vec<bool> = pairs.iter().map(|p| p.duplicate).collect();
    let settings = PairSettings::grid(pairs, corpus);
    let (_, chosen) = cross_validate_pairs(&settings, &truth, &vec![1; truth.len()]);
    let (s, threshold) = chosen[0];
    DuplicateConfig {
        link_threshold: threshold,
        ..settings[s].config.clone()
    }
}

/// Corpus messages outside the pairs that are near-copies of a pair message
/// or that `config` links to one (exact search of a whole-corpus index).
fn same_matter_as_pairs(
    config: &DuplicateConfig,
    in_pairs: &BTreeSet<(String, String)>,
    corpus: &Corpus,
) -> BTreeSet<(String, String)> {
    let exact = DuplicateConfig {
        min_score: config.link_threshold,
        max_postings: usize::MAX,
        rerank: usize::MAX,
        ..config.clone()
    };
    let mut index = DuplicateIndex::new(exact);
    let keys: Vec<&(String, String)> = corpus.keys().collect();
    for (i, text) in corpus.values().enumerate() {
        index.insert(&i.to_string(), None, text, 0);
    }
    let pair_texts: Vec<&String> = in_pairs.iter().filter_map(|k| corpus.get(k)).collect();
    let pair_shingles: Vec<Vec<u64>> = pair_texts.iter().map(|t| shingle_set(t)).collect();
    let mut out: BTreeSet<(String, String)> = pair_texts
        .iter()
        .flat_map(|t| index.candidates(None, t, usize::MAX))
        .filter_map(|c| keys.get(c.case_id.parse::<usize>().ok()?).copied().cloned())
        .collect();
    out.extend(
        corpus
            .iter()
            .filter(|(_, text)| {
                let own = shingle_set(text);
                pair_shingles
                    .iter()
                    .any(|p| jaccard(&own, p) >= NEAR_DUPLICATE_JACCARD)
            })
            .map(|(k, _)| k.clone()),
    );
    out.retain(|k| !in_pairs.contains(k));
    out
}

/// A synthetic case from a corpus message: every other one keeps its place
/// (a re-post: a few characters dropped or replaced, a phrase appended), the
/// others have their districts and estate names swapped for other ones (the
/// same complaint from elsewhere).
fn perturb(text: &str, rng: &mut ChaCha8Rng) -> String {
    const TAILS: [&str; 4] = ["", "请尽快处理！", "再次反映此问题。", "希望有关部门重视。"];
    const ESTATES: [&str; 6] = [
        "金色家园",
        "阳光新城",
        "湘江世纪城",
        "枫林绿洲",
        "丽景花园",
        "万科城",
    ];
    let mut text = text.to_string();
    if rng.random_bool(0.5) {
        let d = rng.random_range(1..=9);
        for from in 1..=9 {
            text = text.replace(&format!("A{from}区"), &format!("A{d}区"));
        }
        let estate = ESTATES[rng.random_range(0..ESTATES.len())];
        for m in minsheng_nlp::location::place_mentions(minsheng_nlp::location::title_of(&text)) {
            if m.kind == minsheng_nlp::location::PlaceKind::Named {
                text = text.replace(m.stem(), estate);
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 32);
    for ch in text.chars() {
        match rng.random_range(0..100) {
            0 | 1 => {}
            2 => out.push('的'),
            _ => out.push(ch),
        }
    }
    out.push_str(TAILS[rng.random_range(0..TAILS.len())]);
    out
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time of the current thread (user + system), from /proc; 0 elsewhere.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}
