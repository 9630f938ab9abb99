//! The ingest loop: pull a batch from the durable consumer, decode and validate each message,
//! dead-letter the bad ones, append the good ones to the log in one atomic, flushed write, and
//! only then acknowledge them.
//!
//! When NATS goes away the client reconnects by itself and the pull stream is recreated with
//! backoff; the durable consumer remembers what was acknowledged, and anything delivered but not
//! acknowledged is redelivered and dropped as a duplicate by the log's id index.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind};
use futures::StreamExt;
use tokio::sync::watch;
use tracing::Instrument;
use tutorwatch_events::{
    decode_and_validate, encode, Envelope, Sender, UtcTime, ValidationContext,
};
use tutorwatch_log::{AppendOutcome, EventLog, Offer};
use tutorwatch_trust::{Refusal, TrustSettings};

use crate::dead_letter;
use crate::error::IngestError;
use crate::gate::PolicyGate;
use crate::refusals::{RecentRefusals, Refused};
use crate::settings::IngestSettings;
use crate::stats::IngestStats;
use crate::subject;
use crate::topology::ensure_topology;

/// The longest wait between attempts to reach JetStream again.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often the pull stream expects a heartbeat from the server while idle.
const PULL_HEARTBEAT: Duration = Duration::from_secs(5);
/// Attempts at one append before ingest gives up and stops with the store's error.
const APPEND_ATTEMPTS_MAX: u32 = 3;
/// How long a message we could not store waits before JetStream redelivers it.
const REDELIVER_DELAY: Duration = Duration::from_secs(1);

/// Everything the loop needs, passed in explicitly.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub jetstream: jetstream::Context,
    pub log: Arc<EventLog>,
    pub settings: IngestSettings,
    pub validation: Arc<ValidationContext>,
    /// The trust policy's settings (clock skew).
    pub trust: Arc<TrustSettings>,
    pub stats: Arc<IngestStats>,
    /// Where refusals are remembered for writers waiting on their events.
    pub refusals: Arc<RecentRefusals>,
}

/// Runs ingest until `shutdown` turns true (then finishes the batch in hand, flushes and returns
/// `Ok`), or until the log cannot be written (then returns the store's error).
pub async fn run(ingest: Ingest, mut shutdown: watch::Receiver<bool>) -> Result<(), IngestError> {
    ingest.settings.check()?;
    let mut backoff = Duration::from_millis(100);
    'connect: while !*shutdown.borrow() {
        let messages = match open_pull_stream(&ingest).await {
            Ok(messages) => {
                backoff = Duration::from_millis(100);
                messages
            }
            Err(error) => {
                ingest.stats.set_reading(false);
                tracing::warn!(%error, retry_in_ms = backoff.as_millis(), "JetStream not ready");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => {}
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue 'connect;
            }
        };
        tracing::info!(consumer = %ingest.settings.consumer, "ingest is reading");
        ingest.stats.set_reading(true);
        let mut chunks = messages.ready_chunks(ingest.settings.batch_max);
        loop {
            let chunk = tokio::select! {
                biased;
                _ = shutdown.changed() => break 'connect,
                chunk = chunks.next() => chunk,
            };
            let Some(mut items) = chunk else {
                ingest.stats.set_reading(false);
                tracing::warn!("the pull stream ended; opening it again");
                continue 'connect;
            };
            // Group commit: while more messages keep arriving within the linger, take them into
            // the same batch, so one flush covers as many events as the backlog offers.
            let linger = ingest.settings.batch_linger();
            while items.len() < ingest.settings.batch_max {
                match tokio::time::timeout(linger, chunks.next()).await {
                    Ok(Some(more)) => items.extend(more),
                    Ok(None) | Err(_) => break,
                }
            }
            let mut batch = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Ok(message) => batch.push(message),
                    Err(error) => tracing::warn!(%error, "pull stream error"),
                }
            }
            if !batch.is_empty() {
                handle_batch(&ingest, batch).await?;
            }
        }
    }
    ingest.stats.set_reading(false);
    ingest.log.flush()?;
    tracing::info!("ingest stopped; the log is flushed");
    Ok(())
}

async fn open_pull_stream(
    ingest: &Ingest,
) -> Result<jetstream::consumer::pull::Stream, IngestError> {
    let topology = ensure_topology(&ingest.jetstream, &ingest.settings).await?;
    topology
        .consumer
        .stream()
        .max_messages_per_batch(ingest.settings.batch_max)
        .heartbeat(PULL_HEARTBEAT)
        .messages()
        .await
        .map_err(IngestError::jetstream)
}

fn header<'m>(message: &'m jetstream::Message, name: &str) -> Option<&'m str> {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(name))
        .map(|v| v.as_str())
}

/// Decodes, validates and checks one message against its subject and message id; returns the
/// event and the sender its subject proves.
fn accept(
    message: &jetstream::Message,
    validation: &ValidationContext,
) -> Result<(Envelope, Sender), String> {
    let json = header(message, "Content-Type").is_some_and(|t| {
        t.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    let envelope =
        decode_and_validate(&message.payload, json, validation).map_err(|e| e.to_string())?;
    let sender = subject::sender_of(message.subject.as_str(), &envelope)?;
    if let Some(id) = header(message, "Nats-Msg-Id") {
        if id != envelope.event_id.to_string() {
            return Err(format!(
                "Nats-Msg-Id {id:?} differs from the event id {}; they must be the same",
                envelope.event_id
            ));
        }
    }
    Ok((envelope, sender))
}

/// A batch decoded: the events accepted (each with the sender its subject proves, its offer to
/// the log in canonical bytes, and its message, all in the same order), and the messages that
/// did not decode or validate, with the reason.
struct Decoded {
    offered: Vec<(Envelope, Sender)>,
    offers: Vec<Offer>,
    accepted: Vec<jetstream::Message>,
    rejected: Vec<(jetstream::Message, String)>,
}

/// Decodes, validates and encodes a batch (blocking: CPU work).
fn decode_batch(batch: Vec<jetstream::Message>, validation: &ValidationContext) -> Decoded {
    let mut decoded = Decoded {
        offered: Vec::with_capacity(batch.len()),
        offers: Vec::with_capacity(batch.len()),
        accepted: Vec::with_capacity(batch.len()),
        rejected: Vec::new(),
    };
    for message in batch {
        match accept(&message, validation) {
            Ok((envelope, sender)) => {
                decoded.offers.push(Offer {
                    id: envelope.event_id,
                    bytes: encode(&envelope),
                    sender: Some(sender.clone()),
                });
                decoded.offered.push((envelope, sender));
                decoded.accepted.push(message);
            }
            Err(reason) => decoded.rejected.push((message, reason)),
        }
    }
    decoded
}

/// The dead letter's reason and the refusal remembered for a refused or conflicting event.
fn refused(outcome: &AppendOutcome<Refusal>, envelope: &Envelope) -> Option<Refused> {
    match outcome {
        AppendOutcome::Appended(_) | AppendOutcome::Duplicate(_) => None,
        AppendOutcome::Refused(refusal) => Some(Refused {
            code: refusal.code.as_str(),
            field: Some(refusal.field),
            reason: refusal.reason.clone(),
            reason_zh: refusal.reason_zh.clone(),
            producer: envelope.producer.clone(),
        }),
        AppendOutcome::Conflict(seq) => Some(Refused {
            code: "conflict",
            field: Some("event_id"),
            reason: format!(
                "event id {} is already in the log (entry {seq}) for another producer's event; choose a new event id",
                envelope.event_id
            ),
            reason_zh: format!(
                "事件编号 {} 已被其他报送方的事件占用（日志第 {seq} 条）；请换用新的事件编号",
                envelope.event_id
            ),
            producer: envelope.producer.clone(),
        }),
    }
}

async fn handle_batch(ingest: &Ingest, batch: Vec<jetstream::Message>) -> Result<(), IngestError> {
    let span = tracing::info_span!(
        "ingest_batch",
        messages = batch.len(),
        appended = tracing::field::Empty,
        duplicates = tracing::field::Empty,
        dead_lettered = tracing::field::Empty,
        decode_us = tracing::field::Empty,
        append_us = tracing::field::Empty,
        ack_us = tracing::field::Empty,
    );
    async move {
        let started = std::time::Instant::now();
        let received_at = UtcTime::now();
        // Decoding a batch is milliseconds of CPU work: it runs on a blocking thread, so that
        // the runtime's workers stay free for requests and the NATS connection.
        let validation = Arc::clone(&ingest.validation);
        let Decoded {
            offered,
            offers,
            accepted,
            rejected,
        } = tokio::task::spawn_blocking(move || decode_batch(batch, &validation))
            .await
            .map_err(IngestError::DecodeTask)?;
        let mut dead = 0u64;
        for (message, reason) in &rejected {
            dead += 1;
            dead_letter_one(ingest, message, reason).await;
        }
        let decoded = std::time::Instant::now();
        let offered = Arc::new(offered);
        let outcomes = append_with_retries(
            ingest,
            Arc::clone(&offered),
            Arc::new(offers),
            received_at,
            &accepted,
        )
        .await?;
        let appended_at = std::time::Instant::now();
        if ingest.settings.fault_ack_delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(ingest.settings.fault_ack_delay_ms)).await;
        }
        let (mut appended, mut duplicates) = (0u64, 0u64);
        for ((message, outcome), (envelope, sender)) in
            accepted.iter().zip(&outcomes).zip(offered.iter())
        {
            match outcome {
                AppendOutcome::Appended(_) => appended += 1,
                AppendOutcome::Duplicate(_) => duplicates += 1,
                AppendOutcome::Refused(_) | AppendOutcome::Conflict(_) => {}
            }
            if let Some(refusal) = refused(outcome, envelope) {
                dead += 1;
                tracing::warn!(event_id = %envelope.event_id, %sender, code = refusal.code, reason = %refusal.reason, "refused");
                let reason = format!("{}: {}", refusal.code, refusal.reason);
                ingest.refusals.record(envelope.event_id, refusal);
                dead_letter_one(ingest, message, &reason).await;
                continue;
            }
            if let Err(error) = message.ack().await {
                // The event is durable; a lost ack only means a redelivery, which the log drops.
                tracing::warn!(%error, "ack failed; the message will be redelivered and deduplicated");
            }
        }
        let acked = std::time::Instant::now();
        ingest.stats.record_batch(appended, duplicates, dead);
        let span = tracing::Span::current();
        span.record("appended", appended);
        span.record("duplicates", duplicates);
        span.record("dead_lettered", dead);
        span.record("decode_us", (decoded - started).as_micros() as u64);
        span.record("append_us", (appended_at - decoded).as_micros() as u64);
        span.record("ack_us", (acked - appended_at).as_micros() as u64);
        tracing::debug!("batch done");
        Ok(())
    }
    .instrument(span)
    .await
}

async fn dead_letter_one(ingest: &Ingest, message: &jetstream::Message, reason: &str) {
    let stream_seq = message.info().map(|i| i.stream_sequence).unwrap_or(0);
    tracing::warn!(subject = %message.subject, stream_seq, reason, "dead-lettering a message");
    let stored = dead_letter::publish(
        &ingest.jetstream,
        message.subject.as_str(),
        stream_seq,
        message.headers.as_ref(),
        message.payload.clone(),
        reason,
    )
    .await;
    let ack = match stored {
        Ok(()) => AckKind::Term,
        Err(error) => {
            // Not stored as a dead letter: leave it to be redelivered rather than lose it.
            tracing::error!(%error, "could not store a dead letter; it will be redelivered");
            AckKind::Nak(Some(REDELIVER_DELAY))
        }
    };
    if let Err(error) = message.ack_with(ack).await {
        tracing::warn!(%error, "could not settle a dead-lettered message");
    }
}

async fn append_with_retries(
    ingest: &Ingest,
    offered: Arc<Vec<(Envelope, Sender)>>,
    offers: Arc<Vec<Offer>>,
    received_at: UtcTime,
    accepted: &[jetstream::Message],
) -> Result<Vec<AppendOutcome<Refusal>>, IngestError> {
    if offered.is_empty() {
        return Ok(Vec::new());
    }
    let mut attempt = 1;
    loop {
        let log = Arc::clone(&ingest.log);
        let (offers, offered) = (Arc::clone(&offers), Arc::clone(&offered));
        let trust = Arc::clone(&ingest.trust);
        let result = tokio::task::spawn_blocking(move || {
            let mut gate = PolicyGate {
                offered: &offered,
                received_at,
                settings: &trust,
            };
            log.append_gated(&offers, received_at, &mut gate)
        })
        .await
        .map_err(IngestError::AppendTask)?;
        match result {
            Ok(outcomes) => {
                ingest.stats.set_store_failing(false);
                return Ok(outcomes);
            }
            Err(error) if attempt < APPEND_ATTEMPTS_MAX => {
                ingest.stats.set_store_failing(true);
                tracing::error!(%error, attempt, "appending to the log failed; retrying");
                tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                attempt += 1;
            }
            Err(error) => {
                ingest.stats.set_store_failing(true);
                tracing::error!(%error, "appending to the log keeps failing; nothing was acknowledged, stopping ingest");
                for message in accepted {
                    let _ = message.ack_with(AckKind::Nak(Some(REDELIVER_DELAY))).await;
                }
                return Err(error.into());
            }
        }
    }
}
