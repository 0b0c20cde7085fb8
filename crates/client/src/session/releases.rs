//! The session's part of desktop updates (issue 17): the admin's 版本发布 calls and the
//! token the Tauri updater sends. Each call refreshes an expired access token once, like
//! every other online call.

use super::Session;
use crate::api::{ReleaseSummary, ReleaseUpload};
use crate::error::Result;

impl Session {
    /// Asks the server whether a release newer than `current` is offered for this
    /// desktop (`None`: 204, nothing newer), with a fresh token, and returns the token
    /// valid now for the updater's own requests to the same routes.
    pub async fn update_probe(
        &self,
        target: &str,
        bundle: &str,
        current: &str,
    ) -> Result<(bool, Option<String>)> {
        let api = self.0.engine.api().clone();
        let path = crate::api::updates_path(target, bundle, current);
        let manifest = self.0.engine.authed(|| api.get_json(&path)).await?;
        Ok((!manifest.is_null(), api.access_token()))
    }

    pub async fn releases(&self) -> Result<Vec<ReleaseSummary>> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.releases()).await
    }

    pub async fn upload_release(&self, upload: &ReleaseUpload) -> Result<ReleaseSummary> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.upload_release(upload)).await
    }

    pub async fn withdraw_release(&self, id: &str) -> Result<()> {
        let api = self.0.engine.api().clone();
        self.0.engine.authed(|| api.withdraw_release(id)).await
    }
}
