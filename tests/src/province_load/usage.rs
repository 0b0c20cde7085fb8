//! CPU and memory of the processes in the run, read once a second while the load runs:
//! each server instance, PostgreSQL (postmaster and backends), this generator, and the
//! whole machine (what is left over is other work on the shared cores).

use std::time::{Duration, Instant};

use serde::Serialize;

use super::procstat::{cpu_ticks, machine_ticks, status_kib, tree_cpu_ticks, TICKS_PER_SECOND};

/// One reading of every counter.
#[derive(Debug, Clone)]
struct Reading {
    at: Instant,
    servers: Vec<Option<u64>>,
    postgres: Option<u64>,
    generator: Option<u64>,
    machine: Option<(u64, u64)>,
}

/// The readings of a run.
pub struct UsageSampler {
    server_pids: Vec<u32>,
    pg_pid: Option<u32>,
    readings: Vec<Reading>,
}

/// CPU of one process (or tree) over the load window.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuUse {
    pub cpu_seconds: f64,
    /// CPU seconds per wall second over the whole window.
    pub cores_avg: f64,
    /// The same over the busiest 5-second stretch.
    pub cores_peak_5s: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub window_seconds: f64,
    pub servers: Vec<Option<CpuUse>>,
    pub server_peak_rss_mib: Vec<Option<f64>>,
    pub server_rss_at_end_mib: Vec<Option<f64>>,
    pub postgres: Option<CpuUse>,
    pub generator: Option<CpuUse>,
    /// Every core of the machine, busy (not idle or iowait).
    pub machine_busy: Option<CpuUse>,
    /// machine − servers − PostgreSQL − generator: other work on the shared cores.
    pub other_processes_cores_avg: Option<f64>,
    pub cores: usize,
}

const PEAK_WINDOW: Duration = Duration::from_secs(5);

impl UsageSampler {
    pub fn new(server_pids: Vec<u32>, pg_pid: Option<u32>) -> Self {
        Self {
            server_pids,
            pg_pid,
            readings: Vec::new(),
        }
    }

    pub fn read(&mut self) {
        self.readings.push(Reading {
            at: Instant::now(),
            servers: self.server_pids.iter().map(|p| cpu_ticks(*p)).collect(),
            postgres: self.pg_pid.and_then(tree_cpu_ticks),
            generator: cpu_ticks(std::process::id()),
            machine: machine_ticks(),
        });
    }

    /// CPU of the counter `get` picks, from the first to the last reading.
    fn cpu(&self, get: impl Fn(&Reading) -> Option<u64>) -> Option<CpuUse> {
        let (first, last) = (self.readings.first()?, self.readings.last()?);
        let wall = last.at.duration_since(first.at).as_secs_f64();
        if wall <= 0.0 {
            return None;
        }
        let ticks = get(last)?.checked_sub(get(first)?)?;
        let cpu_seconds = ticks as f64 / TICKS_PER_SECOND;
        let mut peak = 0.0f64;
        for (i, a) in self.readings.iter().enumerate() {
            let Some(b) = self.readings[i..]
                .iter()
                .find(|b| b.at.duration_since(a.at) >= PEAK_WINDOW)
            else {
                break;
            };
            if let (Some(x), Some(y)) = (get(a), get(b)) {
                let secs = b.at.duration_since(a.at).as_secs_f64();
                let t = y.saturating_sub(x) as f64 / TICKS_PER_SECOND;
                peak = peak.max(t / secs);
            }
        }
        Some(CpuUse {
            cpu_seconds,
            cores_avg: cpu_seconds / wall,
            cores_peak_5s: peak,
        })
    }

    pub fn usage(&self) -> Usage {
        let servers: Vec<Option<CpuUse>> = (0..self.server_pids.len())
            .map(|i| self.cpu(|r| r.servers[i]))
            .collect();
        let postgres = self.cpu(|r| r.postgres);
        let generator = self.cpu(|r| r.generator);
        // /proc/stat counts every core in USER_HZ ticks too.
        let machine_busy = self.cpu(|r| r.machine.map(|m| m.0));
        let window_seconds = match (self.readings.first(), self.readings.last()) {
            (Some(a), Some(b)) => b.at.duration_since(a.at).as_secs_f64(),
            _ => 0.0,
        };
        let ours: f64 = servers
            .iter()
            .flatten()
            .chain(&postgres)
            .chain(&generator)
            .map(|c| c.cores_avg)
            .sum();
        let mib = |key: &str| -> Vec<Option<f64>> {
            self.server_pids
                .iter()
                .map(|p| status_kib(*p, key).map(|k| k as f64 / 1024.0))
                .collect()
        };
        Usage {
            window_seconds,
            server_peak_rss_mib: mib("VmHWM:"),
            server_rss_at_end_mib: mib("VmRSS:"),
            other_processes_cores_avg: machine_busy.as_ref().map(|m| (m.cores_avg - ours).max(0.0)),
            servers,
            postgres,
            generator,
            machine_busy,
            cores: super::procstat::online_cores(),
        }
    }
}
