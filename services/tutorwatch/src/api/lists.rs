//! The public black and white lists: no token needed. Each entry shows the name, credit code,
//! region, status and since when; black-list entries also show why. A page is read from the
//! store's list index, so it costs its own length, not the number of institutions; anonymous
//! callers are rate-limited per client address (`limits`).
//!
//! `GET /v1/lists/{black,white}/changes?after=A&until=B` gives the diff between the list at two
//! positions of the log (two snapshots' `applied_seq`), from the list moves the store keeps.
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
use super::views::{json_name, ListedInstitution, ReasonView};

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
        return Err(
            Problem::invalid("query.limit", format!("must be 1 to {LIST_PAGE_MAX}"))
                .in_chinese(format!("须为 1 至 {LIST_PAGE_MAX}")),
        );
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

/// The public list a path names: `black` or `white` (anything else is 422 at `path.list`).
fn public_list(list: &str) -> Result<ListStatus, Problem> {
    match list {
        "black" => Ok(ListStatus::Black),
        "white" => Ok(ListStatus::White),
        _ => Err(
            Problem::invalid("path.list", "the public lists are `black` and `white`")
                .in_chinese("公开名单为 `black`（黑名单）和 `white`（白名单）"),
        ),
    }
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
    let status = public_list(&list)?;
    let Some(signer) = state.evidence.clone() else {
        return Err(Problem::unavailable(
            "this service signs no checkpoints ([checkpoints] key_file), so it gives no signed snapshots",
        )
        .in_chinese("本服务未签发检查点（[checkpoints] key_file），无法提供签名快照"));
    };
    let store = state.projections.clone();
    let read = blocking(move || consistent_list(&store, status)).await?;
    let Some((applied_seq, entries)) = read else {
        return Err(
            Problem::unavailable("the list kept changing while it was read: retry")
                .in_chinese("读取时名单在不断变化，请重试"),
        );
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

/// The most list moves one `changes` request reads; a longer range is refused with 422.
pub(crate) const LIST_MOVES_MAX: usize = 10_000;

/// Between which two positions of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesParams {
    /// From after this log position: an earlier snapshot's `applied_seq` (0: from the start).
    pub after: u64,
    /// Up to this log position: a later snapshot's `applied_seq` (default: what the projections
    /// have applied now).
    pub until: Option<u64>,
}

/// An institution that joined or left a list between the two positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ListChange {
    pub credit_code: CreditCode,
    /// Where it stood at `after` and where it stands at `until` (`black`, `white`, `unlisted`).
    pub from: String,
    pub to: String,
    /// The log position and event of its last move in the range.
    pub at_seq: u64,
    pub at_event: tutorwatch_events::EventId,
    /// Why, when it joined the black list.
    pub reasons: Vec<ReasonView>,
}

/// What changed on a list between two positions of the log: the diff between the snapshots
/// taken there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ListChanges {
    /// `black` or `white`.
    pub list: String,
    pub after: u64,
    pub until: u64,
    /// On the list at `until`, not at `after`.
    pub added: Vec<ListChange>,
    /// On the list at `after`, not at `until`.
    pub removed: Vec<ListChange>,
}

/// Nets the moves of a range per institution: its first move's `from` against its last move's
/// `to`, for the list `status`.
fn net_changes(
    status: ListStatus,
    moves: &[(u64, tutorwatch_findings::ListMove)],
) -> (Vec<ListChange>, Vec<ListChange>) {
    let mut by_institution: std::collections::BTreeMap<
        &CreditCode,
        (ListStatus, u64, &tutorwatch_findings::ListMove),
    > = std::collections::BTreeMap::new();
    for (seq, moved) in moves {
        by_institution
            .entry(&moved.institution)
            .and_modify(|(_, at, last)| {
                *at = *seq;
                *last = moved;
            })
            .or_insert((moved.from, *seq, moved));
    }
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for (code, (first_from, at_seq, last)) in by_institution {
        let change = || ListChange {
            credit_code: code.clone(),
            from: json_name(&first_from),
            to: json_name(&last.to),
            at_seq,
            at_event: last.at.event_id,
            reasons: if last.to == ListStatus::Black {
                last.reasons.iter().map(ReasonView::of).collect()
            } else {
                Vec::new()
            },
        };
        if first_from != status && last.to == status {
            added.push(change());
        } else if first_from == status && last.to != status {
            removed.push(change());
        }
    }
    (added, removed)
}

/// What changed on a public list between two positions of the log (public): the institutions
/// that joined it and those that left it, each with its last move. Pass two signed snapshots'
/// `applied_seq` to get the diff between them; a published snapshot is never edited, a
/// correction is a later snapshot and shows here. At most [`LIST_MOVES_MAX`] moves are read: a
/// longer range is 422.
#[utoipa::path(
    get, path = "/v1/lists/{list}/changes", tag = "public",
    params(("list" = String, Path, description = "`black` or `white`"), ChangesParams),
    responses(
        (status = 200, body = ListChanges),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a public list, `until` before `after` or past what is applied, or too many moves in the range", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn list_changes(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<Json<ListChanges>, Problem> {
    let status = public_list(&list)?;
    let store = state.projections.clone();
    let after = params.after;
    // The moves are read only for a range the projections have applied.
    let (applied, until, moves) = blocking(
        move || -> Result<_, tutorwatch_projection_store::ProjectionStoreError> {
            let applied = store.applied_seq()?;
            let until = params.until.unwrap_or(applied);
            let moves = if until <= applied && after <= until {
                Some(store.list_moves(after, until, LIST_MOVES_MAX)?)
            } else {
                None
            };
            Ok((applied, until, moves))
        },
    )
    .await?;
    let Some(moves) = moves else {
        let (zh, en) = if until > applied {
            (
                format!("统计数据只处理到日志第 {applied} 条，未到 {until}"),
                format!("the projections have applied the log up to {applied}, not {until}"),
            )
        } else {
            (
                "不能早于 `after`".to_owned(),
                "must not be before `after`".to_owned(),
            )
        };
        return Err(Problem::invalid("query.until", en).in_chinese(zh));
    };
    if !moves.complete {
        return Err(Problem::invalid(
            "query.until",
            format!(
                "more than {LIST_MOVES_MAX} list moves between these positions: ask for a shorter range"
            ),
        )
        .in_chinese(format!("两个位置之间的名单变动超过 {LIST_MOVES_MAX} 条：请缩小范围")));
    }
    let (added, removed) = net_changes(status, &moves.moves);
    Ok(Json(ListChanges {
        list,
        after,
        until,
        added,
        removed,
    }))
}
