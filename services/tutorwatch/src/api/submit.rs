//! The write path every route shares: validate an event, publish it to JetStream with
//! `Nats-Msg-Id` = event id, and answer `201` once ingest made it durable in the log (or `202`
//! if that takes longer than `write_wait_ms`, with the id to poll at `GET /v1/events/{id}`).
//!
//! Retrying a write is safe: the same event id (or the same `Idempotency-Key` from the same
//! principal) is recognised in the log however long ago it was written, and answered with the
//! first write's sequence; a different body under the same id is `409`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tokio::time::Instant;
use tutorwatch_events::ids::{AccountId, BankId};
use tutorwatch_events::{encode, Envelope, Event, EventId, LoggedEvent, UtcTime};
use utoipa::ToSchema;
use uuid::Uuid;

use super::offload::{blocking, logged_by_id};
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;

/// The namespace of event ids derived from an `Idempotency-Key`.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_3f4e_8a1b_4c2d_9e6f_7a8b_9c0d_1e2f);

/// The longest `Idempotency-Key` accepted.
const IDEMPOTENCY_KEY_MAX: usize = 200;

/// How JetStream long may take to acknowledge a publish.
const PUBLISH_ACK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The answer to a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Written {
    pub event_id: EventId,
    /// `durable`: in the log at `seq`; `accepted`: in JetStream, not yet in the log (poll
    /// `GET /v1/events/{id}`).
    pub status: WriteStatus,
    /// The log sequence, once durable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The event type, e.g. `schedule.course_published`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// True when the event was already in the log before this request (a retry).
    pub replayed: bool,
}

/// Where a written event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WriteStatus {
    Durable,
    Accepted,
}

/// The event id of a request: from its `Idempotency-Key` (stable per principal), else new.
pub fn event_id_for(principal: &Principal, headers: &HeaderMap) -> Result<EventId, Problem> {
    let Some(key) = headers.get("idempotency-key") else {
        return Ok(EventId::new_v7());
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= IDEMPOTENCY_KEY_MAX)
        .ok_or_else(|| {
            Problem::invalid(
                "header.idempotency-key",
                format!("must be 1 to {IDEMPOTENCY_KEY_MAX} visible ASCII characters"),
            )
        })?;
    let name = format!("{principal}\n{key}");
    Ok(EventId::from_uuid(Uuid::new_v5(
        &IDEMPOTENCY_NAMESPACE,
        name.as_bytes(),
    )))
}

fn invalid_event(error: &tutorwatch_events::ValidationError) -> Problem {
    Problem::invalid(error.field.clone(), error.to_string())
}

/// The sequence of an event already in the log, after checking a retry carries the same event.
async fn already_logged(state: &AppState, envelope: &Envelope) -> Result<Option<u64>, Problem> {
    let (log, id) = (state.log.clone(), envelope.event_id);
    let Some(LoggedEvent {
        seq,
        envelope: logged,
        ..
    }) = blocking(move || logged_by_id(&log, &id)).await?
    else {
        return Ok(None);
    };
    if logged.event != envelope.event
        || logged.institution != envelope.institution
        || logged.producer != envelope.producer
    {
        return Err(Problem::conflict(format!(
            "event {} is already in the log (sequence {seq}) with different content; use a new event id or Idempotency-Key",
            envelope.event_id
        ))
        .at("event_id"));
    }
    Ok(Some(seq))
}

/// The supervised account an escrow event concerns, and the field naming it.
fn account_of(event: &Event) -> Option<(&AccountId, &'static str)> {
    match event {
        Event::SupervisedAccountClosed(e) => Some((&e.account, "data.account")),
        Event::FundsReleased(e) => Some((&e.account, "data.account")),
        Event::DailyBalanceStated(e) => Some((&e.account, "data.account")),
        Event::RiskReserveDeposited(e) => Some((&e.account, "data.account")),
        Event::RefundPaid(e) => e.account.as_ref().map(|a| (a, "data.account")),
        Event::FeeCollected(e) => e
            .supervised_account
            .as_ref()
            .map(|a| (a, "data.supervised_account")),
        _ => None,
    }
}

/// A bank acts only for the supervised accounts it holds: it opens accounts in its own name, and
/// may not post about an account the log says another bank holds. (An account the projections
/// have not seen yet is let through: the projections flag escrow events about unknown accounts.)
fn check_bank_holds_account(
    state: &AppState,
    bank: &BankId,
    envelope: &Envelope,
) -> Result<(), Problem> {
    if let Event::SupervisedAccountOpened(opened) = &envelope.event {
        if &opened.bank != bank {
            return Err(Problem::forbidden(format!(
                "bank {bank} may not open accounts held by bank {}",
                opened.bank
            ))
            .at("data.bank"));
        }
        return Ok(());
    }
    let Some((account, field)) = account_of(&envelope.event) else {
        return Ok(());
    };
    let holder = state
        .live
        .read(|projector| {
            projector
                .facts()
                .institution(&envelope.institution)
                .and_then(|i| i.account_banks.get(account).cloned())
        })
        .flatten();
    match holder {
        Some(holder) if &holder != bank => {
            Err(Problem::forbidden(format!("account {account} is held by another bank")).at(field))
        }
        _ => Ok(()),
    }
}

/// Authorises, validates, publishes and waits: the whole write.
pub async fn submit(
    state: &AppState,
    principal: &Principal,
    envelope: Envelope,
) -> Result<Response, Problem> {
    if let Some(reason) = principal.refuses(
        envelope.event.family(),
        &envelope.institution,
        envelope.region,
    ) {
        return Err(Problem::forbidden(reason));
    }
    if let Principal::Bank { bank } = principal {
        check_bank_holds_account(state, bank, &envelope)?;
    }
    if let Some(required) = principal.producer() {
        if envelope.producer != required {
            return Err(Problem::forbidden(format!(
                "events you send must name producer {required:?}"
            ))
            .at("producer"));
        }
    }
    envelope
        .validate(&state.validation)
        .map_err(|e| invalid_event(&e))?;
    let event_type = envelope.event.event_type().to_owned();
    let written = |status, seq, replayed| Written {
        event_id: envelope.event_id,
        status,
        seq,
        event_type: event_type.clone(),
        replayed,
    };
    if let Some(seq) = already_logged(state, &envelope).await? {
        return Ok((
            StatusCode::CREATED,
            Json(written(WriteStatus::Durable, Some(seq), true)),
        )
            .into_response());
    }

    let mut head = state.log.subscribe();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
    let jetstream = async_nats::jetstream::new(state.nats.clone());
    let publish = async {
        jetstream
            .publish_with_headers(envelope.subject(), headers, encode(&envelope).into())
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())
    };
    match tokio::time::timeout(PUBLISH_ACK_WAIT, publish).await {
        Ok(Ok(_ack)) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "publishing a write to JetStream failed");
            return Err(Problem::unavailable(
                "the event could not be handed to JetStream; nothing was written, retry later",
            ));
        }
        Err(_) => {
            return Err(Problem::unavailable(
                "JetStream did not acknowledge the event in time; retry with the same Idempotency-Key or event id",
            ))
        }
    }
    let deadline = Instant::now() + state.settings.write_wait();
    loop {
        head.borrow_and_update();
        let (log, id) = (state.log.clone(), envelope.event_id);
        let seq = blocking(move || log.seq_of(&id)).await?;
        if let Some(seq) = seq {
            return Ok((
                StatusCode::CREATED,
                Json(written(WriteStatus::Durable, Some(seq), false)),
            )
                .into_response());
        }
        if tokio::time::timeout_at(deadline, head.changed())
            .await
            .is_err()
        {
            let location = format!("/v1/events/{}", envelope.event_id);
            return Ok((
                StatusCode::ACCEPTED,
                [(axum::http::header::LOCATION, location)],
                Json(written(WriteStatus::Accepted, None, false)),
            )
                .into_response());
        }
    }
}

/// The envelope of an event a principal sends through a convenience route.
pub fn envelope_for(
    event_id: EventId,
    principal: &Principal,
    institution: tutorwatch_events::CreditCode,
    region: tutorwatch_events::RegionCode,
    event: tutorwatch_events::Event,
) -> Result<Envelope, Problem> {
    let producer = principal
        .producer()
        .ok_or_else(|| Problem::forbidden("this route is for institutions and officers"))?;
    Ok(Envelope {
        event_id,
        institution,
        region,
        producer,
        occurred_at: UtcTime::now(),
        event,
    })
}
