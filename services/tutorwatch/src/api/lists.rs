//! The public black and white lists: no token needed. Each entry shows the name, credit code,
//! region, status and since when; black-list entries also show why. A page is read from the
//! store's list index, so it costs its own length, not the number of institutions; anonymous
//! callers are rate-limited per client address (`limits`).
//!
//! `GET /v1/lists/{black,white}/snapshot` gives a whole list signed (issue 12, item 4): its
//! entries as the projections held them after log entry `applied_seq`, the latest checkpoint at
//! or before that entry, and a detached Ed25519 signature with the checkpoint key
//! (`tutorwatch_proof::SignedList`; `tutorwatch snapshot verify` checks one offline).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tutorwatch_events::CreditCode;
use tutorwatch_findings::ListStatus;
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
pub(crate) struct ListParams {
    /// Continue after this credit code (a page's `next`).
    #[param(value_type = Option<String>)]
    pub after: Option<CreditCode>,
    /// The most entries per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ListPage {
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
pub(crate) async fn black_list(
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
pub(crate) async fn white_list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ListPage>, Problem> {
    Ok(Json(list_page(&state, ListStatus::White, params).await?))
}

/// The most list entries read per store page while taking a snapshot.
const SNAPSHOT_READ_CHUNK: usize = 10_000;

/// How often a snapshot is retaken when the projector wrote while it was read.
const SNAPSHOT_TRIES: usize = 5;

/// Every entry of a list and the `applied_seq` they reflect: the store's `applied_seq` is read
/// before and after the entries, and the read is retried when a projector batch (which moves
/// `applied_seq` in the same atomic write as the entries) landed in between.
fn consistent_list(
    store: &tutorwatch_projection_store::ProjectionStore,
    status: ListStatus,
) -> Result<Option<(u64, Vec<ListedInstitution>)>, tutorwatch_projection_store::ProjectionStoreError>
{
    for _ in 0..SNAPSHOT_TRIES {
        let before = store.applied_seq()?;
        let mut entries = Vec::new();
        let mut after = None;
        loop {
            let page = store.list_page(status, after.as_ref(), SNAPSHOT_READ_CHUNK)?;
            entries.extend(page.entries.iter().map(ListedInstitution::of));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        if store.applied_seq()? == before {
            return Ok(Some((before, entries)));
        }
    }
    Ok(None)
}

/// A whole list, signed (public): its entries after log entry `applied_seq`, the latest
/// checkpoint at or before that entry, and an Ed25519 signature over the canonical bytes with
/// the checkpoint key. Check it with `tutorwatch snapshot verify FILE --key PUBKEY`.
#[utoipa::path(
    get, path = "/v1/lists/{list}/snapshot", tag = "public",
    params(("list" = String, Path, description = "`black` or `white`")),
    responses(
        (status = 200, description = "The signed snapshot (one JSON object, `tutorwatch_proof::SignedList`)", body = Object),
        (status = 422, description = "The list is neither `black` nor `white`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The service signs no checkpoints, or the list kept changing while it was read", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_snapshot(
    State(state): State<AppState>,
    Path(list): Path<String>,
) -> Result<Response, Problem> {
    let status = match list.as_str() {
        "black" => ListStatus::Black,
        "white" => ListStatus::White,
        _ => {
            return Err(Problem::invalid(
                "path.list",
                "the public lists are `black` and `white`",
            ))
        }
    };
    let Some(signer) = state.evidence.clone() else {
        return Err(Problem::unavailable(
            "this service signs no checkpoints ([checkpoints] key_file), so it gives no signed snapshots",
        ));
    };
    let store = state.projections.clone();
    let read = blocking(move || consistent_list(&store, status)).await?;
    let Some((applied_seq, entries)) = read else {
        return Err(Problem::unavailable(
            "the list kept changing while it was read: retry",
        ));
    };
    let institutions = serde_json::to_value(&entries).map_err(|e| Problem::internal(&e))?;
    let checkpoint = tokio::task::spawn_blocking(move || {
        crate::cmd::evidence::latest_checkpoint(
            &signer.checkpoints_file,
            &signer.key,
            Some(applied_seq),
        )
        .map(|checkpoint| {
            tutorwatch_proof::SignedList::sign(
                &signer.key,
                &list,
                applied_seq,
                institutions,
                checkpoint,
                tutorwatch_events::UtcTime::now(),
            )
        })
    })
    .await
    .map_err(|e| Problem::internal(&e))?;
    let snapshot =
        checkpoint.map_err(|e| Problem::internal(&format!("{:#}", anyhow::Error::new(e))))?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        snapshot.to_json_line(),
    )
        .into_response())
}
