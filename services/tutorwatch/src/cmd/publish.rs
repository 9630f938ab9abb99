//! `tutorwatch publish`: validates event files locally and publishes them to JetStream on their
//! producer's subject (or the admin loader's), with the event id as `Nats-Msg-Id`. `gen --publish`
//! sends through the same `send_json`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tutorwatch_events::{decode_json, Sender, ValidationContext};

use crate::cmd::output::print_json;

/// Reads JSON events: each non-blank line of each file (a file holding one pretty-printed event
/// is read whole).
fn read_events(files: &[PathBuf]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut events = Vec::new();
    for file in files {
        let text = if file.as_os_str() == "-" {
            let mut text = String::new();
            for line in std::io::stdin().lock().lines() {
                text.push_str(&line?);
                text.push('\n');
            }
            text
        } else {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        };
        let trimmed = text.trim();
        if trimmed.starts_with('{') && serde_json::from_str::<serde_json::Value>(trimmed).is_ok() {
            events.push((file.display().to_string(), trimmed.as_bytes().to_vec()));
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                let place = format!("{}:{}", file.display(), number + 1);
                events.push((place, line.as_bytes().to_vec()));
            }
        }
    }
    Ok(events)
}

/// The subject `sender` publishes `envelope` on; with no sender, the producer's own.
pub(crate) fn subject_of(
    envelope: &tutorwatch_events::Envelope,
    sender: Option<&Sender>,
) -> String {
    match sender {
        Some(sender) => envelope.subject_as(sender),
        None => envelope.subject(),
    }
}

/// Publishes one JSON event on its subject (as `sender`, or its producer) with its id as
/// `Nats-Msg-Id`; returns the ack to await (so callers may keep several in flight).
pub(crate) async fn send_json(
    js: &async_nats::jetstream::Context,
    envelope: &tutorwatch_events::Envelope,
    sender: Option<&Sender>,
    bytes: Vec<u8>,
) -> anyhow::Result<async_nats::jetstream::context::PublishAckFuture> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
    headers.insert("Content-Type", "application/json");
    Ok(js
        .publish_with_headers(subject_of(envelope, sender), headers, bytes.into())
        .await?)
}

pub(crate) async fn publish(
    url: &str,
    nats: &crate::nats::NatsSettings,
    files: &[PathBuf],
    validation: &ValidationContext,
    sender: Option<&Sender>,
) -> anyhow::Result<ExitCode> {
    let events = read_events(files)?;
    let client = crate::nats::connect_once(url, nats, "tutorwatch publish").await?;
    let js = async_nats::jetstream::new(client);
    let mut failures = 0usize;
    for (place, bytes) in events {
        let envelope = match decode_json(&bytes) {
            Ok(envelope) => envelope,
            Err(error) => {
                failures += 1;
                eprintln!("{place}: not sent: {error}");
                continue;
            }
        };
        if let Err(error) = envelope.validate(validation) {
            failures += 1;
            eprintln!("{place}: not sent: {error}");
            continue;
        }
        let ack = send_json(&js, &envelope, sender, bytes)
            .await
            .with_context(|| format!("{place}: publishing"))?
            .await
            .with_context(|| format!("{place}: waiting for JetStream's ack"))?;
        print_json(&json!({
            "event_id": envelope.event_id.to_string(),
            "subject": subject_of(&envelope, sender),
            "stream_seq": ack.sequence,
            "duplicate": ack.duplicate,
        }))?;
    }
    if failures > 0 {
        eprintln!("{failures} event(s) were not sent");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
