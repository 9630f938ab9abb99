//! Publishing events the way producers do: postcard (canonical) or JSON, with or without
//! `Nats-Msg-Id`, pipelined so that thousands take well under a second.

use async_nats::jetstream::{self, context::PublishAckFuture};
use async_nats::HeaderMap;
use tutorwatch_events::examples::subject_of;
use tutorwatch_events::{encode, encode_json, Envelope};

/// How many publishes are in flight before their acks are awaited.
const IN_FLIGHT_MAX: usize = 512;

/// A JetStream context for a test's server.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub js: jetstream::Context,
}

impl Publisher {
    /// Connects to `url`.
    pub async fn connect(url: &str) -> Self {
        let client = async_nats::connect(url)
            .await
            .expect("Failed to connect to the test nats-server");
        Self {
            js: jetstream::new(client),
        }
    }

    /// Publishes raw bytes on a subject with the given headers and waits for the stream's ack.
    pub async fn raw(&self, subject: &str, headers: HeaderMap, payload: Vec<u8>) {
        self.js
            .publish_with_headers(subject.to_owned(), headers, payload.into())
            .await
            .expect("Failed to publish")
            .await
            .expect("JetStream did not ack");
    }
}

fn headers(envelope: &Envelope, with_msg_id: bool, json: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if with_msg_id {
        headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
    }
    if json {
        headers.insert("Content-Type", "application/json");
    }
    headers
}

async fn send(
    js: &jetstream::Context,
    envelope: &Envelope,
    with_msg_id: bool,
    json: bool,
) -> PublishAckFuture {
    let payload = if json {
        encode_json(envelope).expect("Failed to encode JSON")
    } else {
        encode(envelope)
    };
    js.publish_with_headers(
        subject_of(envelope),
        headers(envelope, with_msg_id, json),
        payload.into(),
    )
    .await
    .expect("Failed to publish")
}

/// Publishes every event (postcard unless `json(i)`, with `Nats-Msg-Id` when `with_msg_id(i)`),
/// keeping up to `IN_FLIGHT_MAX` in flight, and waits for every ack.
pub async fn publish_all(
    publisher: &Publisher,
    envelopes: &[Envelope],
    with_msg_id: impl Fn(usize) -> bool,
    json: impl Fn(usize) -> bool,
) {
    let mut in_flight = Vec::with_capacity(IN_FLIGHT_MAX);
    for (i, envelope) in envelopes.iter().enumerate() {
        in_flight.push(send(&publisher.js, envelope, with_msg_id(i), json(i)).await);
        if in_flight.len() == IN_FLIGHT_MAX {
            for ack in in_flight.drain(..) {
                ack.await.expect("JetStream did not ack");
            }
        }
    }
    for ack in in_flight {
        ack.await.expect("JetStream did not ack");
    }
}
