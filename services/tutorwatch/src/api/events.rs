//! The generic write route (any event in the JSON wire format, for banks, registries, inspectors
//! and operators) and the status of a written event.

use axum::extract::{Path, State};

use axum::response::Response;
use axum::Json;
use serde::Serialize;
use tutorwatch_events::{decode_json, CreditCode, EventId, LoggedEvent, RegionCode, UtcTime};
use utoipa::ToSchema;

use super::caller::{Caller, Writer};
use super::extract::JsonBytes;
use super::offload::{blocking, logged_by_id};
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::submit::{refused_problem, submit, Written};

/// An event in the JSON wire format (see `tutorwatch example TYPE` for each type's `data`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[allow(dead_code)] // documents the body; the codec in `tutorwatch_events` reads it
pub(crate) struct EventBody {
    /// The producer's id for the event (UUID v7); the idempotency key.
    event_id: EventId,
    /// The event type, e.g. `escrow.fee_collected`.
    #[serde(rename = "type")]
    event_type: String,
    /// The schema version of `data`.
    version: u16,
    institution: CreditCode,
    region: RegionCode,
    /// Who sends it: `{"bank": "BANK-ID"}`, `{"registry": "440200"}`, `{"officer": "ID"}`,
    /// `{"institution": "CREDIT-CODE"}`.
    #[schema(value_type = Object)]
    producer: serde_json::Value,
    occurred_at: UtcTime,
    /// The event's data; its shape depends on `type`.
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// Send any event: banks (escrow events), registries (registrations, licences, sites, staff),
/// officers (advertisements observed), admins (anything).
#[utoipa::path(
    post, path = "/v1/events", tag = "events",
    request_body = EventBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Durable in the log", body = Written),
        (status = 202, description = "Accepted; poll /v1/events/{id}", body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn post_event(
    State(state): State<AppState>,
    writer: Writer,
    JsonBytes(body): JsonBytes,
) -> Result<Response, Problem> {
    let envelope = decode_json(&body).map_err(|error| Problem::from_decode(&error))?;
    if envelope.event.family() == tutorwatch_events::Family::Supervision {
        return Err(Problem::forbidden(
            "case actions are sent with POST /v1/findings/{id}/actions, which checks the finding is in your jurisdiction",
        )
        .in_chinese("案件处理请通过 POST /v1/findings/{id}/actions 提交，该接口会核对问题是否在您的辖区内")
        .at("type"));
    }
    submit(&state, &writer, envelope).await
}

/// Where an event is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct EventStatus {
    pub event_id: EventId,
    /// Always `durable` (an event not in the log is a 404).
    pub status: String,
    pub seq: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub recorded_at: UtcTime,
}

/// Whether an event is durable in the log (after a `202`). Only callers who may read the
/// institution it concerns see it; anyone else gets the same 404 as for an unknown id.
#[utoipa::path(
    get, path = "/v1/events/{id}", tag = "events",
    params(("id" = String, Path, description = "The event id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EventStatus),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Refused by the trust policy when it was appended (told to its producer)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not in the log (yet), or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: its id is held by another producer's event (told to its producer)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_event(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<EventStatus>, Problem> {
    let uuid: uuid::Uuid = id.parse().map_err(|_| {
        Problem::invalid("path.id", "not an event id (UUID)").in_chinese("不是事件编号（UUID）")
    })?;
    let event_id = EventId::from_uuid(uuid);
    let log = state.log.clone();
    let found = blocking(move || logged_by_id(&log, &event_id)).await?;
    let not_found = || {
        Problem::not_found(format!(
            "event {id} is not in the log: if it was accepted moments ago, ask again"
        ))
        .in_chinese(format!("日志中没有事件 {id}：如果刚刚提交，请稍后再查"))
    };
    let Some(LoggedEvent {
        seq,
        recorded_at,
        envelope,
    }) = found
    else {
        // Refused at append time (after a write was answered 202): its producer learns why.
        return Err(match state.refusals.get(&event_id) {
            Some(refused)
                if principal == Principal::Admin
                    || principal.producer().as_ref() == Some(&refused.producer) =>
            {
                refused_problem(&refused)
            }
            _ => not_found(),
        });
    };
    let producer_matches = principal.producer().as_ref() == Some(&envelope.producer);
    if !(producer_matches || principal.may_read(&envelope.institution, envelope.region)) {
        return Err(not_found());
    }
    Ok(Json(EventStatus {
        event_id,
        status: "durable".into(),
        seq,
        event_type: envelope.event.event_type().to_owned(),
        recorded_at,
    }))
}
