//! Dead letters: a message that does not decode or validate is stored, with its reason, on
//! `tw.dlq.<family>` in the dead-letter stream, and only then terminated, so it is never lost,
//! never retried forever and never blocks the messages behind it.

use async_nats::jetstream::Context;
use async_nats::HeaderMap;
use tutorwatch_events::DLQ_PREFIX;

use crate::subject::family_of;

/// The header that says why a message was dead-lettered.
pub const DLQ_REASON_HEADER: &str = "Tw-Dlq-Reason";
/// The header that keeps the subject the message was published on.
pub const DLQ_ORIGINAL_SUBJECT_HEADER: &str = "Tw-Dlq-Original-Subject";
const DLQ_STREAM_SEQ_HEADER: &str = "Tw-Dlq-Stream-Seq";
/// Header values are one line; reasons longer than this are cut.
const REASON_BYTES_MAX: usize = 1_000;

fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.len() <= REASON_BYTES_MAX {
        return flat;
    }
    let mut end = REASON_BYTES_MAX;
    while !flat.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &flat[..end])
}

/// Publishes `payload` to the dead-letter subject for `subject`'s family and waits until the
/// dead-letter stream has stored it. The id makes a redelivered message's dead letter a duplicate.
pub(crate) async fn publish(
    js: &Context,
    subject: &str,
    stream_seq: u64,
    headers: Option<&HeaderMap>,
    payload: bytes::Bytes,
    reason: &str,
) -> Result<(), String> {
    let family = family_of(subject).map_or("unknown", |f| f.as_str());
    let mut out = HeaderMap::new();
    if let Some(content_type) = headers.and_then(|h| h.get("Content-Type")) {
        out.insert("Content-Type", content_type.as_str());
    }
    out.insert(DLQ_REASON_HEADER, one_line(reason).as_str());
    out.insert(DLQ_ORIGINAL_SUBJECT_HEADER, one_line(subject).as_str());
    out.insert(DLQ_STREAM_SEQ_HEADER, stream_seq.to_string().as_str());
    out.insert("Nats-Msg-Id", format!("dlq-{stream_seq}").as_str());
    let ack = js
        .publish_with_headers(format!("{DLQ_PREFIX}.{family}"), out, payload)
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map_err(|e| e.to_string())?;
    Ok(())
}
