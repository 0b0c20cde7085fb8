//! The results: one serialisable report, printed as a markdown table (and written as
//! JSON by the binary).

use std::fmt::Write as _;

use serde::Serialize;

use super::intake::IntakeCheck;
use super::metrics::EndpointSummary;
use super::usage::{CpuUse, Usage};

/// The target for every endpoint.
pub const TARGET_P95_MS: f64 = 100.0;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    pub servers: Vec<String>,
    pub desktops: usize,
    pub station_desktops: usize,
    pub supervisor_desktops: usize,
    pub city_desktops: usize,
    pub accounts_used: usize,
    pub pushing_desktops: usize,
    /// Desktops that started with a full pull (the others from a pre-load cursor).
    pub snapshot_desktops: usize,
    pub duration_seconds: f64,
    pub ramp_seconds: f64,
    pub pull_interval_seconds: f64,
    pub intake_rate_per_second: f64,
    pub max_requests: u64,
    pub requests_issued: usize,
    pub cap_reached: bool,
    pub seed: u64,
    pub checker_snapshot_cases: usize,
    pub load_average_before: String,
    pub load_average_after: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRow {
    pub url: String,
    pub pid: Option<u32>,
    pub requests: usize,
    pub errors: usize,
    pub p95_ms: f64,
    pub cpu: Option<CpuUse>,
    pub peak_rss_mib: Option<f64>,
    pub rss_at_end_mib: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushCheck {
    pub bursts_answered: u64,
    pub commands_sent: u64,
    pub commands_in_answered_bursts: u64,
    pub acked_exactly_once: u64,
    pub missing: u64,
    pub acked_twice_or_more: u64,
    pub unexpected_ids: u64,
    pub ack_seq_below_last_sent: u64,
    pub applied: u64,
    pub rejected: u64,
    pub conflict: u64,
}

impl PushCheck {
    pub fn passed(&self) -> bool {
        self.missing == 0
            && self.acked_twice_or_more == 0
            && self.unexpected_ids == 0
            && self.ack_seq_below_last_sent == 0
            && self.acked_exactly_once == self.commands_in_answered_bursts
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorRow {
    pub endpoint: String,
    pub status_and_code: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub run: RunInfo,
    pub endpoints: Vec<EndpointSummary>,
    pub instances: Vec<InstanceRow>,
    pub usage: Usage,
    pub errors: Vec<ErrorRow>,
    pub snapshots_completed: u64,
    pub desktops_without_session: u64,
    /// When the last desktop's snapshot completed, seconds after the start.
    pub last_snapshot_seconds: f64,
    pub pushes: PushCheck,
    pub intakes: Option<IntakeCheck>,
    /// Endpoints whose p95 is at or over the target, or that had errors.
    pub target_missed_by: Vec<String>,
    pub correctness_passed: bool,
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.digits$}"))
}

fn cpu_cells(c: Option<&CpuUse>) -> String {
    c.map_or_else(
        || "n/a | n/a | n/a".to_owned(),
        |c| {
            format!(
                "{:.1} | {:.2} | {:.2}",
                c.cpu_seconds, c.cores_avg, c.cores_peak_5s
            )
        },
    )
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let run = &self.run;
        let _ = writeln!(out,
            "\n## province-load: {} desktops ({} station, {} supervisor, {} city; {} accounts) on {} instances, {:.0} s\n",
            run.desktops, run.station_desktops, run.supervisor_desktops, run.city_desktops, run.accounts_used,
            run.servers.len(), run.duration_seconds
        );
        let _ = writeln!(out,
            "Starts spread over {:.0} s; {} desktops start with a full pull (snapshot), the others from a cursor held before the load; \
             then a pull every {:.0} s; {} desktops push one burst; \
             {:.2} intakes/s (each dispatched). Requests: {} (cap {}{}). Machine: {} cores, load average {} before, {} after.\n",
            run.ramp_seconds, run.snapshot_desktops, run.pull_interval_seconds, run.pushing_desktops, run.intake_rate_per_second,
            run.requests_issued, run.max_requests, if run.cap_reached { ", reached" } else { "" },
            self.usage.cores, run.load_average_before, run.load_average_after
        );
        for n in &run.notes {
            let _ = writeln!(out, "- {n}");
        }
        if !run.notes.is_empty() {
            let _ = writeln!(out);
        }
        let _ = writeln!(out,
            "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s | MiB received | p95 < {TARGET_P95_MS:.0} ms, no errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for e in &self.endpoints {
            let met = if e.requests == 0 {
                "–"
            } else if e.p95_ms < TARGET_P95_MS && e.errors == 0 {
                "yes"
            } else {
                "**no**"
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {met} |",
                e.endpoint,
                e.requests,
                e.errors,
                e.p50_ms,
                e.p95_ms,
                e.p99_ms,
                e.max_ms,
                e.per_second,
                e.mib_received
            );
        }
        let usage = &self.usage;
        let _ = writeln!(out,
            "\n| process | requests | errors | p95 ms | CPU s | cores (avg) | cores (peak 5 s) | peak RSS MiB (VmHWM) | RSS at end MiB |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for i in &self.instances {
            let _ = writeln!(
                out,
                "| server {} (pid {}) | {} | {} | {:.1} | {} | {} | {} |",
                i.url,
                i.pid.map_or_else(|| "?".to_owned(), |p| p.to_string()),
                i.requests,
                i.errors,
                i.p95_ms,
                cpu_cells(i.cpu.as_ref()),
                opt(i.peak_rss_mib, 1),
                opt(i.rss_at_end_mib, 1)
            );
        }
        let _ = writeln!(
            out,
            "| PostgreSQL (postmaster + backends) | | | | {} | | |",
            cpu_cells(usage.postgres.as_ref())
        );
        let _ = writeln!(
            out,
            "| this generator | | | | {} | | |",
            cpu_cells(usage.generator.as_ref())
        );
        let _ = writeln!(
            out,
            "| whole machine, busy | | | | {} | | |",
            cpu_cells(usage.machine_busy.as_ref())
        );
        let _ = writeln!(
            out,
            "| other processes (machine − the above) | | | | | {} | | | |",
            opt(usage.other_processes_cores_avg, 2)
        );
        if !self.errors.is_empty() {
            let _ = writeln!(
                out,
                "\n| failed requests: endpoint | status and code | count |\n|---|---|---:|"
            );
            for e in &self.errors {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    e.endpoint, e.status_and_code, e.count
                );
            }
        }
        let pushes = &self.pushes;
        let _ = writeln!(
            out,
            "\nCorrectness ({}):\n\n| check | result |\n|---|---|",
            if self.correctness_passed {
                "passed"
            } else {
                "**FAILED**"
            }
        );
        let _ = writeln!(out,
            "| push: every command acknowledged exactly once in its answer | {} of {} commands in {} answered bursts ({} sent); missing {}, twice {}, unknown ids {}, ackSeq short {} |",
            pushes.acked_exactly_once, pushes.commands_in_answered_bursts, pushes.bursts_answered, pushes.commands_sent,
            pushes.missing, pushes.acked_twice_or_more, pushes.unexpected_ids, pushes.ack_seq_below_last_sent
        );
        let _ = writeln!(out,
            "| push outcomes (the server re-validates each command) | applied {}, rejected {}, conflict {} |",
            pushes.applied, pushes.rejected, pushes.conflict
        );
        match &self.intakes {
            Some(c) => {
                let _ = writeln!(out,
                    "| intakes seen once by `{}` pulling from its pre-load cursor via {} | {} of {} (missing {}, more than once {}); {} changed cases in {} pages |",
                    c.checker, c.instance, c.seen_once, c.intakes_created, c.missing,
                    c.seen_more_than_once, c.changes_seen, c.pages
                );
            }
            None => {
                let _ = writeln!(out, "| intakes seen by a checker | not run |");
            }
        }
        let _ = writeln!(out,
            "| desktops: snapshots completed / started with one; never signed in | {} / {}; {} (the last snapshot completed at {:.1} s) |",
            self.snapshots_completed, run.snapshot_desktops, self.desktops_without_session, self.last_snapshot_seconds
        );
        let verdict = if self.target_missed_by.is_empty() {
            "met by every endpoint".to_owned()
        } else {
            format!("missed by: {}", self.target_missed_by.join("; "))
        };
        let _ = writeln!(
            out,
            "\nTarget p95 < {TARGET_P95_MS:.0} ms and zero errors: {verdict}."
        );
        out
    }
}
