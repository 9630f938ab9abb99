//! The live feed: Server-Sent Events of findings as the projector writes them, filtered like the
//! JSON feed. Each `finding` event carries the finding's cursor as its SSE id, so a client that
//! reconnects with `Last-Event-ID` (or `?after=`) first gets what it missed from the store, then
//! the live ones. Status changes of findings already sent come as `finding_updated`. A client too
//! slow to keep up gets a `resync` event and is disconnected; reconnecting resumes it. Streams end
//! when the service shuts down. One principal holds at most `api.streams_per_principal_max`
//! streams at once (`limits`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Extension;
use futures::stream::Stream;
use tokio::sync::broadcast::error::RecvError;
use tutorwatch_projection_store::Cursor;

use super::caller::Caller;
use super::extract::ApiQuery;
use super::feed::{allowed_query_for, parse_cursor, AllowedQuery, FeedParams};
use super::findings::run_query;
use super::limits::Limits;
use super::problem::Problem;
use super::state::AppState;
use super::views::FindingView;

/// How often an idle stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How many stored pages a reconnecting client is replayed before going live; beyond that it
/// should page through `GET /v1/findings` instead.
const CATCH_UP_PAGES_MAX: usize = 10;

fn finding_event(name: &str, view: &FindingView, id: bool) -> SseEvent {
    let event = SseEvent::default()
        .event(name)
        .json_data(view)
        .unwrap_or_else(|_| SseEvent::default().comment("unencodable finding"));
    if id {
        event.id(view.cursor.clone())
    } else {
        event
    }
}

/// Follow the violation feed live (Server-Sent Events).
#[utoipa::path(
    get, path = "/v1/findings/stream", tag = "findings",
    params(
        FeedParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this cursor"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/event-stream of `finding`, `finding_updated` and `resync` events; each data is a FindingView", content_type = "text/event-stream", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "You hold the most open streams allowed (`api.streams_per_principal_max`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn stream_findings(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Extension(limits): Extension<Arc<Limits>>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<impl IntoResponse, Problem> {
    let mut allowed = allowed_query_for(&state, &principal, &params).await?;
    // Held by the stream: when it ends, or the client goes away, the slot is free again.
    let slot = limits.streams.acquire(&principal)?;
    if let Some(last) = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        allowed.query.after = Some(parse_cursor("header.last-event-id", last)?);
    }
    // Subscribe before reading the store, so nothing written in between is missed.
    let receiver = state.live.subscribe();
    let mut backlog = Vec::new();
    let mut high_water: Option<Cursor> = allowed.query.after;
    if allowed.query.after.is_some() {
        let mut query = allowed.query.clone();
        for _ in 0..CATCH_UP_PAGES_MAX {
            let page = run_query(&state, query.clone()).await?;
            for stored in page.findings.iter().filter(|f| allowed.keeps(f)) {
                high_water = high_water.max(Some(Cursor::of(stored)));
                backlog.push(FindingView::from(stored));
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
    }
    let mut shutdown = state.shutdown.clone();
    let stream = futures::StreamExt::take_until(
        live_stream(allowed, receiver, backlog, high_water),
        async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        },
    );
    let stream = futures::StreamExt::map(stream, move |event| {
        let _held = &slot;
        event
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

fn live_stream(
    allowed: AllowedQuery,
    receiver: tokio::sync::broadcast::Receiver<std::sync::Arc<tutorwatch_follower::FindingBatch>>,
    backlog: Vec<FindingView>,
    high_water: Option<Cursor>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let backlog = futures::stream::iter(
        backlog
            .into_iter()
            .map(|view| Ok(finding_event("finding", &view, true))),
    );
    let live = futures::stream::unfold(
        (receiver, high_water, false),
        move |(mut receiver, mut high_water, done)| {
            let allowed = allowed.clone();
            async move {
                if done {
                    return None;
                }
                loop {
                    match receiver.recv().await {
                        Ok(batch) => {
                            let mut events = Vec::new();
                            for stored in batch.findings.iter().filter(|f| allowed.keeps(f)) {
                                let cursor = Cursor::of(stored);
                                let view = FindingView::from(stored);
                                if Some(cursor) > high_water {
                                    high_water = Some(cursor);
                                    events.push(Ok(finding_event("finding", &view, true)));
                                } else {
                                    events.push(Ok(finding_event("finding_updated", &view, false)));
                                }
                            }
                            if !events.is_empty() {
                                return Some((
                                    futures::stream::iter(events),
                                    (receiver, high_water, false),
                                ));
                            }
                        }
                        Err(RecvError::Lagged(missed)) => {
                            let event = SseEvent::default().event("resync").data(format!(
                                "{{\"missed_batches\":{missed},\"detail\":\"reconnect with Last-Event-ID to resume from the store\"}}"
                            ));
                            return Some((
                                futures::stream::iter(vec![Ok(event)]),
                                (receiver, high_water, true),
                            ));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    futures::StreamExt::chain(backlog, futures::StreamExt::flatten(live))
}
