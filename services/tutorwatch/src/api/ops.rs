//! Operations: liveness, readiness, log statistics and Prometheus metrics (requests, latency,
//! the lag between the log head and the projection checkpoint).

use std::sync::OnceLock;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use utoipa::ToSchema;

use super::offload::blocking;
use super::problem::Problem;
use super::state::AppState;

/// The process's metrics recorder (installed once).
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(%error, "metrics are off: another recorder is installed");
                None
            }
        })
        .as_ref()
}

/// Installs the recorder; call once at start.
pub fn init_metrics() {
    let _ = prometheus();
}

/// Counts requests and their latency by route, method and status.
pub(super) async fn record_request(request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("tutorwatch_http_requests_total", &labels).increment(1);
    metrics::histogram!("tutorwatch_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = String, content_type = "text/plain")))]
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(super) struct Readiness {
    pub nats_connected: bool,
    pub ingest_reading: bool,
    pub log_writable: bool,
    pub last_seq: u64,
    pub projector_lag: u64,
    /// Warnings that do not make the service unready: e.g. lessons judged in a year whose
    /// official holiday schedule the policy lacks.
    pub warnings: Vec<String>,
}

/// Readiness: NATS connected, ingest reading, the log writable.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Readiness),
    (status = 503, description = "Not ready; the body says which part", body = Readiness),
))]
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let nats_connected = matches!(
        state.nats.connection_state(),
        async_nats::connection::State::Connected
    );
    let ingest = state.ingest.snapshot();
    let body = Readiness {
        nats_connected,
        ingest_reading: ingest.reading,
        log_writable: !ingest.store_failing,
        last_seq: state.log.last_seq(),
        projector_lag: state
            .log
            .last_seq()
            .saturating_sub(state.projector.snapshot().applied_seq),
        warnings: state
            .projector
            .calendar_gaps()
            .into_iter()
            .map(|year| {
                format!(
                    "lessons in {year} are judged without that year's official holiday schedule (only fixed-date holidays apply); add it to the policy"
                )
            })
            .collect(),
    };
    let status = if body.nats_connected && body.ingest_reading && body.log_writable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Log, ingest and projector counters.
#[utoipa::path(get, path = "/v1/log/stats", tag = "ops", responses(
    (status = 200, description = "Counters", body = Object),
    (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait"))),
    (status = 500, body = Problem, content_type = "application/problem+json"),
))]
pub(super) async fn log_stats(State(state): State<AppState>) -> Result<Response, Problem> {
    let log = state.log.clone();
    let stats = blocking(move || log.stats()).await?;
    let ingest = state.ingest.snapshot();
    let projector = state.projector.snapshot();
    Ok(Json(serde_json::json!({
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
    .into_response())
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses(
    (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
))]
pub(super) async fn metrics_text(State(state): State<AppState>) -> Response {
    let ingest = state.ingest.snapshot();
    let projector = state.projector.snapshot();
    let last_seq = state.log.last_seq();
    // Precision loss converting counters to gauges' f64 starts at 2^53 events: not a concern.
    #[allow(clippy::cast_precision_loss)]
    {
        metrics::gauge!("tutorwatch_log_last_seq").set(last_seq as f64);
        metrics::gauge!("tutorwatch_projector_applied_seq").set(projector.applied_seq as f64);
        metrics::gauge!("tutorwatch_projector_lag_events")
            .set(last_seq.saturating_sub(projector.applied_seq) as f64);
        metrics::gauge!("tutorwatch_ingest_appended_total").set(ingest.appended as f64);
        metrics::gauge!("tutorwatch_ingest_duplicates_total").set(ingest.duplicates as f64);
        metrics::gauge!("tutorwatch_ingest_dead_lettered_total").set(ingest.dead_lettered as f64);
        metrics::gauge!("tutorwatch_findings_raised_total").set(projector.findings_raised as f64);
        metrics::gauge!("tutorwatch_calendar_gap_years")
            .set(state.projector.calendar_gaps().len() as f64);
    }
    let text = prometheus()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
