//! What institutions send: course schedules (publish, change, cancel), delivered lessons, and a
//! check that answers "what would this schedule raise?" without storing anything. Each route
//! builds the event's envelope from the caller's token (its credit code and region).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, Text};
use tutorwatch_events::schedule::{
    CourseCancelled, CoursePriceChanged, CoursePublished, CourseRescheduled, LessonDelivered,
    Session,
};
use tutorwatch_events::{CreditCode, Event, Fen, LoggedEvent, UtcTime};
use tutorwatch_projection_store::StoredFinding;
use utoipa::ToSchema;

use super::caller::{Caller, Writer};
use super::extract::ApiJson;
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::submit::{envelope_for, event_id_for, submit, Written};
use super::views::FindingView;

fn institution_of(principal: &Principal) -> Result<CreditCode, Problem> {
    match principal {
        Principal::Institution { institution, .. } => Ok(institution.clone()),
        other => Err(Problem::forbidden(format!(
            "schedules are sent by institutions, not {} principals",
            other.role()
        ))
        .in_chinese("课程安排由机构报送")),
    }
}

async fn send(
    state: &AppState,
    writer: &Writer,
    headers: &HeaderMap,
    event: Event,
) -> Result<Response, Problem> {
    let principal = &writer.principal;
    let institution = institution_of(principal)?;
    let envelope = envelope_for(
        state,
        event_id_for(state, principal, headers)?,
        principal,
        institution,
        event,
    )
    .await?;
    // The body is the event's data, so name fields as the body does (`sessions[0].end`).
    envelope.validate(&state.validation).map_err(|e| {
        let field = e.field.strip_prefix("data.").unwrap_or(&e.field).to_owned();
        Problem::invalid(field, e.to_string()).in_chinese(e.message_zh())
    })?;
    submit(state, writer, envelope).await
}

fn course_id(text: &str) -> Result<CourseId, Problem> {
    CourseId::parse(text).map_err(|e| {
        Problem::invalid("path.course", e.to_string()).in_chinese(format!("不是课程编号（{e}）"))
    })
}

/// Publish a course schedule.
#[utoipa::path(
    post, path = "/v1/schedules", tag = "institutions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = CoursePublished,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Durable in the log", body = Written),
        (status = 202, description = "Accepted; poll /v1/events/{id}", body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn publish_schedule(
    State(state): State<AppState>,
    writer: Writer,
    headers: HeaderMap,
    ApiJson(course): ApiJson<CoursePublished>,
) -> Result<Response, Problem> {
    send(&state, &writer, &headers, Event::CoursePublished(course)).await
}

/// A course's new sessions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reschedule {
    pub sessions: Vec<Session>,
}

/// Replace a course's sessions (a reschedule). Planned-lesson findings the old plan raised are
/// withdrawn if the new plan drops the offending lesson.
#[utoipa::path(
    put, path = "/v1/schedules/{course}", tag = "institutions",
    params(
        ("course" = String, Path, description = "The course id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body = Reschedule,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Written), (status = 202, body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn reschedule(
    State(state): State<AppState>,
    writer: Writer,
    Path(course): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Reschedule>,
) -> Result<Response, Problem> {
    let event = Event::CourseRescheduled(CourseRescheduled {
        course: course_id(&course)?,
        sessions: body.sessions,
    });
    send(&state, &writer, &headers, event).await
}

/// Why a course is cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Cancel {
    pub reason: Text,
}

/// Cancel a course.
#[utoipa::path(
    post, path = "/v1/schedules/{course}/cancel", tag = "institutions",
    params(
        ("course" = String, Path, description = "The course id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body = Cancel,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Written), (status = 202, body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    writer: Writer,
    Path(course): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Cancel>,
) -> Result<Response, Problem> {
    let event = Event::CourseCancelled(CourseCancelled {
        course: course_id(&course)?,
        reason: body.reason,
    });
    send(&state, &writer, &headers, event).await
}

/// A course's new posted price.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceChange {
    /// The price per lesson, in fen, families are shown from now on.
    pub price_per_lesson: Fen,
}

/// Change a course's posted price per lesson.
#[utoipa::path(
    put, path = "/v1/schedules/{course}/price", tag = "institutions",
    params(
        ("course" = String, Path, description = "The course id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body = PriceChange,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Written), (status = 202, body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn change_price(
    State(state): State<AppState>,
    writer: Writer,
    Path(course): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PriceChange>,
) -> Result<Response, Problem> {
    let event = Event::CoursePriceChanged(CoursePriceChanged {
        course: course_id(&course)?,
        price_per_lesson: body.price_per_lesson,
    });
    send(&state, &writer, &headers, event).await
}

/// Report a delivered lesson.
#[utoipa::path(
    post, path = "/v1/lessons", tag = "institutions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = LessonDelivered,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Written), (status = 202, body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn deliver_lesson(
    State(state): State<AppState>,
    writer: Writer,
    headers: HeaderMap,
    ApiJson(lesson): ApiJson<LessonDelivered>,
) -> Result<Response, Problem> {
    send(&state, &writer, &headers, Event::LessonDelivered(lesson)).await
}

/// What a schedule would raise.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct CheckResult {
    /// The findings officers would see if this schedule were published now; their evidence
    /// names a hypothetical event (nothing was stored).
    pub findings: Vec<FindingView>,
    /// The policy the schedule was judged by.
    pub policy_version: String,
}

/// Check a schedule before publishing it: the findings it would raise, with the explanation
/// officers would see. Nothing is stored.
#[utoipa::path(
    post, path = "/v1/schedules/check", tag = "institutions",
    request_body = CoursePublished,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CheckResult),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The projections are still loading", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn check_schedule(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(course): ApiJson<CoursePublished>,
) -> Result<Json<CheckResult>, Problem> {
    let institution = institution_of(&principal)?;
    let envelope = envelope_for(
        &state,
        tutorwatch_events::EventId::new_v7(),
        &principal,
        institution,
        Event::CoursePublished(course),
    )
    .await?;
    envelope
        .validate(&state.validation)
        .map_err(|e| Problem::from_validation(&e))?;
    let live = state.live.clone();
    let judged = tokio::task::spawn_blocking(move || {
        live.read(|projector| {
            let event = LoggedEvent {
                seq: projector.last_seq() + 1,
                recorded_at: UtcTime::now(),
                envelope,
            };
            (
                projector.preview(&event),
                projector.policy().version().to_owned(),
            )
        })
    })
    .await
    .map_err(|e| Problem::internal(&e))?
    .ok_or_else(Problem::loading)?;
    let (findings, policy_version) = judged;
    Ok(Json(CheckResult {
        findings: findings
            .into_iter()
            .map(|finding| {
                FindingView::from(&StoredFinding {
                    raised_seq: 0,
                    finding,
                })
            })
            .collect(),
        policy_version,
    }))
}
