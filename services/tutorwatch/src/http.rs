//! The HTTP endpoints of the event spine: liveness, readiness and log statistics.
//! (The officer, institution, bank and public API builds on this router.)

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tutorwatch_ingest::IngestStats;
use tutorwatch_projector::ProjectorStats;
use tutorwatch_store::EventLog;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    pub log: Arc<EventLog>,
    pub ingest: Arc<IngestStats>,
    pub projector: Arc<ProjectorStats>,
    pub nats: async_nats::Client,
}

/// The router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/log/stats", get(log_stats))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let nats_connected = matches!(
        state.nats.connection_state(),
        async_nats::connection::State::Connected
    );
    let ingest = state.ingest.snapshot();
    let store_ok = !ingest.store_failing;
    let body = Json(json!({
        "nats_connected": nats_connected,
        "ingest_reading": ingest.reading,
        "log_writable": store_ok,
        "last_seq": state.log.last_seq(),
        "projector_lag": state.log.last_seq().saturating_sub(state.projector.snapshot().applied_seq),
    }));
    if nats_connected && store_ok && ingest.reading {
        (StatusCode::OK, body).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

async fn log_stats(State(state): State<AppState>) -> Response {
    match state.log.stats() {
        Ok(stats) => {
            let ingest = state.ingest.snapshot();
            let projector = state.projector.snapshot();
            Json(json!({
                "events": stats.events,
                "last_seq": stats.last_seq,
                "bytes_on_disk": stats.bytes_on_disk,
                "ingest": {
                    "appended": ingest.appended,
                    "duplicates": ingest.duplicates,
                    "dead_lettered": ingest.dead_lettered,
                    "batches": ingest.batches,
                },
                "projector": {
                    "applied_seq": projector.applied_seq,
                    "snapshot_seq": projector.snapshot_seq,
                    "findings_raised": projector.findings_raised,
                    "lag": stats.last_seq.saturating_sub(projector.applied_seq),
                },
            }))
            .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "log stats failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                [("content-type", "application/problem+json")],
                Json(
                    json!({"type": "about:blank", "title": "Something went wrong", "status": 500}),
                ),
            )
                .into_response()
        }
    }
}
