//! `minsheng-server`: the city server CLI. The commands and flags are a fixed contract.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use minsheng_server::logging::LogFormat;
use minsheng_server::metrics::MetricsToken;
use minsheng_server::state::{Clock, Settings, SharedState};
use minsheng_server::{intelligence, open_state_on, seed, Database};

#[derive(Parser)]
#[command(name = "minsheng-server", version, about = "民生警务平台 市局服务器")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines on stderr as readable text or as JSON objects, one per line (else env
    /// MINSHENG_LOG_FORMAT; default text). RUST_LOG sets the filter.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
    /// The service's configuration file (else env MINSHENG_CONFIG), e.g.
    /// /etc/minsheng/server.toml: listen address, database, model, logs, SMS provider;
    /// secrets only as files (`*_file` keys or MINSHENG_*_FILE variables). Flags and
    /// environment variables win over it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// The database a command works on: an SQLite file (the default, one instance) or
/// PostgreSQL (several instances on one database).
#[derive(clap::Args)]
struct DbArgs {
    /// SQLite database file (created and migrated if missing).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// PostgreSQL instead of a file: postgres://user@host:port/dbname (else env
    /// MINSHENG_DATABASE_URL, the place for a URL with a password).
    #[arg(long, value_name = "URL", conflicts_with = "db")]
    database: Option<String>,
    /// PostgreSQL schema that holds the tables (created if missing; default: the
    /// connection's search_path).
    #[arg(long, value_name = "NAME", requires = "database")]
    pg_schema: Option<String>,
}

impl DbArgs {
    fn database(self) -> Result<Database, minsheng_server::ApiError> {
        Database::from_args(self.db, self.database, self.pg_schema)
    }

    fn open(self, settings: Settings) -> Result<SharedState, minsheng_server::ApiError> {
        open_state_on(&self.database()?, settings, Clock::System)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API (creates and migrates the database file if missing).
    ///
    /// Operations: GET /metrics (Prometheus text format) answers callers on this machine,
    /// others only with `Authorization: Bearer <token>` where env MINSHENG_METRICS_TOKEN
    /// holds the token; GET /api/v1/health/ready answers 503 while not ready.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on (else env MINSHENG_LISTEN; default 127.0.0.1:8686).
        #[arg(long)]
        listen: Option<String>,
        /// Model directory written by `minsheng-nlp train`/`retrain` (else env
        /// MINSHENG_MODEL). Without one the server runs without suggestions.
        #[arg(long)]
        model: Option<PathBuf>,
        /// SMS gateway send URL (else env MINSHENG_SMS_URL; none = SMS wait in the
        /// outbox). Token and webhook secret only from env: MINSHENG_SMS_TOKEN,
        /// MINSHENG_SMS_WEBHOOK_SECRET.
        #[arg(long)]
        sms_url: Option<String>,
        /// SMS gateway account (else env MINSHENG_SMS_ACCOUNT).
        #[arg(long)]
        sms_account: Option<String>,
    },
    /// Seed the demo organisation, users (password Demo@2026) and cases.
    SeedDemo {
        #[command(flatten)]
        db: DbArgs,
        /// Org tree file (defaults to the bundled data/demo/org.json).
        #[arg(long)]
        org: Option<PathBuf>,
        /// Citizen-message corpus CSV (defaults to ../shared/data/corpus_messages.csv when present).
        #[arg(long)]
        corpus: Option<PathBuf>,
        #[arg(long, default_value_t = 2400)]
        cases: usize,
    },
    /// Import a channel feed (CSV, or JSON if the file ends in .json) as new cases.
    Import {
        file: PathBuf,
        #[arg(long)]
        channel: String,
        #[command(flatten)]
        db: DbArgs,
        /// Model directory (else env MINSHENG_MODEL): rows get suggestions and the
        /// ones judged not police-related are listed.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Write dispatched cases (labels as finally chosen, corrections included) and
    /// transferred-out cases (非公安) as training data in the columns of
    /// police_labeled.csv, for `minsheng-nlp retrain --history FILE.csv`.
    ExportTraining {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a consistent copy of the SQLite database to FILE while the server keeps
    /// running (`VACUUM INTO`; FILE must not exist). On PostgreSQL use pg_dump.
    Backup {
        #[arg(long)]
        db: PathBuf,
        file: PathBuf,
    },
    /// Replace the database by a backup (stop the server first). The restored file gets
    /// a new sync epoch, so every desktop re-downloads its data and re-sends the
    /// commands the backup lacks; sessions end (users sign in again). The replaced file
    /// is kept as <db>.pre-restore-<time>.
    Restore {
        #[arg(long)]
        db: PathBuf,
        file: PathBuf,
    },
    /// After a PostgreSQL database was restored from a dump (pg_restore, or a replica
    /// promoted that lags the old primary): give it a new sync epoch and end the
    /// sessions, as `restore` does for SQLite, so desktops re-download and re-send.
    /// Run it with the servers stopped.
    NewSyncEpoch {
        /// postgres://… (else env MINSHENG_DATABASE_URL)
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[arg(long, value_name = "NAME")]
        pg_schema: Option<String>,
    },
    /// Copy a SQLite city (it may keep running) into an empty PostgreSQL database and
    /// verify counts and hash chains.
    MigrateToPostgres {
        /// The SQLite file to copy from.
        #[arg(long, value_name = "PATH")]
        db: PathBuf,
        /// postgres://… (else env MINSHENG_DATABASE_URL)
        #[arg(long, value_name = "URL")]
        database: Option<String>,
        #[arg(long, value_name = "NAME")]
        pg_schema: Option<String>,
    },
    /// Load a city's org tree into a new database (units only, in the format of
    /// data/demo/org.json); then create the first admin with `create-user`.
    LoadOrg {
        #[command(flatten)]
        db: DbArgs,
        /// The org tree file (JSON: `units` with code, name, level, parent, kind, …).
        #[arg(long)]
        org: PathBuf,
    },
    /// Create a user (the password is read from MINSHENG_PASSWORD or prompted on stdin).
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// clerk | officer | unitHead | supervisor | leader | followUp | inspector | admin
        #[arg(long)]
        role: String,
        /// Unit code, e.g. JN-LX-QCL.
        #[arg(long)]
        unit: String,
        #[arg(long)]
        phone: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // First, while the process has one thread: the file fills in unset variables.
    let config = match minsheng_server::service_config::apply(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = LogFormat::chosen(cli.log_format).and_then(minsheng_server::logging::init) {
        eprintln!("错误 / error: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(file) = config {
        tracing::info!(config = %file.display(), "configuration file read");
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM (how systemd and container runtimes stop a service): in-flight
/// requests finish, then the server exits.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("stopping: finishing requests in progress");
}

/// `--model`, else MINSHENG_MODEL when set and not empty.
fn model_dir(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        std::env::var_os("MINSHENG_MODEL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// `--database` (else MINSHENG_DATABASE_URL) for the commands that only PostgreSQL has.
fn postgres_only(
    database: Option<String>,
    pg_schema: Option<String>,
) -> Result<(String, Option<String>), minsheng_server::ApiError> {
    match Database::from_args(None, database, pg_schema)? {
        Database::Postgres { url, schema } => Ok((url, schema)),
        Database::Sqlite(_) => unreachable!("from_args without --db is PostgreSQL"),
    }
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            model,
            sms_url,
            sms_account,
        } => {
            let database = db.database()?;
            let listen = listen
                .or_else(|| {
                    std::env::var("MINSHENG_LISTEN")
                        .ok()
                        .filter(|v| !v.is_empty())
                })
                .unwrap_or_else(|| "127.0.0.1:8686".into());
            let settings = Settings {
                metrics_token: std::env::var("MINSHENG_METRICS_TOKEN")
                    .ok()
                    .and_then(|t| MetricsToken::new(&t)),
                updater_key: minsheng_server::releases::key_from_env()?,
                public_url: std::env::var("MINSHENG_PUBLIC_URL")
                    .ok()
                    .map(|u| u.trim().trim_end_matches('/').to_string())
                    .filter(|u| !u.is_empty()),
                ..Settings::default()
            };
            let state = open_state_on(&database, settings, Clock::System)?;
            minsheng_server::notify::configure(
                &state,
                minsheng_server::notify::NotifyConfig::from_env()
                    .with_gateway(sms_url, sms_account),
            )?;
            intelligence::start(&state, model_dir(model).as_deref())?;
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen).await?;
                let addr = listener.local_addr()?;
                tracing::info!(%addr, db = %database, "民生警务平台 city server listening");
                println!("listening on http://{addr}");
                minsheng_server::serve(listener, state, stop_signal()).await
            })?;
        }
        Command::SeedDemo {
            db,
            org,
            corpus,
            cases,
        } => {
            let state = db.open(Settings::default())?;
            let report = seed::seed_demo(&state, org.as_deref(), corpus.as_deref(), cases)?;
            println!("{report}");
        }
        Command::Import {
            file,
            channel,
            db,
            model,
        } => {
            let state = db.open(Settings::default())?;
            intelligence::start(&state, model_dir(model).as_deref())?;
            let channel: minsheng_domain::case::Channel = channel.parse()?;
            let body = std::fs::read(&file)?;
            let json = file.extension().is_some_and(|e| e == "json");
            let rows = minsheng_server::import::parse_feed(&body, json, channel)?;
            let actor = minsheng_server::cases::system_actor(&state)?;
            let result = minsheng_server::import::import_rows(&state, &actor, channel, rows)?;
            for r in result.rows.iter().filter(|r| !r.ok) {
                println!("第{}行：{}", r.row, r.message.as_deref().unwrap_or(""));
            }
            println!(
                "total={} accepted={} rejected={}",
                result.total, result.accepted, result.rejected
            );
            if state.intel.has_model() {
                println!("not_police_related={}", result.not_police_related.len());
            }
        }
        Command::ExportTraining { db, out } => {
            let state = db.open(Settings::default())?;
            let n = intelligence::export_training(&state, &out)?;
            println!(
                "rows={} police={} not_police={} -> {}",
                n.rows,
                n.police,
                n.not_police,
                out.display()
            );
        }
        Command::Backup { db, file } => {
            let b = minsheng_store_sqlite::backup::backup(&db, &file)?;
            println!(
                "backup {} <- {}: schema={} epoch={} lastChange={} cases={}",
                file.display(),
                db.display(),
                b.schema_version,
                b.epoch,
                b.last_change,
                b.cases
            );
        }
        Command::Restore { db, file } => {
            let r = minsheng_store_sqlite::backup::restore(&db, &file)?;
            if let Some(old) = &r.replaced {
                println!("replaced database kept as {}", old.display());
            }
            println!(
                "restored {} <- {}: schema={} epoch={} lastChange={} cases={}",
                db.display(),
                file.display(),
                r.schema_version,
                r.epoch,
                r.last_change,
                r.cases
            );
        }
        Command::NewSyncEpoch {
            database,
            pg_schema,
        } => {
            let (url, schema) = postgres_only(database, pg_schema)?;
            let epoch = minsheng_store_postgres::PgStore::open_in(&url, schema.as_deref())?
                .begin_new_sync_epoch()?;
            println!(
                "new sync epoch {}: desktops re-download their data on the next sync",
                epoch.0
            );
        }
        Command::MigrateToPostgres {
            db,
            database,
            pg_schema,
        } => {
            let (url, schema) = postgres_only(database, pg_schema)?;
            minsheng_server::migrate::migrate_to_postgres_in(
                &db,
                &url,
                schema.as_deref(),
                &mut std::io::stdout(),
            )
            .map(|_| ())?;
        }
        Command::LoadOrg { db, org } => {
            let state = db.open(Settings::default())?;
            let n = seed::load_org_tree(&state, &org)?;
            println!("已载入 {n} 个单位 / {n} units loaded");
        }
        Command::CreateUser {
            db,
            username,
            name,
            role,
            unit,
            phone,
        } => {
            let state = db.open(Settings::default())?;
            let unit_id = state
                .org()
                .find_by_code(&unit)
                .map(|u| u.id)
                .ok_or(format!("单位代码不存在：{unit}"))?;
            let password = match std::env::var("MINSHENG_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprint!("密码 / password: ");
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let req = minsheng_server::http::NewUser {
                username,
                display_name: name,
                role,
                unit_id,
                phone,
                password,
            };
            let rec = minsheng_server::http::create_user_record(&state, &req)?;
            println!("created user {} ({})", rec.username, rec.id);
        }
    }
    Ok(())
}
