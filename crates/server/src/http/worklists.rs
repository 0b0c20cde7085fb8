//! 民生清单: counts and lists of 未签收 / 办理中 / 即将逾期 / 已逾期 in the caller's scope.

use axum::extract::{Path, State};
use axum::Json;
use minsheng_domain::lists::WorkList;

use super::cases::{build_query, run_list, CasePageView, ListParams};
use super::ApiQuery;
use crate::auth::Authed;
use crate::error::ApiError;
use crate::state::SharedState;
use minsheng_store::WorkListCounts;

#[utoipa::path(get, path = "/api/v1/worklists", responses((status = 200, body = WorkListCounts)))]
pub async fn counts(
    State(state): State<SharedState>,
    auth: Authed,
) -> Result<Json<WorkListCounts>, ApiError> {
    state
        .blocking(move |s| {
            Ok(Json(crate::assessment::home::worklist_counts(
                s,
                &auth.actor,
                s.now(),
            )?))
        })
        .await
}

/// One list (`unsigned`, `inProgress`, `dueSoon`, `overdue`, or the Chinese name), paged.
#[utoipa::path(get, path = "/api/v1/worklists/{list}", operation_id = "list_worklist",
    params(("list" = String, Path, description = "清单：代码或中文名",
            example = "dueSoon", pattern = "^(unsigned|inProgress|dueSoon|overdue|未签收|办理中|即将逾期|已逾期)$"),
           ListParams),
    responses((status = 200, body = CasePageView), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<SharedState>,
    auth: Authed,
    Path(list): Path<String>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<CasePageView>, ApiError> {
    let list = WorkList::from_code(&list).ok_or(ApiError::NotFound("清单"))?;
    state
        .blocking(move |s| {
            let mut q = build_query(&p, &auth.actor, s)?;
            q.list = Some(list);
            run_list(s, &q, p.with_total)
        })
        .await
}
