//! The write path every route shares: authorise an event by the trust policy (against the log's
//! facts, for a quick and typed answer), validate it, publish it to JetStream on the service's
//! API subject for the calling token (`tw.in.api.<token>.<sender>.…`, with `Nats-Msg-Id` = event
//! id), and answer `201` once ingest made it durable in the log (or `202` if that takes longer
//! than `write_wait_ms`, with the id to poll at `GET /v1/events/{id}`). Ingest judges the event
//! again at append time — that judgement is the one that counts — and a refusal there is
//! answered as soon as it is made.
//!
//! Retrying a write is safe: the same event id (or the same `Idempotency-Key` from the same
//! principal) is recognised in the log however long ago it was written, and answered with the
//! first write's sequence; a different body under the same id is `409`, and so is an id another
//! producer already holds. Ids derived from an `Idempotency-Key` are keyed with the server's
//! secret, so nobody can compute (and take first) another principal's id.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tokio::time::Instant;
use tutorwatch_events::{encode, Envelope, EventId, LoggedEvent, Sender, UtcTime};
use tutorwatch_ingest::Refused;
use tutorwatch_log::EventLog;
use tutorwatch_trust::{authorise, FactRead, FactsError, Refusal, RefusalCode, Scratch};
use utoipa::ToSchema;

use super::caller::Writer;
use super::idempotency;
use super::offload::{blocking, logged_by_id};
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;

/// The longest `Idempotency-Key` accepted.
const IDEMPOTENCY_KEY_MAX: usize = 200;

/// How JetStream long may take to acknowledge a publish.
const PUBLISH_ACK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The answer to a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct Written {
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
pub(crate) enum WriteStatus {
    Durable,
    Accepted,
}

/// The event id of a request: from its `Idempotency-Key` (stable per principal, keyed with the
/// server's secret), else new.
pub(crate) fn event_id_for(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<EventId, Problem> {
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
            .in_chinese(format!("须为 1 至 {IDEMPOTENCY_KEY_MAX} 个可见 ASCII 字符"))
        })?;
    Ok(idempotency::event_id(
        &state.idempotency_secret,
        principal,
        key,
    ))
}

/// The sequence of an event already in the log, after checking a retry carries the same event
/// from the same producer.
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
    if logged.producer != envelope.producer {
        return Err(Problem::conflict(format!(
            "event id {} is already in the log (sequence {seq}) for another producer's event; use a new event id or Idempotency-Key",
            envelope.event_id
        ))
        .in_chinese(format!(
            "事件编号 {} 已被其他报送方的事件占用（日志第 {seq} 条）；请换用新的事件编号或 Idempotency-Key",
            envelope.event_id
        ))
        .at("event_id"));
    }
    if logged.event != envelope.event || logged.institution != envelope.institution {
        return Err(Problem::conflict(format!(
            "event {} is already in the log (sequence {seq}) with different content; use a new event id or Idempotency-Key",
            envelope.event_id
        ))
        .in_chinese(format!(
            "事件 {} 已在日志中（第 {seq} 条），但内容不同；请换用新的事件编号或 Idempotency-Key",
            envelope.event_id
        ))
        .at("event_id"));
    }
    Ok(Some(seq))
}

/// A refusal by the trust policy as a problem: 403 naming the field, or 422 for a future date.
pub(crate) fn refusal_problem(refusal: &Refusal) -> Problem {
    match refusal.code {
        RefusalCode::Unauthorised => Problem::forbidden(refusal.reason.clone()).at(refusal.field),
        RefusalCode::FutureDated => Problem::invalid(refusal.field, refusal.reason.clone()),
    }
    .in_chinese(refusal.reason_zh.clone())
}

/// A refusal ingest made at append time, as a problem.
pub(crate) fn refused_problem(refused: &Refused) -> Problem {
    let problem = match refused.code {
        "unauthorised" => Problem::forbidden(refused.reason.clone()),
        "conflict" => Problem::conflict(refused.reason.clone()),
        _ => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            "Refused",
            refused.reason.clone(),
        ),
    }
    .in_chinese(refused.reason_zh.clone());
    match refused.field {
        Some(field) => problem.at(field),
        None => problem,
    }
}

/// The log's committed facts, read through a scratch copy: whatever is judged with it is stored
/// nowhere.
fn committed_facts(log: &EventLog) -> Scratch<impl Fn(&[u8]) -> FactRead + '_> {
    Scratch::new(move |key: &[u8]| log.fact(key).map_err(|e| FactsError(Box::new(e))))
}

/// Judges the event by the trust policy against the log's committed facts, storing nothing.
async fn precheck(state: &AppState, sender: &Sender, envelope: &Envelope) -> Result<(), Problem> {
    let (log, trust) = (state.log.clone(), state.trust.clone());
    let (sender, envelope) = (sender.clone(), envelope.clone());
    let verdict = blocking(move || {
        authorise(
            &sender,
            &envelope,
            UtcTime::now(),
            &trust,
            &mut committed_facts(&log),
        )
    })
    .await?;
    verdict.map_err(|refusal| refusal_problem(&refusal))
}

/// Authorises, validates, publishes and waits: the whole write, on behalf of `caller`.
pub(crate) async fn submit(
    state: &AppState,
    writer: &Writer,
    envelope: Envelope,
) -> Result<Response, Problem> {
    let sender = writer.sender();
    let event_type = envelope.event.event_type().to_owned();
    let written = |status, seq, replayed| Written {
        event_id: envelope.event_id,
        status,
        seq,
        event_type: event_type.clone(),
        replayed,
    };
    tutorwatch_trust::check_sender(&sender, &envelope)
        .map_err(|refusal| refusal_problem(&refusal))?;
    if let Some(seq) = already_logged(state, &envelope).await? {
        return Ok((
            StatusCode::CREATED,
            Json(written(WriteStatus::Durable, Some(seq), true)),
        )
            .into_response());
    }
    precheck(state, &sender, &envelope).await?;
    envelope
        .validate(&state.validation)
        .map_err(|e| Problem::from_validation(&e))?;

    let mut head = state.log.subscribe();
    let mut refusals = state.refusals.subscribe();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
    let jetstream = async_nats::jetstream::new(state.nats.clone());
    let publish = async {
        jetstream
            .publish_with_headers(
                envelope.subject_as(&sender),
                headers,
                encode(&envelope).into(),
            )
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
                "JetStream did not confirm the event; it may have been written: retry with the same Idempotency-Key (or event id), which is safe",
            )
            .in_chinese("消息服务未确认该事件，它可能已写入：请用相同的 Idempotency-Key（或事件编号）重试，这是安全的"));
        }
        Err(_) => {
            return Err(Problem::unavailable(
                "JetStream did not confirm the event in time; it may have been written: retry with the same Idempotency-Key (or event id), which is safe",
            )
            .in_chinese("消息服务未及时确认该事件，它可能已写入：请用相同的 Idempotency-Key（或事件编号）重试，这是安全的"))
        }
    }
    let deadline = Instant::now() + state.settings.write_wait();
    loop {
        head.borrow_and_update();
        refusals.borrow_and_update();
        let (log, id) = (state.log.clone(), envelope.event_id);
        let logged = blocking(move || logged_by_id(&log, &id)).await?;
        if let Some(logged) = logged {
            // The id may have reached JetStream first from another sender (its duplicate window
            // then dropped ours): the entry is ours only if it is our producer's.
            if logged.envelope.producer != envelope.producer {
                return Err(Problem::conflict(format!(
                    "event id {} is held by another producer's event (sequence {}); use a new event id or Idempotency-Key",
                    envelope.event_id, logged.seq
                ))
                .in_chinese(format!(
                    "事件编号 {} 已被其他报送方的事件占用（日志第 {} 条）；请换用新的事件编号或 Idempotency-Key",
                    envelope.event_id, logged.seq
                ))
                .at("event_id"));
            }
            return Ok((
                StatusCode::CREATED,
                Json(written(WriteStatus::Durable, Some(logged.seq), false)),
            )
                .into_response());
        }
        if let Some(refused) = state.refusals.get(&envelope.event_id) {
            return Err(refused_problem(&refused));
        }
        let changed = async {
            tokio::select! {
                changed = head.changed() => changed.is_ok(),
                changed = refusals.changed() => changed.is_ok(),
            }
        };
        if !matches!(tokio::time::timeout_at(deadline, changed).await, Ok(true)) {
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

/// The region `institution` is registered in, by the log's facts (403 if it is not registered:
/// events about it are refused for everyone but the registry).
pub(crate) async fn registered_region(
    state: &AppState,
    institution: &tutorwatch_events::CreditCode,
) -> Result<tutorwatch_events::RegionCode, Problem> {
    let (log, code) = (state.log.clone(), institution.clone());
    let fact = blocking(move || {
        tutorwatch_trust::Facts::new(&mut committed_facts(&log)).institution(&code)
    })
    .await?;
    fact.map(|f| f.region).ok_or_else(|| {
        Problem::forbidden(format!(
            "institution {institution} is not registered; only a registry can introduce an institution"
        ))
        .in_chinese(format!("机构 {institution} 尚未登记；只有登记机关可以录入机构"))
        .at("institution")
    })
}

/// The envelope of an event a principal sends through a convenience route, about `institution`
/// in the region its registration names.
pub(crate) async fn envelope_for(
    state: &AppState,
    event_id: EventId,
    principal: &Principal,
    institution: tutorwatch_events::CreditCode,
    event: tutorwatch_events::Event,
) -> Result<Envelope, Problem> {
    let producer = principal.producer().ok_or_else(|| {
        Problem::forbidden("this route is for institutions and officers")
            .in_chinese("此接口供机构和执法人员使用")
    })?;
    let region = registered_region(state, &institution).await?;
    Ok(Envelope {
        event_id,
        institution,
        region,
        producer,
        occurred_at: UtcTime::now(),
        event,
    })
}
