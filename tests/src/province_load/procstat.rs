//! CPU time and memory of processes on this machine, from `/proc` (Linux only).
//!
//! CPU is `utime + stime` (fields 14 and 15 of `/proc/PID/stat`) in clock ticks, 100 a
//! second on Linux x86-64 and arm64 (`USER_HZ`); the difference over the run divided
//! by its wall time is the number of cores the process kept busy.

use std::path::Path;

/// Clock ticks per second of `/proc/*/stat` (`USER_HZ`).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// The numeric fields after the parenthesised command name of `/proc/PID/stat`
/// (index 0 is the state, field 3).
fn stat_fields(path: &Path) -> Option<Vec<i64>> {
    let stat = std::fs::read_to_string(path).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    Some(
        rest.split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap_or(0))
            .collect(),
    )
}

/// utime + stime of one process, in ticks (None: no such process).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let f = stat_fields(&Path::new("/proc").join(pid.to_string()).join("stat"))?;
    // Fields 14 and 15 are at indexes 10 and 11 here (field 4, ppid, is index 0).
    Some((f.get(10)? + f.get(11)?) as u64)
}

/// CPU of a process tree rooted at `root` whose children come and go (PostgreSQL's
/// backends): the root's own and reaped children's time (cutime, cstime) plus every
/// live direct child's. A backend that exits between two readings has its time moved
/// into the root's cutime once the root reaps it, so the sum only grows.
pub fn tree_cpu_ticks(root: u32) -> Option<u64> {
    let f = stat_fields(&Path::new("/proc").join(root.to_string()).join("stat"))?;
    let mut total = (f.get(10)? + f.get(11)? + f.get(12)? + f.get(13)?) as u64;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(c) = stat_fields(&entry.path().join("stat")) {
            if c.first().copied() == Some(i64::from(root)) && pid != root {
                total += (c.get(10).copied().unwrap_or(0) + c.get(11).copied().unwrap_or(0)) as u64;
            }
        }
    }
    Some(total)
}

/// A `VmHWM`/`VmRSS`-style line of `/proc/PID/status`, in KiB.
pub fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Whole-machine CPU from `/proc/stat`: (busy ticks, all ticks) summed over cores.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let all: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    Some((all - idle, all))
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn online_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        // Burn a little CPU so the counters are readable.
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        assert!(cpu_ticks(me).is_some());
        assert!(tree_cpu_ticks(me).is_some());
        assert!(status_kib(me, "VmHWM:").unwrap_or(0) > 0);
        let (busy, all) = machine_ticks().expect("/proc/stat");
        assert!(busy <= all && all > 0);
        assert!(cpu_ticks(u32::MAX).is_none());
    }
}
