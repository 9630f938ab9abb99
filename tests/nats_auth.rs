//! Authenticated, least-privilege NATS: the shipped `deploy/nats` configuration (TLS, NKey users
//! minted by `tutorwatch nats user add`) with real clients. A producer publishes only under its
//! own sender prefix and gets its PubAck; it cannot publish as another sender or as the service,
//! read events or findings, spoof findings, or touch JetStream's API (consumer info and next,
//! stream purge). `tutorwatch serve` runs over TLS with the service's NKey.

use std::path::Path;
use std::time::Duration;

use futures::StreamExt as _;
use tokio::sync::mpsc;
use tutorwatch_events::examples::SAMPLE_CREDIT_CODE;

use crate::helpers::{wait_until, NatsServer, Service};

/// The settings `serve` needs for the secured server: the service's seed, the CA, its inbox.
fn service_config(server: &NatsServer) -> String {
    format!(
        "[nats]\nnkey_seed_file = {:?}\ntls_ca_file = {:?}\ntls_required = true\ninbox_prefix = \"_INBOX.service\"\n",
        server.keys_dir().join("service.nk"),
        server.ca_file()
    )
}

fn seed(path: &Path) -> String {
    std::fs::read_to_string(path)
        .expect("Failed to read a seed file")
        .trim()
        .to_owned()
}

/// A client that reports the server's errors (permission violations) on a channel.
struct Client {
    nats: async_nats::Client,
    errors: mpsc::UnboundedReceiver<String>,
}

async fn connect(
    server: &NatsServer,
    seed_file: Option<&Path>,
    inbox_prefix: Option<&str>,
    with_ca: bool,
) -> Result<Client, async_nats::ConnectError> {
    let (tx, errors) = mpsc::unbounded_channel();
    let mut options = async_nats::ConnectOptions::new()
        .request_timeout(Some(Duration::from_millis(1500)))
        .connection_timeout(Duration::from_secs(3))
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                if let async_nats::Event::ServerError(error) = event {
                    let _ = tx.send(error.to_string());
                }
            }
        });
    if let Some(path) = seed_file {
        options = options.nkey(seed(path));
    }
    if let Some(prefix) = inbox_prefix {
        options = options.custom_inbox_prefix(prefix);
    }
    if with_ca {
        options = options.add_root_certificates(server.ca_file());
    }
    let nats = options.connect(server.url()).await?;
    Ok(Client { nats, errors })
}

/// Connects as a just-added user, retrying while the server reloads its users file.
async fn connect_new_user(server: &NatsServer, seed_file: &Path, inbox_prefix: &str) -> Client {
    for _ in 0..50 {
        if let Ok(client) = connect(server, Some(seed_file), Some(inbox_prefix), true).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the new user could not connect after the reload:\n{}",
        server.log()
    );
}

impl Client {
    /// Waits for the server's permission violation naming `what` (e.g. `Publish to "x"`).
    async fn expect_violation(&mut self, what: &str) {
        let wanted = format!("Permissions Violation for {what}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.errors.recv()).await {
                Ok(Some(error)) if error.contains(&wanted) => return,
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => panic!("the server did not refuse: {wanted}"),
            }
        }
    }
}

/// How many messages the `TW_IN` stream holds, as the service's user sees it.
async fn stream_messages(js: &async_nats::jetstream::Context) -> u64 {
    let mut stream = js.get_stream("TW_IN").await.expect("TW_IN exists");
    stream.info().await.expect("stream info").state.messages
}

fn fee_json() -> (String, Vec<u8>) {
    let output = std::process::Command::new(crate::helpers::binary())
        .args(["example", "escrow.fee_collected"])
        .output()
        .expect("Failed to run tutorwatch example");
    assert!(output.status.success());
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the example is JSON");
    let id = value["event_id"].as_str().expect("an event id").to_owned();
    (id, serde_json::to_vec(&value).expect("JSON"))
}

#[tokio::test]
async fn a_producer_may_only_publish_under_its_own_sender() {
    let server = NatsServer::start_secured();
    let data = tempfile::tempdir().expect("Failed to create the data dir");
    let service = Service::start_with_config(
        &server.url(),
        &data.path().join("data"),
        &service_config(&server),
    );
    service.wait_ready().await;

    let bank = server.add_user(&["--role", "bank", "--bank", "icbc.gz"]);
    assert_eq!(bank["publish"], serde_json::json!(["tw.in.bank.icbc~gz.>"]));
    server.add_user(&["--role", "reader", "--name", "audit"]);
    server.reload();
    let keys = server.keys_dir();
    let mut bank = connect_new_user(
        &server,
        &keys.join("bank.icbc~gz.nk"),
        "_INBOX.bank.icbc~gz",
    )
    .await;
    let reader = connect_new_user(
        &server,
        &keys.join("reader.audit.nk"),
        "_INBOX.reader.audit",
    )
    .await;
    let mut findings = reader
        .nats
        .subscribe("tw.out.findings.>")
        .await
        .expect("the reader subscribes to findings");
    reader.nats.flush().await.expect("flush");
    let owner = connect(
        &server,
        Some(&keys.join("service.nk")),
        Some("_INBOX.service"),
        true,
    )
    .await
    .expect("the service's user connects");
    let js = async_nats::jetstream::new(owner.nats.clone());
    let before = stream_messages(&js).await;

    // Allowed: its own prefix, with the PubAck delivered to its own inbox.
    let (event_id, body) = fee_json();
    let subject = format!("tw.in.bank.icbc~gz.escrow.{SAMPLE_CREDIT_CODE}");
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id.as_str());
    headers.insert("Content-Type", "application/json");
    let bank_js = async_nats::jetstream::new(bank.nats.clone());
    let ack = bank_js
        .publish_with_headers(subject, headers, body.clone().into())
        .await
        .expect("the publish is sent")
        .await
        .expect("JetStream acks the bank's own subject");
    assert_eq!(ack.stream, "TW_IN");
    assert!(!ack.duplicate);

    // Refused publishes: another bank, an institution, the admin loader, the service's API
    // subjects, dead letters, findings, the JetStream API.
    let denied_publishes = [
        format!("tw.in.bank.abc.escrow.{SAMPLE_CREDIT_CODE}"),
        format!("tw.in.inst.{SAMPLE_CREDIT_CODE}.schedule.{SAMPLE_CREDIT_CODE}"),
        format!("tw.in.admin.escrow.{SAMPLE_CREDIT_CODE}"),
        format!("tw.in.api.t1.bank.icbc~gz.escrow.{SAMPLE_CREDIT_CODE}"),
        format!("tw.in.registry.440200.registry.{SAMPLE_CREDIT_CODE}"),
        "tw.dlq.escrow".to_owned(),
        "tw.out.findings.440200.ONLINE_END_BY_2100".to_owned(),
        "$JS.API.STREAM.PURGE.TW_IN".to_owned(),
    ];
    for subject in &denied_publishes {
        bank.nats
            .publish(subject.clone(), body.clone().into())
            .await
            .expect("the client sends it");
        bank.nats.flush().await.expect("flush");
        bank.expect_violation(&format!("Publish to \"{subject}\""))
            .await;
    }

    // The JetStream API as requests: consumer info, pull next, stream purge, stream info.
    for api in [
        "$JS.API.CONSUMER.INFO.TW_IN.tutorwatch-ingest",
        "$JS.API.CONSUMER.MSG.NEXT.TW_IN.tutorwatch-ingest",
        "$JS.API.STREAM.PURGE.TW_IN",
        "$JS.API.STREAM.INFO.TW_IN",
    ] {
        let reply = bank.nats.request(api, "{}".into()).await;
        assert!(reply.is_err(), "{api} answered the bank: {reply:?}");
        bank.expect_violation(&format!("Publish to \"{api}\""))
            .await;
    }
    assert!(bank_js.get_stream("TW_IN").await.is_err());

    // Refused subscriptions: events, findings, other inboxes, everything.
    for subject in [
        "tw.in.>",
        "tw.out.>",
        "tw.out.findings.>",
        "tw.dlq.>",
        "_INBOX.service.>",
        "_INBOX.bank.abc.>",
        "$JS.API.>",
        ">",
    ] {
        let _subscription = bank
            .nats
            .subscribe(subject)
            .await
            .expect("the client sends it");
        bank.nats.flush().await.expect("flush");
        bank.expect_violation(&format!("Subscription to \"{subject}\""))
            .await;
    }

    // Nothing refused got through: one message in the stream (the allowed one), the stream was
    // not purged, and no spoofed finding reached the reader.
    assert_eq!(stream_messages(&js).await, before + 1);
    let spoofed = tokio::time::timeout(Duration::from_millis(500), findings.next()).await;
    assert!(
        spoofed.is_err(),
        "a spoofed finding was delivered: {spoofed:?}"
    );

    // The reader may not publish at all, not even findings.
    let mut reader = reader;
    reader
        .nats
        .publish("tw.out.findings.440200.X", "{}".into())
        .await
        .expect("the client sends it");
    reader.nats.flush().await.expect("flush");
    reader
        .expect_violation("Publish to \"tw.out.findings.440200.X\"")
        .await;
}

#[tokio::test]
async fn strangers_and_clients_that_do_not_check_the_server_are_refused() {
    let server = NatsServer::start_secured();
    // No credentials.
    let error = connect(&server, None, None, true)
        .await
        .err()
        .expect("a client without credentials is refused");
    assert!(
        error.to_string().contains("authorization violation"),
        "{error}"
    );
    // A well-formed NKey the server does not know.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let minted = std::process::Command::new(crate::helpers::binary())
        .args(["nats", "user", "add", "--role", "admin", "--out"])
        .arg(dir.path())
        .arg("--users")
        .arg(dir.path().join("not-the-servers-users.conf"))
        .output()
        .expect("Failed to run tutorwatch nats user add");
    assert!(minted.status.success());
    let stranger = dir.path().join("admin.nk");
    assert!(connect(&server, Some(&stranger), None, true).await.is_err());
    // The service's own key, but without the CA: the server's certificate is not trusted.
    let service_seed = server.keys_dir().join("service.nk");
    assert!(
        connect(&server, Some(&service_seed), Some("_INBOX.service"), false)
            .await
            .is_err()
    );
    // Plaintext: the server requires TLS.
    let plain = server.url().replacen("tls://", "nats://", 1);
    let mut stream = tokio::net::TcpStream::connect(plain.trim_start_matches("nats://"))
        .await
        .expect("the port is open");
    let mut info = vec![0u8; 4096];
    let n = tokio::io::AsyncReadExt::read(&mut stream, &mut info)
        .await
        .expect("the server greets");
    let info = String::from_utf8_lossy(&info[..n]);
    assert!(info.contains("\"tls_required\":true"), "{info}");
    // And the right key with the CA is let in.
    connect(&server, Some(&service_seed), Some("_INBOX.service"), true)
        .await
        .expect("the service's user connects over TLS");
}

#[tokio::test]
async fn revoking_every_key_lets_nobody_in() {
    let server = NatsServer::start_secured();
    let service_seed = server.keys_dir().join("service.nk");
    connect(&server, Some(&service_seed), Some("_INBOX.service"), true)
        .await
        .expect("the service's user connects before the revocation");
    // Delete every user's line, as an operator revokes keys, and reload.
    let users = std::fs::read_to_string(server.users_file()).expect("the users file");
    let kept: Vec<&str> = users.lines().filter(|l| !l.contains("nkey:")).collect();
    assert!(kept.len() < users.lines().count(), "{users}");
    std::fs::write(server.users_file(), kept.join("\n") + "\n").expect("rewrite the users file");
    server.reload();
    wait_until(
        Duration::from_secs(10),
        "the revocation to take effect",
        || async {
            connect(&server, Some(&service_seed), Some("_INBOX.service"), true)
                .await
                .is_err()
        },
    )
    .await;
    // nats-server would treat an empty user list as "no authentication": the placeholder user
    // that `nats user add` writes keeps strangers out.
    let error = connect(&server, None, None, true)
        .await
        .err()
        .expect("with every key revoked, a client without credentials is still refused");
    assert!(
        error.to_string().contains("authorization violation"),
        "{error}"
    );
}

/// Runs the `tutorwatch` CLI as a NATS client of `server` with the given user's seed file and
/// inbox prefix (the `TW_NATS_*` variables), and returns its stdout; panics if it fails.
fn run_as(server: &NatsServer, seed_file: &Path, inbox: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(crate::helpers::binary())
        .args(args)
        .env("TW_NATS_URL", server.url())
        .env("TW_NATS_NKEY_SEED_FILE", seed_file)
        .env("TW_NATS_TLS_CA_FILE", server.ca_file())
        .env("TW_NATS_TLS_REQUIRED", "true")
        .env("TW_NATS_INBOX_PREFIX", inbox)
        .output()
        .expect("Failed to run tutorwatch");
    assert!(
        output.status.success(),
        "tutorwatch {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[tokio::test]
async fn serve_ingests_what_producers_publish_over_tls_with_their_own_keys() {
    let server = NatsServer::start_secured();
    let data = tempfile::tempdir().expect("Failed to create the data dir");
    let service = Service::start_with_config(
        &server.url(),
        &data.path().join("data"),
        &service_config(&server),
    );
    service.wait_ready().await;
    let (status, body) = service.get_json("/readyz").await.expect("readyz answers");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nats_connected"], true);

    // The example registration's producer is the registry of 440200: mint its user, reload, and
    // publish it with `tutorwatch publish` and that key.
    let minted = server.add_user(&["--role", "registry", "--region", "440200"]);
    let inbox = minted["inbox_prefix"]
        .as_str()
        .expect("an inbox prefix")
        .to_owned();
    assert_eq!(inbox, "_INBOX.registry.440200");
    let seed_file = minted["seed_file"]
        .as_str()
        .expect("a seed file")
        .to_owned();
    server.reload();
    connect_new_user(&server, Path::new(&seed_file), &inbox).await;
    let example = run_as(
        &server,
        Path::new(&seed_file),
        &inbox,
        &["example", "registry.institution_registered"],
    );
    let file = data.path().join("registration.json");
    std::fs::write(&file, example).expect("write the event");
    let printed = run_as(
        &server,
        Path::new(&seed_file),
        &inbox,
        &["publish", file.to_str().expect("a UTF-8 path")],
    );
    let ack: serde_json::Value = serde_json::from_str(printed.trim()).expect("publish prints JSON");
    assert_eq!(
        ack["subject"],
        format!("tw.in.registry.440200.registry.{SAMPLE_CREDIT_CODE}")
    );
    assert_eq!(ack["duplicate"], false);
    wait_until(
        Duration::from_secs(20),
        "the registration in the log",
        || async { service.logged_events().await == Some(1) },
    )
    .await;

    // An API write: the service publishes it on `tw.in.api.<token>.…` with its own key.
    let issued = std::process::Command::new(crate::helpers::binary())
        .args(["token", "issue", "--role", "admin", "--data"])
        .arg(&service.data_dir)
        .output()
        .expect("Failed to run tutorwatch token issue");
    assert!(issued.status.success(), "{issued:?}");
    let issued: serde_json::Value = serde_json::from_slice(&issued.stdout).expect("JSON");
    let token = issued["token"].as_str().expect("a token");
    let again = run_as(
        &server,
        Path::new(&seed_file),
        &inbox,
        &["example", "registry.institution_registered"],
    );
    let response = reqwest::Client::new()
        .post(format!("{}/v1/events", service.http))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(again)
        .send()
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 201, "{body}");
    assert_eq!(service.logged_events().await, Some(2));

    // The admin loader (its key minted at the start) publishes a small city on `tw.in.admin.…`.
    let printed = run_as(
        &server,
        &server.keys_dir().join("admin.nk"),
        "_INBOX.admin",
        &[
            "gen",
            "--seed",
            "3",
            "--institutions",
            "100",
            "--publish",
            &server.url(),
        ],
    );
    let sent: u64 = printed
        .trim()
        .strip_prefix("events: ")
        .and_then(|n| n.parse().ok())
        .expect("gen prints `events: N`");
    assert!(sent > 100, "{printed}");
    wait_until(Duration::from_secs(60), "the city in the log", || async {
        service.logged_events().await == Some(2 + sent)
    })
    .await;
    assert_eq!(service.ingest_counter("dead_lettered").await, Some(0));
}

#[tokio::test]
async fn serve_publishes_its_checkpoints_with_the_service_key() {
    let server = NatsServer::start_secured();
    let root = tempfile::tempdir().expect("Failed to create a directory");
    let key_file = root.path().join("checkpoint.key");
    let keygen = std::process::Command::new(crate::helpers::binary())
        .args(["checkpoint", "keygen", "--out"])
        .arg(&key_file)
        .output()
        .expect("Failed to run tutorwatch checkpoint keygen");
    assert!(keygen.status.success(), "{keygen:?}");
    let config = format!(
        "{}[checkpoints]\nkey_file = {:?}\nevery_events = 1\n",
        service_config(&server),
        key_file
    );
    let data = root.path().join("data");
    let mut service = Service::start_with_config(&server.url(), &data, &config);
    service.wait_ready().await;
    let example = run_as(
        &server,
        &server.keys_dir().join("admin.nk"),
        "_INBOX.admin",
        &["example", "registry.institution_registered"],
    );
    let file = root.path().join("registration.json");
    std::fs::write(&file, example).expect("write the event");
    run_as(
        &server,
        &server.keys_dir().join("admin.nk"),
        "_INBOX.admin",
        &["publish", "--admin", file.to_str().expect("a UTF-8 path")],
    );
    wait_until(Duration::from_secs(20), "the event in the log", || async {
        service.logged_events().await == Some(1)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    // The shipped grant lets the service publish on tw.checkpoints: the stream holds the same
    // checkpoint as the file in the data directory.
    let client = connect(
        &server,
        Some(&server.keys_dir().join("service.nk")),
        Some("_INBOX.service"),
        true,
    )
    .await
    .expect("the service's key connects");
    let stream = async_nats::jetstream::new(client.nats)
        .get_stream("TW_CHECKPOINTS")
        .await
        .expect("serve created the checkpoint stream");
    let message = stream
        .get_last_raw_message_by_subject("tw.checkpoints")
        .await
        .expect("a checkpoint was published");
    let published: serde_json::Value =
        serde_json::from_slice(&message.payload).expect("a checkpoint is JSON");
    assert_eq!(published["seq"], 1);
    let written = std::fs::read_to_string(data.join("checkpoints.jsonl"))
        .expect("the default checkpoints file");
    let last: serde_json::Value =
        serde_json::from_str(written.lines().last().expect("a line")).expect("JSON");
    assert_eq!(published, last);
}
