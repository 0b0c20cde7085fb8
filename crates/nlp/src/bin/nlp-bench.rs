//! Benchmark: classification throughput on one thread and duplicate lookup
//! latency with 1,000,000 indexed cases.
//!
//! `cargo run --release -p minsheng-nlp --bin nlp-bench -- [--data DIR] [--cases N] [--model DIR]`

use std::path::PathBuf;
use std::time::Instant;

use minsheng_nlp::dataset::read_records;
use minsheng_nlp::evaluation::read_corpus;
use minsheng_nlp::training::{train_all, TrainOptions};
use minsheng_nlp::{DuplicateIndex, Intelligence, ModelDir};
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
    let cases: usize = arg("--cases").map_or(Ok(1_000_000), |s| s.parse())?;

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

    // Duplicate index with synthetic cases: corpus texts with perturbations.
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let rss_before = rss_mb();
    let started = Instant::now();
    let mut index = DuplicateIndex::default();
    for i in 0..cases {
        let text = perturb(&corpus[i % corpus.len()], &mut rng);
        let phone = format!("1{:010}", rng.random_range(0..2_000_000u64));
        index.insert(&format!("case-{i}"), Some(&phone), &text, i as i64);
    }
    let build_s = started.elapsed().as_secs_f64();
    let index_mb = rss_mb() - rss_before;
    let mut latencies = Vec::with_capacity(2000);
    let mut found = 0usize;
    for q in 0..2000 {
        let text = perturb(&corpus[(q * 7919) % corpus.len()], &mut rng);
        let phone = format!("1{:010}", rng.random_range(0..2_000_000u64));
        let started = Instant::now();
        let candidates = index.candidates(Some(&phone), &text, 10);
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        found += usize::from(!candidates.is_empty());
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];

    println!();
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| model load/train | {load_s:.2} s | |");
    println!(
        "| classification, 1 thread ({} msgs, all 4 tasks) | {:.0} msgs/s | ≥ 5,000 |",
        messages.len(),
        messages.len() as f64 / classify_s
    );
    println!(
        "| same, per CPU-second of the thread (unaffected by other load) | {:.0} msgs/s | ≥ 5,000 |",
        messages.len() as f64 / classify_cpu_s
    );
    println!("| full suggestion incl. explanations | {suggest_ms:.2} ms/msg | |");
    println!(
        "| police-related in corpus | {police} of {} | |",
        messages.len()
    );
    println!(
        "| duplicate index build ({cases} cases) | {build_s:.1} s ({:.0} inserts/s) | |",
        cases as f64 / build_s
    );
    println!("| duplicate index memory (RSS growth) | {index_mb:.0} MB | |");
    println!("| duplicate lookup p50 | {:.3} ms | |", pct(0.5));
    println!("| duplicate lookup p95 | {:.3} ms | < 20 ms |", pct(0.95));
    println!(
        "| duplicate lookup p99 / max | {:.3} / {:.3} ms | |",
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    println!(
        "| lookups with ≥ 1 candidate | {found} of {} | |",
        latencies.len()
    );
    Ok(())
}

/// A re-post: a few characters dropped or replaced and a phrase appended.
fn perturb(text: &str, rng: &mut ChaCha8Rng) -> String {
    const TAILS: [&str; 4] = ["", "请尽快处理！", "再次反映此问题。", "希望有关部门重视。"];
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
