//! The generator's flags (`province-load --help`), parsed by hand like the other
//! benchmark binaries, and the loopback-only rule for every address it is given.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const HELP: &str = "\
province-load: 10,000 simulated desktops (and clerks' intakes) against city servers on
this machine; prints a markdown table and writes it as JSON. Loopback addresses only.

  --servers URL[,URL…]      server instances, e.g. http://127.0.0.1:41001,http://127.0.0.1:41002 (required)
  --server-pids PID[,PID…]  their process ids, for CPU and memory (same order; optional)
  --pg-pid PID              the PostgreSQL postmaster, for its CPU (optional)
  --desktops N              simulated desktops (10000)
  --city-desktops N         of them city-level (clerk, follow-up, leader: the whole city) (20)
  --supervisor-desktops N   of them district supervisors (300); the rest are station desktops
  --duration SECS           load window, at most 720 (access tokens live 15 min) (180)
  --ramp SECS               desktops start spread evenly over this window (60)
  --pull-interval SECS      each desktop pulls this often after its snapshot (30)
  --snapshot-share F        share of desktops that start with a full pull (1.0); the
                            others start from the cursor a city desktop reached just
                            before the load, as desktops that synced earlier do
  --push-share F            share of desktops that push one burst at a random time (0.1)
  --burst-min N --burst-max N  commands per burst (5, 50)
  --intake-rate R           clerk intakes per second, each then dispatched (2.0)
  --max-requests N          hard cap on requests; the run stops early at it (1000000)
  --login-concurrency N     accounts logging in at once (8): every login comes from
                            127.0.0.1, and the server refuses a new account's login
                            (429) while 100 checks from one address are failed or
                            in progress
  --password P              the accounts' password (Demo@2026)
  --seed N                  plan's random seed (15)
  --out FILE                also write the results as JSON here
  --note TEXT               free text carried into the JSON (e.g. seeding time)
  --validate-only           check the flags and exit
";

#[derive(Debug, Clone)]
pub struct LoadArgs {
    pub servers: Vec<String>,
    pub server_pids: Vec<u32>,
    pub pg_pid: Option<u32>,
    pub desktops: usize,
    pub city_desktops: usize,
    pub supervisor_desktops: usize,
    pub duration: Duration,
    pub ramp: Duration,
    pub pull_interval: Duration,
    pub snapshot_share: f64,
    pub push_share: f64,
    pub burst_min: usize,
    pub burst_max: usize,
    pub intake_rate: f64,
    pub max_requests: u64,
    pub login_concurrency: usize,
    pub password: String,
    pub seed: u64,
    pub out: Option<std::path::PathBuf>,
    pub notes: Vec<String>,
}

impl Default for LoadArgs {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            server_pids: Vec::new(),
            pg_pid: None,
            desktops: 10_000,
            city_desktops: 20,
            supervisor_desktops: 300,
            duration: Duration::from_mins(3),
            ramp: Duration::from_mins(1),
            pull_interval: Duration::from_secs(30),
            snapshot_share: 1.0,
            push_share: 0.1,
            burst_min: 5,
            burst_max: 50,
            intake_rate: 2.0,
            max_requests: 1_000_000,
            login_concurrency: 8,
            password: minsheng_server::seed::DEMO_PASSWORD.to_owned(),
            seed: 15,
            out: None,
            notes: Vec::new(),
        }
    }
}

/// The longest load window: the shared access tokens (15 min) must outlive it.
const MAX_DURATION_SECS: u64 = 720;

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse().map_err(|_| format!("{flag}: not a number: {v}"))
}

fn seconds(flag: &str, v: &str) -> Result<Duration, String> {
    let s: f64 = number(flag, v)?;
    if !(s.is_finite() && s > 0.0) {
        return Err(format!("{flag}: must be positive"));
    }
    Ok(Duration::from_secs_f64(s))
}

/// Parses `args` (without the program name). `Ok(None)`: help was asked for.
pub fn parse(args: &[String]) -> Result<Option<LoadArgs>, String> {
    let mut a = LoadArgs::default();
    let mut validate_only = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{HELP}");
            return Ok(None);
        }
        if flag == "--validate-only" {
            validate_only = true;
            continue;
        }
        let v = it
            .next()
            .ok_or_else(|| format!("{flag}: missing value"))?
            .as_str();
        match flag.as_str() {
            "--servers" => a.servers = v.split(',').map(str::to_owned).collect(),
            "--server-pids" => {
                a.server_pids = v
                    .split(',')
                    .map(|p| number(flag, p))
                    .collect::<Result<_, _>>()?;
            }
            "--pg-pid" => a.pg_pid = Some(number(flag, v)?),
            "--desktops" => a.desktops = number(flag, v)?,
            "--city-desktops" => a.city_desktops = number(flag, v)?,
            "--supervisor-desktops" => a.supervisor_desktops = number(flag, v)?,
            "--duration" => a.duration = seconds(flag, v)?,
            "--ramp" => a.ramp = seconds(flag, v)?,
            "--pull-interval" => a.pull_interval = seconds(flag, v)?,
            "--snapshot-share" => a.snapshot_share = number(flag, v)?,
            "--push-share" => a.push_share = number(flag, v)?,
            "--burst-min" => a.burst_min = number(flag, v)?,
            "--burst-max" => a.burst_max = number(flag, v)?,
            "--intake-rate" => a.intake_rate = number(flag, v)?,
            "--max-requests" => a.max_requests = number(flag, v)?,
            "--login-concurrency" => a.login_concurrency = number(flag, v)?,
            "--password" => v.clone_into(&mut a.password),
            "--seed" => a.seed = number(flag, v)?,
            "--out" => a.out = Some(v.into()),
            "--note" => a.notes.push(v.to_owned()),
            other => return Err(format!("unknown flag {other} (see --help)")),
        }
    }
    validate(&a)?;
    Ok((!validate_only).then_some(a))
}

fn validate(a: &LoadArgs) -> Result<(), String> {
    if a.servers.is_empty() {
        return Err("--servers is required".into());
    }
    for s in &a.servers {
        require_loopback(s)?;
    }
    if !a.server_pids.is_empty() && a.server_pids.len() != a.servers.len() {
        return Err("--server-pids: one per server, in the same order".into());
    }
    if a.duration.as_secs() > MAX_DURATION_SECS {
        return Err(format!(
            "--duration: at most {MAX_DURATION_SECS} s (the shared access tokens expire after 15 min)"
        ));
    }
    if a.city_desktops + a.supervisor_desktops > a.desktops {
        return Err("--city-desktops + --supervisor-desktops exceed --desktops".into());
    }
    if !(0.0..=1.0).contains(&a.push_share) || !(0.0..=1.0).contains(&a.snapshot_share) {
        return Err("--push-share, --snapshot-share: between 0 and 1".into());
    }
    if a.burst_min == 0 || a.burst_min > a.burst_max || a.burst_max > 500 {
        return Err("--burst-min/--burst-max: 1 ≤ min ≤ max ≤ 500 (a push's limit)".into());
    }
    if !(a.intake_rate.is_finite() && a.intake_rate >= 0.0 && a.intake_rate <= 1000.0) {
        return Err("--intake-rate: 0 to 1000 per second".into());
    }
    if a.login_concurrency == 0 {
        return Err("--login-concurrency: at least 1".into());
    }
    if a.max_requests == 0 {
        return Err("--max-requests: at least 1".into());
    }
    Ok(())
}

/// Accepts `http://` URLs whose host is a loopback address (127.0.0.0/8, ::1) or
/// `localhost`, with an explicit port; refuses anything else.
pub fn require_loopback(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!("{url}: only http:// on loopback"));
    }
    let host = parsed.host_str().unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    };
    if !loopback || parsed.port().is_none() {
        return Err(format!(
            "{url}: refused: the load generator only targets loopback addresses with a port"
        ));
    }
    Ok(())
}

/// A connected peer must be on loopback too (`localhost` could resolve elsewhere).
pub fn is_loopback_peer(addr: SocketAddr) -> bool {
    match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        for ok in [
            "http://127.0.0.1:8686",
            "http://127.0.0.2:1",
            "http://[::1]:8686",
            "http://localhost:9",
        ] {
            assert!(require_loopback(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:8686",
            "http://example.com:80",
            "https://127.0.0.1:8686",
            "http://127.0.0.1",
            "http://0.0.0.0:8686",
            "not a url",
        ] {
            assert!(require_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_parse_and_limits_hold() {
        let args: Vec<String> = [
            "--servers",
            "http://127.0.0.1:1,http://127.0.0.1:2",
            "--desktops",
            "100",
            "--supervisor-desktops",
            "10",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let a = parse(&args).expect("parse").expect("args");
        assert_eq!(a.servers.len(), 2);
        assert_eq!(a.desktops, 100);
        // More city and supervisor desktops than desktops.
        let too_many: Vec<String> = ["--servers", "http://127.0.0.1:1", "--desktops", "100"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(parse(&too_many).is_err());
        let too_long: Vec<String> = ["--servers", "http://127.0.0.1:1", "--duration", "3600"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(parse(&too_long).is_err());
    }
}
