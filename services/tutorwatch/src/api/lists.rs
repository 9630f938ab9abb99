//! The public black and white lists: no token needed. Each entry shows the name, credit code,
//! region, status and since when; black-list entries also show why. A page is read from the
//! store's list index, so it costs its own length, not the number of institutions; anonymous
//! callers are rate-limited per client address (`limits`).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tutorwatch_events::CreditCode;
use tutorwatch_projections::ListStatus;
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use super::offload::blocking;
use super::problem::Problem;
use super::state::AppState;
use super::views::ListedInstitution;

/// Paging through a list, in credit-code order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Continue after this credit code (a page's `next`).
    #[param(value_type = Option<String>)]
    pub after: Option<CreditCode>,
    /// The most entries per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ListPage {
    pub institutions: Vec<ListedInstitution>,
    /// Pass as `after` for the next page; `null` at the end.
    pub next: Option<String>,
}

const LIST_PAGE_MAX: usize = 1_000;

async fn list_page(
    state: &AppState,
    status: ListStatus,
    params: ListParams,
) -> Result<ListPage, Problem> {
    let limit = params.limit.unwrap_or(100);
    if limit == 0 || limit > LIST_PAGE_MAX {
        return Err(Problem::invalid(
            "query.limit",
            format!("must be 1 to {LIST_PAGE_MAX}"),
        ));
    }
    let store = state.projections.clone();
    let page = blocking(move || store.list_page(status, params.after.as_ref(), limit)).await?;
    let institutions = page.entries.iter().map(ListedInstitution::of).collect();
    let next = page.next.map(|code| code.to_string());
    Ok(ListPage { institutions, next })
}

/// The black list (public).
#[utoipa::path(
    get, path = "/v1/lists/black", tag = "public",
    params(ListParams),
    responses(
        (status = 200, body = ListPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn black_list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ListPage>, Problem> {
    Ok(Json(list_page(&state, ListStatus::Black, params).await?))
}

/// The white list (public).
#[utoipa::path(
    get, path = "/v1/lists/white", tag = "public",
    params(ListParams),
    responses(
        (status = 200, body = ListPage),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn white_list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ListPage>, Problem> {
    Ok(Json(list_page(&state, ListStatus::White, params).await?))
}
