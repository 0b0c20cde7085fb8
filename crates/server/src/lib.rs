//! 民生警务平台 city server: REST API over the storage contract (`minsheng-store`);
//! the embedded SQLite backend (`minsheng-store-sqlite`) is the default, PostgreSQL
//! (`minsheng-store-postgres`) the choice for several instances (`database::Database`).

pub mod accountability;
pub mod assessment;
pub mod attachments;
pub mod audit_log;
pub mod auth;
pub mod cases;
pub mod config;
pub mod database;
pub mod error;
pub mod first_response;
pub mod http;
pub mod import;
pub mod intelligence;
pub mod logging;
pub mod metrics;
pub mod migrate;
pub mod notify;
pub mod releases;
pub mod seed;
pub mod service_config;
pub mod state;
pub mod supervisors;
pub mod sync;
pub mod units;
pub mod users;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use database::Database;
pub use error::ApiError;
use state::{AppState, Clock, Settings, SharedState};

/// Opens the SQLite file (creating and migrating it) and builds the state.
pub fn open_state(db: &Path, settings: Settings, clock: Clock) -> Result<SharedState, ApiError> {
    open_state_on(&Database::Sqlite(db.to_owned()), settings, clock)
}

/// Opens either backend (creating and migrating it) and builds the state.
pub fn open_state_on(
    db: &Database,
    settings: Settings,
    clock: Clock,
) -> Result<SharedState, ApiError> {
    Ok(Arc::new(AppState::new(db.open()?, settings, clock)?))
}

/// Serves until the future resolves (Ctrl-C in the CLI; never in tests).
pub async fn serve(
    listener: TcpListener,
    state: SharedState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    notify::start_workers(&state);
    assessment::start_workers(&state);
    intelligence::learning::start_workers(&state);
    start_following(&state);
    let app = http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Several instances on one database: every few seconds each picks up the others'
/// admin edits (org tree, rules); writes check first too, so this bounds how stale
/// reads can be. (The duplicate index follows the others' intakes before each lookup:
/// `intelligence::catch_up`.)
fn start_following(state: &SharedState) {
    let weak = Arc::downgrade(state);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(state) = weak.upgrade() else { return };
            let done = state.blocking(AppState::refresh_if_changed).await;
            if let Err(e) = done {
                tracing::warn!(error = ?e, "following other instances failed");
            }
        }
    });
}

/// A server on an ephemeral loopback port, for tests: returns its base URL.
pub async fn spawn_for_tests(state: SharedState) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, state, std::future::pending()));
    Ok(format!("http://{addr}"))
}
