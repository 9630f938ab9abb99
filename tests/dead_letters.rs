//! Bad input on NATS (empty, garbage, truncated, oversized, a wrong format byte or schema version,
//! invalid fields): every kind lands in the dead-letter stream with its reason, and ingest goes
//! on with the messages behind it.

use std::time::Duration;

use async_nats::HeaderMap;
use tutorwatch_events::codec::{EVENT_BYTES_MAX, WIRE_FORMAT_V1};
use tutorwatch_events::{encode, encode_json};

use crate::helpers::*;

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Content-Type", "application/json");
    headers
}

#[tokio::test]
async fn bad_payloads_are_dead_lettered_with_a_reason_and_do_not_stop_ingest() {
    let nats = NatsServer::start();
    let data = tempfile::tempdir().expect("tempdir");
    let mut service = Service::start(&nats.url(), data.path());
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;

    let good = sample_events(50);
    let subject = good[0].subject();
    let valid = encode(&good[0]);

    // Each bad message, and a fragment its dead-letter reason must contain.
    let mut bad: Vec<(String, HeaderMap, Vec<u8>, &str)> = vec![
        (subject.clone(), HeaderMap::new(), vec![], "empty"),
        (
            subject.clone(),
            HeaderMap::new(),
            b"\x07garbage".to_vec(),
            "format byte",
        ),
        (
            subject.clone(),
            HeaderMap::new(),
            valid[..valid.len() / 2].to_vec(),
            "decode",
        ),
        (
            subject.clone(),
            HeaderMap::new(),
            vec![WIRE_FORMAT_V1; EVENT_BYTES_MAX + 10],
            "bytes",
        ),
        (
            subject.clone(),
            json_headers(),
            b"{not json".to_vec(),
            "undecodable",
        ),
    ];
    // JSON with a negative amount, a time without a zone, a bad credit code, an unknown field.
    let published = good
        .iter()
        .find(|e| e.event.event_type() == "schedule.course_published")
        .expect("the sample has a course publication");
    let json: serde_json::Value =
        serde_json::from_slice(&encode_json(published).expect("json")).expect("json");
    let mut negative = json.clone();
    negative["data"]["price_per_lesson"] = serde_json::json!(-100);
    let mut zoneless = json.clone();
    zoneless["data"]["sessions"][0]["end"] = serde_json::json!("2025-09-01T19:30:00");
    let mut checksum = json.clone();
    checksum["institution"] = serde_json::json!("52440200MJL123454Q");
    let mut unknown = json.clone();
    unknown["data"]["student_name"] = serde_json::json!("张三");
    let json_subject = published
        .subject()
        .replace("52440200MJL123454R", "52440200MJL123454Q");
    for (value, subject, reason) in [
        (negative, published.subject(), "data.price_per_lesson"),
        (zoneless, published.subject(), "data.sessions[0].end"),
        (checksum, json_subject, "checksum"),
        (unknown, published.subject(), "data.student_name"),
    ] {
        bad.push((
            subject,
            json_headers(),
            serde_json::to_vec(&value).expect("json"),
            reason,
        ));
    }
    // Random bytes behind the right format byte (a fixed LCG, so the test is repeatable).
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let random: Vec<u8> = std::iter::once(WIRE_FORMAT_V1)
        .chain((0..300).map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 56) as u8
        }))
        .collect();
    bad.push((subject.clone(), HeaderMap::new(), random, "undecodable"));
    // A schema version this build cannot read, in postcard (the version is the varint after the
    // 16-byte event id and the type code) and in JSON.
    let mut future = encode(&good[5]);
    let info = good[5].event.info();
    assert_eq!(
        (future[1], u16::from(future[18]), u16::from(future[19])),
        (16, info.code, info.version)
    );
    future[19] = 9;
    bad.push((
        good[5].subject(),
        HeaderMap::new(),
        future,
        "schema version 9",
    ));
    let mut versioned = json.clone();
    versioned["version"] = serde_json::json!(99);
    bad.push((
        published.subject(),
        json_headers(),
        serde_json::to_vec(&versioned).expect("json"),
        "schema version 99",
    ));
    // A valid event on another institution's subject, and a message id that is not the event id.
    let other = tutorwatch_events::examples::synthetic_credit_code(9).to_string();
    bad.push((
        good[1]
            .subject()
            .replace(".52440200MJL123454R", &format!(".{other}")),
        HeaderMap::new(),
        encode(&good[1]),
        "belongs on",
    ));
    let mut wrong_id = HeaderMap::new();
    wrong_id.insert("Nats-Msg-Id", "not-the-event-id");
    bad.push((good[2].subject(), wrong_id, encode(&good[2]), "Nats-Msg-Id"));
    // An unknown family, and an unknown kind of sender.
    bad.push((
        "tw.in.registry.440200.gossip.52440200MJL123454R".into(),
        HeaderMap::new(),
        encode(&good[3]),
        "not an event family",
    ));
    bad.push((
        "tw.in.gossip.440200.registry.52440200MJL123454R".into(),
        HeaderMap::new(),
        encode(&good[3]),
        "not a sender kind",
    ));

    // The institution's registration first (events about an unregistered institution are
    // refused), then bad messages interleaved with good ones: the good ones behind them must all
    // get through.
    publish_all(&publisher, &good[..10], |_| true, |_| false).await;
    let good_behind: Vec<_> = good[10..].to_vec();
    for (i, (subject, headers, payload, _)) in bad.iter().enumerate() {
        publisher
            .raw(subject, headers.clone(), payload.clone())
            .await;
        publish_all(
            &publisher,
            &good_behind[i * 2..i * 2 + 2],
            |_| true,
            |_| false,
        )
        .await;
    }
    let rest = &good_behind[bad.len() * 2..];
    publish_all(&publisher, rest, |_| true, |_| false).await;

    wait_until(
        Duration::from_secs(30),
        "every good event to be logged",
        || async {
            ingest_drained(&publisher.js).await
                && service.logged_events().await == Some(good.len() as u64)
        },
    )
    .await;
    let (_, stats) = service.get_json("/v1/log/stats").await.expect("stats");
    assert_eq!(stats["ingest"]["dead_lettered"], bad.len() as u64);

    let dlq = publisher
        .js
        .get_stream("TW_DLQ")
        .await
        .expect("the DLQ stream exists");
    for (i, (subject, _, payload, reason)) in bad.iter().enumerate() {
        let letter = dlq
            .get_raw_message(i as u64 + 1)
            .await
            .expect("one dead letter per bad message, in order");
        let headers = letter.headers;
        let got_reason = headers
            .get(tutorwatch_ingest_headers::REASON)
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        assert!(
            got_reason.contains(reason),
            "dead letter {i}: reason {got_reason:?} should mention {reason:?}"
        );
        assert_eq!(
            headers
                .get(tutorwatch_ingest_headers::ORIGINAL_SUBJECT)
                .map(|v| v.as_str()),
            Some(subject.as_str())
        );
        let expected_family = tutorwatch_events::Sender::parse_subject(subject)
            .map_or("unknown", |(_, family, _)| family.as_str());
        assert_eq!(letter.subject.as_str(), format!("tw.dlq.{expected_family}"));
        assert_eq!(
            &letter.payload[..],
            &payload[..],
            "the payload is kept as sent"
        );
    }
    assert!(service.terminate().success(), "{}", service.stderr());
    let ids = logged_ids(data.path());
    let expected: std::collections::BTreeSet<_> = good.iter().map(|e| e.event_id).collect();
    assert_eq!(distinct(&ids), expected);
}

/// The header names, as the ingest crate defines them (kept here to test the wire contract).
mod tutorwatch_ingest_headers {
    pub const REASON: &str = "Tw-Dlq-Reason";
    pub const ORIGINAL_SUBJECT: &str = "Tw-Dlq-Original-Subject";
}
