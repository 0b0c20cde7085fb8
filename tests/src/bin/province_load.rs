//! `province-load` (issue 15): 10,000 simulated desktops — each an initial full pull
//! and then a pull every 30 s, a tenth pushing a burst of queued commands — and the
//! clerks' intakes, against city server instances on this machine (loopback only).
//! Prints one markdown table (latency per endpoint, errors, throughput, server CPU and
//! memory, correctness checks) and writes it as JSON with `--out`.
//!
//! A benchmark, not a test: it exits non-zero only when the setup fails (2) or a
//! correctness check fails (1), never because of a time. `scripts/province-load.sh`
//! starts PostgreSQL, seeds it, starts two servers and runs this against both.
//!
//! `province-load --servers http://127.0.0.1:PORT1,http://127.0.0.1:PORT2 [--help]`

use std::process::ExitCode;

use minsheng_tests::province_load::{args, run};

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match args::parse(&argv) {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("province-load: {e}");
            return ExitCode::from(2);
        }
    };
    let out = args.out.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("province-load: runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match runtime.block_on(run(args)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("province-load: setup failed: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", report.markdown());
    if let Some(path) = out {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|json| std::fs::write(&path, json).map_err(|e| e.to_string()));
        match written {
            Ok(()) => eprintln!("province-load: results written to {}", path.display()),
            Err(e) => {
                eprintln!("province-load: writing {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    if report.correctness_passed {
        ExitCode::SUCCESS
    } else {
        eprintln!("province-load: a correctness check failed (see the table)");
        ExitCode::from(1)
    }
}
