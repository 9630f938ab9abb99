//! The trust policy from outside, on both paths, against the shipped NATS configuration (TLS, an
//! NKey per sender minted by `tutorwatch nats user add`, each allowed to publish only under its own
//! subject prefix): one matrix of senders × event families × own and other institution, region and
//! account, sent once over HTTP (a token per sender) and once over NATS (with the sender's own
//! credentials), demanding the same verdict from both — accepted into the log, or refused (HTTP
//! 403/422, NATS a dead letter whose reason starts with the same code) with nothing new in the
//! log. Then the attacks the matrix does not cover: id squatting on both paths, case actions
//! outside the API, and the log recording who sent each event.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use async_nats::HeaderMap;
use serde_json::Value;
use tutorwatch_events::examples::{example, legal_order, sample_bank, ExampleParams};
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{
    encode, encode_json, CreditCode, Envelope, Event, EventId, Identity, Producer, RegionCode,
    Sender, UtcTime,
};
use tutorwatch_log::EventLog;

use crate::helpers::*;

const CITY: &str = "440200";

fn code_a() -> CreditCode {
    CreditCode::parse(tutorwatch_events::examples::SAMPLE_CREDIT_CODE).expect("sample")
}

fn code_b() -> CreditCode {
    tutorwatch_events::examples::synthetic_credit_code(7)
}

/// An institution nobody registered.
fn code_unknown() -> CreditCode {
    tutorwatch_events::examples::synthetic_credit_code(8)
}

fn region(code: &str) -> RegionCode {
    RegionCode::parse(code).expect("region")
}

/// An example event of `name` about `institution`, with a fresh id, dated now.
fn event(name: &str, institution: &CreditCode) -> Envelope {
    let index = legal_order()
        .into_iter()
        .find(|&i| tutorwatch_events::EVENT_TYPES[i].name == name)
        .expect("a known event type");
    let mut params = ExampleParams::new(EventId::new_v7());
    params.institution = institution.clone();
    params.region = region(CITY);
    let mut envelope = example(index, &params);
    envelope.occurred_at = UtcTime::now();
    envelope
}

/// What happened to a sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted,
    /// Refused with this code (`unauthorised`, `future_dated`, `conflict`).
    Refused(String),
}

struct World {
    nats: NatsServer,
    service: Service,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    client: reqwest::Client,
    tokens: BTreeMap<&'static str, String>,
    /// Each sender's own JetStream connection, with its own NATS credentials.
    producers: BTreeMap<&'static str, async_nats::jetstream::Context>,
    /// The service's connection (reads the dead-letter stream).
    publisher: Publisher,
}

/// The senders of the matrix: a name, the token's CLI arguments and the NATS identity.
fn senders() -> Vec<(&'static str, Vec<String>, Identity)> {
    let own = |s: &str| s.to_owned();
    vec![
        ("admin", vec![own("--role"), own("admin")], Identity::Admin),
        (
            "institution_a",
            vec![
                own("--role"),
                own("institution"),
                own("--institution"),
                code_a().to_string(),
                own("--region"),
                own(CITY),
            ],
            Identity::Institution(code_a()),
        ),
        (
            "institution_unknown",
            vec![
                own("--role"),
                own("institution"),
                own("--institution"),
                code_unknown().to_string(),
                own("--region"),
                own(CITY),
            ],
            Identity::Institution(code_unknown()),
        ),
        (
            "bank_1",
            vec![own("--role"), own("bank"), own("--bank"), own("bank-1")],
            Identity::Bank(sample_bank()),
        ),
        (
            "bank_2",
            vec![own("--role"), own("bank"), own("--bank"), own("bank-2")],
            Identity::Bank(BankId::parse("bank-2").expect("id")),
        ),
        (
            "registry_city",
            vec![own("--role"), own("registry"), own("--region"), own(CITY)],
            Identity::Registry(region(CITY)),
        ),
        (
            "registry_beijing",
            vec![
                own("--role"),
                own("registry"),
                own("--region"),
                own("110000"),
            ],
            Identity::Registry(region("110000")),
        ),
        (
            "officer_city",
            vec![
                own("--role"),
                own("officer"),
                own("--officer"),
                own("officer-1"),
                own("--region"),
                own(CITY),
            ],
            Identity::Officer {
                officer: OfficerId::parse("officer-1").expect("id"),
                region: region(CITY),
            },
        ),
        (
            "officer_shenzhen",
            vec![
                own("--role"),
                own("officer"),
                own("--officer"),
                own("officer-2"),
                own("--region"),
                own("440300"),
            ],
            Identity::Officer {
                officer: OfficerId::parse("officer-2").expect("id"),
                region: region("440300"),
            },
        ),
    ]
}

/// The settings `serve` needs for the secured server: the service's seed, the CA, its inbox.
fn service_config(server: &NatsServer) -> String {
    format!(
        "[nats]\nnkey_seed_file = {:?}\ntls_ca_file = {:?}\ntls_required = true\ninbox_prefix = \"_INBOX.service\"\n",
        server.keys_dir().join("service.nk"),
        server.ca_file()
    )
}

/// Connects to the secured server with a minted user's seed and inbox prefix, retrying while the
/// server reloads its users file.
async fn connect_as(
    server: &NatsServer,
    seed_file: &Path,
    inbox_prefix: &str,
) -> async_nats::jetstream::Context {
    let seed = std::fs::read_to_string(seed_file)
        .expect("reads the seed")
        .trim()
        .to_owned();
    for _ in 0..50 {
        let connected = async_nats::ConnectOptions::new()
            .nkey(seed.clone())
            .custom_inbox_prefix(inbox_prefix)
            .add_root_certificates(server.ca_file())
            .connection_timeout(Duration::from_secs(3))
            .connect(server.url())
            .await;
        if let Ok(client) = connected {
            return async_nats::jetstream::new(client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} could not connect:\n{}",
        seed_file.display(),
        server.log()
    );
}

/// The `nats user add` flags for a sender's token flags (institutions need no region there).
fn nats_user_args(token_args: &[String]) -> Vec<&str> {
    let institution = token_args.iter().any(|a| a == "institution");
    let mut args = Vec::new();
    let mut flags = token_args.iter().map(String::as_str);
    while let Some(flag) = flags.next() {
        let value = flags.next().expect("flags come with values");
        if !(institution && flag == "--region") {
            args.extend([flag, value]);
        }
    }
    args
}

impl World {
    /// A service on the secured NATS with institutions A and B registered by the city's
    /// registry, and bank-1 holding account `acct-<A>` for A.
    async fn start() -> World {
        let nats = NatsServer::start_secured();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let mut tokens = BTreeMap::new();
        let mut minted = BTreeMap::new();
        for (name, args, _) in senders() {
            let token_args: Vec<&str> = args.iter().map(String::as_str).collect();
            tokens.insert(name, issue_token(&data, &token_args));
            let user = if name == "admin" {
                serde_json::json!({
                    "seed_file": nats.keys_dir().join("admin.nk"),
                    "inbox_prefix": "_INBOX.admin",
                })
            } else {
                nats.add_user(&nats_user_args(&args))
            };
            minted.insert(name, user);
        }
        nats.reload();
        let service = Service::start_with_config(&nats.url(), &data, &service_config(&nats));
        service.wait_ready().await;
        let mut producers = BTreeMap::new();
        for (name, user) in &minted {
            let seed_file =
                std::path::PathBuf::from(user["seed_file"].as_str().expect("seed file"));
            let inbox = user["inbox_prefix"].as_str().expect("inbox prefix");
            producers.insert(*name, connect_as(&nats, &seed_file, inbox).await);
        }
        let publisher = Publisher {
            js: connect_as(&nats, &nats.keys_dir().join("service.nk"), "_INBOX.service").await,
        };
        let world = World {
            nats,
            service,
            _dir: dir,
            data,
            client: reqwest::Client::new(),
            tokens,
            producers,
            publisher,
        };
        for (token, envelope) in [
            (
                "registry_city",
                event("registry.institution_registered", &code_a()),
            ),
            (
                "registry_city",
                event("registry.institution_registered", &code_b()),
            ),
            ("bank_1", event("escrow.account_opened", &code_a())),
        ] {
            assert_eq!(
                world.over_http(token, &envelope).await,
                Verdict::Accepted,
                "{}",
                envelope.event.event_type()
            );
        }
        world
    }

    async fn post(&self, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.service.http))
            .bearer_auth(&self.tokens[token])
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends `envelope` with `token` through `POST /v1/events`.
    async fn over_http(&self, token: &str, envelope: &Envelope) -> Verdict {
        let (status, body) = self
            .post(token, "/v1/events", encode_json(envelope).expect("encodes"))
            .await;
        match status {
            201 => Verdict::Accepted,
            403 => Verdict::Refused("unauthorised".into()),
            409 => Verdict::Refused("conflict".into()),
            422 if body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("比收到事件的时间")) =>
            {
                Verdict::Refused("future_dated".into())
            }
            other => panic!("unexpected answer {other}: {body}"),
        }
    }

    /// Publishes `envelope` with sender `name`'s own credentials on its own subject (postcard,
    /// with `Nats-Msg-Id` unless `msg_id` is false), and waits for the PubAck.
    async fn publish_as(&self, name: &str, envelope: &Envelope, msg_id: bool) {
        let identity = senders()
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, _, identity)| identity)
            .expect("a sender of the matrix");
        let mut headers = HeaderMap::new();
        if msg_id {
            headers.insert("Nats-Msg-Id", envelope.event_id.to_string().as_str());
        }
        self.producers[name]
            .publish_with_headers(
                envelope.subject_as(&Sender::direct(identity)),
                headers,
                encode(envelope).into(),
            )
            .await
            .expect("publishes")
            .await
            .expect("JetStream acknowledges");
    }

    /// Where an event ended: in the log, or dead-lettered with a reason code. Waits for either.
    async fn fate(&self, id: EventId) -> Verdict {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let logged = self
                .service
                .get_json_with(&format!("/v1/events/{id}"), &self.tokens["admin"])
                .await
                .is_some_and(|(status, body)| status == 200 && body["status"] == "durable");
            if logged {
                return Verdict::Accepted;
            }
            if let Some(reason) = self.dead_letter_reason(id).await {
                return Verdict::Refused(reason.split(':').next().unwrap_or_default().to_owned());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "event {id} was neither logged nor dead-lettered in 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The reason of the dead letter holding event `id`, if there is one.
    async fn dead_letter_reason(&self, id: EventId) -> Option<String> {
        let mut stream = self.publisher.js.get_stream("TW_DLQ").await.ok()?;
        let last = stream.info().await.ok()?.state.last_sequence;
        for seq in 1..=last {
            let Ok(message) = stream.get_raw_message(seq).await else {
                continue;
            };
            let json = message
                .headers
                .get("Content-Type")
                .is_some_and(|t| t.as_str().contains("json"));
            let decoded = if json {
                tutorwatch_events::decode_json(&message.payload)
            } else {
                tutorwatch_events::decode(&message.payload)
            };
            if decoded.is_ok_and(|e| e.event_id == id) {
                return message
                    .headers
                    .get("Tw-Dlq-Reason")
                    .map(|r| r.as_str().to_owned());
            }
        }
        None
    }

    /// The log's length (asked with a token: anonymous callers are rate-limited).
    async fn logged(&self) -> u64 {
        let (status, stats) = self
            .service
            .get_json_with("/v1/log/stats", &self.tokens["admin"])
            .await
            .expect("the service answers");
        assert_eq!(status, 200, "{stats}");
        stats["events"].as_u64().expect("a count")
    }
}

/// One row of the matrix: who sends, what, and the verdict both paths must give.
struct Case {
    name: &'static str,
    sender: &'static str,
    envelope: fn() -> Envelope,
    expected: Verdict,
}

fn accepted() -> Verdict {
    Verdict::Accepted
}

fn unauthorised() -> Verdict {
    Verdict::Refused("unauthorised".into())
}

fn with_producer(mut envelope: Envelope, producer: Producer) -> Envelope {
    envelope.producer = producer;
    envelope
}

fn matrix() -> Vec<Case> {
    vec![
        Case {
            name: "an institution publishes its own schedule",
            sender: "institution_a",
            envelope: || event("schedule.course_published", &code_a()),
            expected: accepted(),
        },
        Case {
            name: "an institution files its schedule under another province",
            sender: "institution_a",
            envelope: || {
                let mut e = event("schedule.course_published", &code_a());
                e.region = region("110101");
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "an institution sends about another institution",
            sender: "institution_a",
            envelope: || {
                with_producer(
                    event("schedule.course_cancelled", &code_b()),
                    Producer::Institution(code_a()),
                )
            },
            expected: unauthorised(),
        },
        Case {
            name: "an institution sends as another institution",
            sender: "institution_a",
            envelope: || event("schedule.course_cancelled", &code_b()),
            expected: unauthorised(),
        },
        Case {
            name: "an institution posts an escrow event",
            sender: "institution_a",
            envelope: || {
                with_producer(
                    event("escrow.fee_collected", &code_a()),
                    Producer::Institution(code_a()),
                )
            },
            expected: unauthorised(),
        },
        Case {
            name: "an unregistered institution publishes a schedule",
            sender: "institution_unknown",
            envelope: || event("schedule.course_published", &code_unknown()),
            expected: unauthorised(),
        },
        Case {
            name: "the holding bank posts a fee into its account",
            sender: "bank_1",
            envelope: || event("escrow.fee_collected", &code_a()),
            expected: accepted(),
        },
        Case {
            name: "the holding bank states its balance",
            sender: "bank_1",
            envelope: || event("escrow.daily_balance", &code_a()),
            expected: accepted(),
        },
        Case {
            name: "a bank with no account there posts a fee outside escrow",
            sender: "bank_2",
            envelope: || {
                let mut e = with_producer(
                    event("escrow.fee_collected", &code_a()),
                    Producer::Bank(BankId::parse("bank-2").expect("id")),
                );
                if let Event::FeeCollected(fee) = &mut e.event {
                    fee.supervised_account = None;
                }
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "a bank re-opens another bank's account in its own name",
            sender: "bank_2",
            envelope: || {
                let mut e = with_producer(
                    event("escrow.account_opened", &code_a()),
                    Producer::Bank(BankId::parse("bank-2").expect("id")),
                );
                if let Event::SupervisedAccountOpened(opened) = &mut e.event {
                    opened.bank = BankId::parse("bank-2").expect("id");
                }
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "a bank posts about another bank's account",
            sender: "bank_2",
            envelope: || {
                with_producer(
                    event("escrow.funds_released", &code_a()),
                    Producer::Bank(BankId::parse("bank-2").expect("id")),
                )
            },
            expected: unauthorised(),
        },
        Case {
            name: "a bank posts as another bank",
            sender: "bank_2",
            envelope: || event("escrow.fee_collected", &code_a()),
            expected: unauthorised(),
        },
        Case {
            name: "the holding bank posts about an institution where it holds no account",
            sender: "bank_1",
            envelope: || {
                let mut e = event("escrow.refund_requested", &code_b());
                if let Event::FeeCollected(fee) = &mut e.event {
                    fee.supervised_account = None;
                }
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "the holding bank's fee dated an hour ahead",
            sender: "bank_1",
            envelope: || {
                let mut e = event("escrow.fee_collected", &code_a());
                e.occurred_at = UtcTime::from_timestamp(
                    UtcTime::now()
                        .timestamp()
                        .checked_add(jiff::SignedDuration::from_hours(1))
                        .expect("in range"),
                );
                e
            },
            expected: Verdict::Refused("future_dated".into()),
        },
        Case {
            name: "the operator posts a fee for the holding bank",
            sender: "admin",
            envelope: || event("escrow.fee_collected", &code_a()),
            expected: accepted(),
        },
        Case {
            name: "the city's registry suspends a licence in its city",
            sender: "registry_city",
            envelope: || event("registry.licence_suspended", &code_a()),
            expected: accepted(),
        },
        Case {
            name: "another province's registry revokes the licence naming its own region",
            sender: "registry_beijing",
            envelope: || {
                let mut e = with_producer(
                    event("registry.licence_revoked", &code_a()),
                    Producer::Registry(region("110000")),
                );
                e.region = region("110000");
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "another province's registry revokes the licence naming the right region",
            sender: "registry_beijing",
            envelope: || {
                with_producer(
                    event("registry.licence_revoked", &code_a()),
                    Producer::Registry(region("110000")),
                )
            },
            expected: unauthorised(),
        },
        Case {
            name: "another province's registry re-registers the institution under itself",
            sender: "registry_beijing",
            envelope: || {
                let mut e = with_producer(
                    event("registry.institution_registered", &code_a()),
                    Producer::Registry(region("110000")),
                );
                e.region = region("110101");
                if let Event::InstitutionRegistered(r) = &mut e.event {
                    r.region = region("110101");
                }
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "a registry registers an institution outside its jurisdiction",
            sender: "registry_beijing",
            envelope: || {
                let mut e = with_producer(
                    event("registry.institution_registered", &code_unknown()),
                    Producer::Registry(region("110000")),
                );
                e.region = region("110101");
                if let Event::InstitutionRegistered(r) = &mut e.event {
                    r.region = region("110101");
                }
                e
            },
            expected: unauthorised(),
        },
        Case {
            name: "the city's officer files an ad about a city institution",
            sender: "officer_city",
            envelope: || {
                with_producer(
                    event("advertising.ad_observed", &code_a()),
                    Producer::Officer(OfficerId::parse("officer-1").expect("id")),
                )
            },
            expected: accepted(),
        },
        Case {
            name: "another city's officer files an ad about this city's institution",
            sender: "officer_shenzhen",
            envelope: || {
                with_producer(
                    event("advertising.ad_observed", &code_a()),
                    Producer::Officer(OfficerId::parse("officer-2").expect("id")),
                )
            },
            expected: unauthorised(),
        },
    ]
}

#[tokio::test]
async fn both_paths_give_the_same_verdict_for_every_sender_family_and_fact() {
    let world = World::start().await;
    let mut failures = Vec::new();
    for case in matrix() {
        let before = world.logged().await;
        let over_http = world.over_http(case.sender, &(case.envelope)()).await;
        let after_http = world.logged().await;

        let envelope = (case.envelope)();
        world.publish_as(case.sender, &envelope, true).await;
        let over_nats = world.fate(envelope.event_id).await;
        let after_nats = world.logged().await;

        let grew = |from: u64, to: u64, verdict: &Verdict| match verdict {
            Verdict::Accepted => to == from + 1,
            Verdict::Refused(_) => to == from,
        };
        if over_http != case.expected
            || over_nats != case.expected
            || !grew(before, after_http, &over_http)
            || !grew(after_http, after_nats, &over_nats)
        {
            failures.push(format!(
                "{}: expected {:?}, HTTP {over_http:?} (log {before} -> {after_http}), NATS {over_nats:?} (log -> {after_nats})",
                case.name, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    drop(world.nats);
}

#[tokio::test]
async fn ids_cannot_be_squatted_and_case_actions_enter_only_through_the_api() {
    let mut world = World::start().await;

    // Over NATS: the registry's event takes an id first; bank-1's event under the same id (sent
    // without Nats-Msg-Id, so JetStream's window does not drop it) is refused as a conflict, not
    // dropped as a duplicate.
    let squatter_id = EventId::new_v7();
    let mut squat = event("registry.licence_suspended", &code_a());
    squat.event_id = squatter_id;
    world.publish_as("registry_city", &squat, true).await;
    assert_eq!(world.fate(squatter_id).await, Verdict::Accepted);
    let mut victim = event("escrow.fee_collected", &code_a());
    victim.event_id = squatter_id;
    world.publish_as("bank_1", &victim, false).await;
    wait_until(
        Duration::from_secs(20),
        "the conflict to be dead-lettered",
        || async { world.dead_letter_reason(squatter_id).await.is_some() },
    )
    .await;
    let reason = world
        .dead_letter_reason(squatter_id)
        .await
        .expect("a dead letter");
    assert!(reason.starts_with("conflict:"), "{reason}");

    // Nobody "retries" another producer's event: the same event from another sender is refused,
    // not answered as a replay.
    let (status, body) = world
        .post(
            "bank_2",
            "/v1/events",
            encode_json(&squat).expect("encodes"),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // Over HTTP: the same id from another producer is 409, never a silent "replayed".
    let (status, body) = world
        .post(
            "bank_1",
            "/v1/events",
            encode_json(&victim).expect("encodes"),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["field"], "event_id");

    // Idempotency-Key ids are keyed with the server's secret: the id the old public formula
    // (UUID v5 of the principal and key) would give is not the one used, so a squatter who
    // computes it and takes it first does not block the institution's write.
    let key = "order-2025-0001";
    let public = uuid::Uuid::new_v5(
        &uuid::Uuid::from_u128(0x5d0c_3f4e_8a1b_4c2d_9e6f_7a8b_9c0d_1e2f),
        format!("institution:{}\n{key}", code_a()).as_bytes(),
    );
    let mut squat = event("escrow.fee_collected", &code_a());
    squat.event_id = EventId::from_uuid(public);
    assert_eq!(world.over_http("bank_1", &squat).await, Verdict::Accepted);
    let course = serde_json::to_vec(&match event("schedule.course_published", &code_a()).event {
        Event::CoursePublished(course) => course,
        _ => unreachable!("a course"),
    })
    .expect("encodes");
    let response = world
        .client
        .post(format!("{}/v1/schedules", world.service.http))
        .bearer_auth(&world.tokens["institution_a"])
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(course.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    let written: Value = response.json().await.expect("json");
    assert_ne!(written["event_id"], public.to_string());
    assert_eq!(written["replayed"], false);

    // Case actions over NATS are refused, whoever sends them, even the operator; and
    // POST /v1/events refuses them (they go through the finding's action route).
    let mut acted = event("supervision.officer_acted", &code_a());
    acted.producer = Producer::Officer(OfficerId::parse("officer-1").expect("id"));
    for sender in ["officer_city", "admin"] {
        let mut attempt = acted.clone();
        attempt.event_id = EventId::new_v7();
        world.publish_as(sender, &attempt, true).await;
        assert_eq!(
            world.fate(attempt.event_id).await,
            Verdict::Refused("unauthorised".into())
        );
        // Its producer (and the operator) can ask why; anyone else sees nothing.
        let path = format!("/v1/events/{}", attempt.event_id);
        let (status, body) = world
            .service
            .get_json_with(&path, &world.tokens["officer_city"])
            .await
            .expect("answers");
        assert_eq!(status, 403, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("只能通过 HTTP 接口")),
            "{body}"
        );
        let (status, _) = world
            .service
            .get_json_with(&path, &world.tokens["bank_1"])
            .await
            .expect("answers");
        assert_eq!(status, 404);
    }
    let (status, body) = world
        .post(
            "officer_city",
            "/v1/events",
            encode_json(&acted).expect("encodes"),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // The log records who sent each event: the registry's NATS identity, and the API token for
    // the institution's write.
    let logged = world.logged().await;
    assert!(
        world.service.terminate().success(),
        "{}",
        world.service.stderr()
    );
    let log = EventLog::open(&world.data.join("log")).expect("opens");
    let records = log.read_from(1, logged as usize).expect("reads");
    let by_id = |id: EventId| {
        records
            .iter()
            .find(|r| r.envelope().is_ok_and(|e| e.event_id == id))
            .expect("logged")
            .clone()
    };
    let squatted = by_id(squatter_id);
    assert_eq!(
        squatted.sender,
        Some(Sender::direct(Identity::Registry(region(CITY))))
    );
    let written_id: EventId = written["event_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("an event id");
    let through_api = by_id(written_id);
    let sender = through_api.sender.expect("a sender");
    assert_eq!(sender.identity, Identity::Institution(code_a()));
    let token_hash = blake3::hash(world.tokens["institution_a"].as_bytes()).to_hex();
    assert_eq!(
        sender.api_token.map(|t| t.to_string()),
        Some(token_hash[..12].to_owned())
    );
    assert_eq!(log.verify(|_| {}).expect("verifies").first_bad, None);
}
