//! The HTTP API, served by `tutorwatch serve` beside ingest: institutions submit schedules and
//! lessons, banks and registries post events, officers query, export, follow and act on the
//! violation feed of their jurisdiction, and the public reads the black and white lists.
//!
//! Every write becomes an event on JetStream and is answered once it is durable in the log
//! (`submit`). Every error is `application/problem+json` (`problem`). The OpenAPI document at
//! `/openapi.json` is generated from the handlers' annotations, so it lists exactly the routes
//! served.
//!
//! # Layout
//! - `principal`, `tokens`, `caller`: who may do what, bearer tokens, authentication.
//! - `problem`, `extract`: errors and the extractors that produce them.
//! - `submit`: the write path (the trust policy's pre-check, publishing, waiting);
//!   `idempotency`: keyed ids from `Idempotency-Key`; `schedules`, `events`, `findings`: the
//!   write and read routes.
//! - `feed`: jurisdiction-checked feed queries; `stream`: the live feed (SSE).
//! - `institutions`, `lists`, `rules`: an institution's record; the public lists; the rule
//!   catalogue with the policy figures in force.
//! - `views`: the JSON shapes answered; `ops`: health, readiness, stats, metrics.
//! - `offload`: log and store reads off the async threads, failures as 500 problems.
//! - `limits`: anonymous requests per client address, live streams per principal.

pub(crate) mod caller;
pub(crate) mod events;
pub(crate) mod extract;
pub(crate) mod feed;
pub(crate) mod findings;
pub mod idempotency;
pub(crate) mod institutions;
pub(crate) mod limits;
pub(crate) mod lists;
pub(crate) mod offload;
mod ops;
pub mod principal;
pub mod problem;
pub(crate) mod rules;
pub(crate) mod schedules;
mod state;
pub(crate) mod stream;
pub(crate) mod submit;
pub mod tokens;
pub(crate) mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::Request;
use axum::routing::get;
use axum::{middleware, Extension, Json, Router};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::field::Empty;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use ops::init_metrics;
pub use state::{ApiSettings, AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tutorwatch",
        description = "Supervision of off-campus training institutions under the double-reduction policy. Money is integer fen; times are RFC 3339 with an explicit offset; errors are application/problem+json.",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "institutions", description = "Schedules, lessons and records"),
        (name = "events", description = "Any event, for banks, registries, inspectors"),
        (name = "findings", description = "The violation feed"),
        (name = "public", description = "The black and white lists, and the rules"),
        (name = "ops", description = "Health and metrics"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tw_<64 hex digits>")
                    .build(),
            ),
        );
    }
}

/// The routes and their OpenAPI document.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::log_stats))
        .routes(routes!(ops::metrics_text))
        .routes(routes!(lists::black_list))
        .routes(routes!(lists::white_list))
        .routes(routes!(lists::list_snapshot))
        .routes(routes!(lists::list_changes))
        .routes(routes!(rules::list_rules))
        .routes(routes!(schedules::publish_schedule))
        .routes(routes!(schedules::reschedule))
        .routes(routes!(schedules::cancel))
        .routes(routes!(schedules::change_price))
        .routes(routes!(schedules::check_schedule))
        .routes(routes!(schedules::deliver_lesson))
        .routes(routes!(events::post_event))
        .routes(routes!(events::get_event))
        .routes(routes!(findings::list_findings))
        .routes(routes!(findings::export_findings))
        .routes(routes!(findings::get_finding))
        .routes(routes!(findings::get_evidence))
        .routes(routes!(findings::act_on_finding))
        .routes(routes!(stream::stream_findings))
        .routes(routes!(institutions::get_institution))
        .split_for_parts()
}

/// The OpenAPI document (also served at `/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Records the matched route on the request's span.
async fn record_route(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    if let Some(path) = request.extensions().get::<MatchedPath>() {
        tracing::Span::current().record("route", path.as_str());
    }
    next.run(request).await
}

/// The whole HTTP service.
pub fn app(state: AppState) -> Router {
    let (router, doc) = routes();
    let doc = Arc::new(doc);
    let timeout = Duration::from_millis(state.settings.request_timeout_ms);
    let body_max = state.settings.body_bytes_max;
    let limits = Arc::new(limits::Limits::new(&state.settings));
    let console_limits = Arc::clone(&limits);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = Arc::clone(&doc);
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limits::limit_anonymous,
        ))
        .route_layer(middleware::from_fn(ops::record_request))
        .route_layer(middleware::from_fn(record_route))
        .layer(Extension(limits))
        .layer(DefaultBodyLimit::max(body_max))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                    route = Empty,
                    principal = Empty,
                )
            }),
        )
        .layer(middleware::from_fn(problem::ensure_problem))
        .with_state(state.clone())
        .merge(crate::console::router(state, console_limits))
}
