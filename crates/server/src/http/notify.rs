//! HTTP endpoints of the notify area.

use axum::Router;

use crate::state::SharedState;

pub fn routes() -> Router<SharedState> {
    Router::new()
}
