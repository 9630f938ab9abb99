//! The service's limits against a real nats-server and a running service: slow or idle
//! connections are closed after the header read timeout and cannot starve `/healthz`, the
//! connection cap makes new connections wait, live streams are capped per principal, anonymous
//! callers are rate-limited per address, the public lists page through the store's index, an
//! officer cannot page into an institution outside the jurisdiction, and the process takes its
//! memory without transparent huge pages.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::*;

const CITY: &str = "440200";
const CODE_A: &str = "52440200MJL123454R";

/// A well-formed credit code registered in `region`, varied by `n`.
fn credit_code(region: &str, n: u32) -> String {
    let body = format!("52{region}MJL{n:06}");
    let draft = tutorwatch_events::CreditCode::parse(&format!("{body}0")).expect("well-formed");
    format!("{body}{}", draft.expected_check_char())
}

fn registration(code: &str, region: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.institution_registered",
        "version": 1,
        "institution": code,
        "region": region,
        "producer": {"registry": region},
        "occurred_at": "2025-08-01T09:00:00+08:00",
        "data": {
            "name": "某某培训学校",
            "region": region,
            "category": "subject",
            "subjects": ["mathematics"],
            "modes": "both",
            "non_profit": true,
            "licence": format!("lic-{code}"),
            "approved_on": "2020-03-01",
            "approved_sites": [{"id": "site-1", "address": "某路1号"}],
        }
    })
}

/// An online course of one lesson of 31 minutes ending after 21:00 (two findings).
fn late_course(id: &str) -> Value {
    json!({
        "course": id,
        "title": "五年级数学",
        "subject": "mathematics",
        "grade_band": "primary",
        "mode": "online",
        "site": null,
        "teachers": [],
        "price_per_lesson": 3000,
        "class_size_max": 30,
        "sessions": [{
            "lesson": format!("{id}-1"),
            "start": "2025-09-01T20:29:01+08:00",
            "end": "2025-09-01T21:00:01+08:00",
        }],
    })
}

/// A service started with `config` (TOML), with an admin token.
struct Limited {
    _nats: NatsServer,
    service: Service,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    client: reqwest::Client,
    admin: String,
}

impl Limited {
    async fn start(config: &str) -> Limited {
        let nats = NatsServer::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let admin = issue_token(&data, &["--role", "admin"]);
        let service = Service::start_with_config(&nats.url(), &data, config);
        service.wait_ready().await;
        Limited {
            _nats: nats,
            service,
            _dir: dir,
            data,
            client: reqwest::Client::new(),
            admin,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.http)
    }

    fn addr(&self) -> String {
        self.service
            .http
            .strip_prefix("http://")
            .expect("an http URL")
            .to_owned()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the service answers")
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Asserts a problem document with `status`; returns it.
async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], status, "{body}");
    body
}

/// `/healthz` on a fresh connection, with a client-side time limit.
async fn healthz(http: &str, limit: Duration) -> Result<Duration, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(limit)
        .build()
        .expect("a client");
    let started = Instant::now();
    let response = client.get(format!("{http}/healthz")).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    Ok(started.elapsed())
}

/// Waits until the server closes `socket` (EOF or reset); returns how long that took, or
/// `None` if it is still open after `limit`.
async fn closed_within(socket: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(remaining, socket.read(&mut buffer)).await {
            Err(_elapsed) => return None,
            Ok(Ok(0)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue, // e.g. a 408 the server sends before closing
            Ok(Err(error))
                if matches!(
                    error.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
                ) =>
            {
                return Some(started.elapsed())
            }
            Ok(Err(error)) => panic!("reading the socket: {error}"),
        }
    }
}

#[tokio::test]
async fn idle_and_half_sent_connections_do_not_starve_healthz_and_are_closed() {
    let api = Limited::start("[api]\nheader_read_timeout_ms = 1000\n").await;
    let opened = Instant::now();
    let mut idle = Vec::new();
    let mut half_sent = Vec::new();
    for _ in 0..150 {
        idle.push(TcpStream::connect(api.addr()).await.expect("connects"));
        let mut socket = TcpStream::connect(api.addr()).await.expect("connects");
        socket
            .write_all(b"GET /v1/lists/black HTTP/1.1\r\nHost: tutorwatch\r\nAccept: */")
            .await
            .expect("writes");
        half_sent.push(socket);
    }
    // Three hundred sockets held open: /healthz still answers at once.
    for _ in 0..3 {
        let took = healthz(&api.service.http, Duration::from_secs(2))
            .await
            .expect("/healthz answers while 300 sockets are held");
        assert!(took < Duration::from_millis(500), "/healthz took {took:?}");
    }
    // The server closes every one of them after the header read timeout, not before.
    for socket in half_sent.iter_mut().chain(idle.iter_mut()) {
        let closed = closed_within(socket, Duration::from_secs(10)).await;
        assert!(closed.is_some(), "a held socket is still open after 10 s");
    }
    let all_closed = opened.elapsed();
    assert!(
        all_closed >= Duration::from_millis(900),
        "closed after {all_closed:?}, before the 1 s header timeout"
    );
    assert!(all_closed < Duration::from_secs(6), "{all_closed:?}");
}

/// The kernel backs no memory of `serve` with transparent huge pages (`memory.rs` in the
/// service says why).
#[tokio::test]
async fn serve_runs_without_transparent_huge_pages() {
    let api = Limited::start("").await;
    let status = std::fs::read_to_string(format!("/proc/{}/status", api.service.pid()))
        .expect("reads the process's status");
    let enabled = status
        .lines()
        .find_map(|line| line.strip_prefix("THP_enabled:"))
        .map(str::trim)
        .expect("the kernel reports THP_enabled");
    assert_eq!(enabled, "0", "{status}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let api = Limited::start("[api]\nheader_read_timeout_ms = 1000\n").await;
    let mut socket = TcpStream::connect(api.addr()).await.expect("connects");
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: tutorwatch\r\n\r\n")
        .await
        .expect("writes");
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buffer))
            .await
            .expect("an answer")
            .expect("reads");
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buffer[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("connection: close"));
    // The connection is kept alive, then closed once idle for the timeout.
    let closed = closed_within(&mut socket, Duration::from_secs(5))
        .await
        .expect("the idle keep-alive connection is closed");
    assert!(
        closed >= Duration::from_millis(700),
        "closed after {closed:?}"
    );
}

#[tokio::test]
async fn at_the_connection_cap_new_connections_wait_for_a_free_slot() {
    let api = Limited::start("[api]\nheader_read_timeout_ms = 1500\nconnections_max = 8\n").await;
    let opened = Instant::now();
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(api.addr()).await.expect("connects"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Every slot is taken: a new connection is not served (it waits in the backlog)...
    assert!(
        healthz(&api.service.http, Duration::from_millis(500))
            .await
            .is_err(),
        "served beyond connections_max"
    );
    // ...until the held ones time out and free their slots.
    healthz(&api.service.http, Duration::from_secs(10))
        .await
        .expect("served once a slot is free");
    assert!(
        opened.elapsed() >= Duration::from_millis(1_400),
        "served after {:?}, before any held connection timed out",
        opened.elapsed()
    );
}

#[tokio::test]
async fn live_streams_are_capped_per_principal_and_a_closed_stream_frees_its_slot() {
    let api = Limited::start("[api]\nstreams_per_principal_max = 2\n").await;
    let officer = issue_token(
        &api.data,
        &["--role", "officer", "--officer", "city-1", "--region", CITY],
    );
    let first = api.get("/v1/findings/stream", Some(&officer)).await;
    assert_eq!(first.status().as_u16(), 200);
    let second = api.get("/v1/findings/stream", Some(&officer)).await;
    assert_eq!(second.status().as_u16(), 200);
    let refused = problem(api.get("/v1/findings/stream", Some(&officer)).await, 429).await;
    let detail = refused["detail"].as_str().expect("detail");
    assert!(
        detail.contains('2') && detail.contains("api.streams_per_principal_max"),
        "{refused}"
    );
    // Another principal has slots of its own.
    let admin_stream = api.get("/v1/findings/stream", Some(&api.admin)).await;
    assert_eq!(admin_stream.status().as_u16(), 200);

    // Closing a stream frees its slot.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    let third = loop {
        let response = api.get("/v1/findings/stream", Some(&officer)).await;
        if response.status().as_u16() == 200 {
            break response;
        }
        problem(response, 429).await;
        assert!(
            Instant::now() < deadline,
            "the closed stream's slot was not freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // And the cap still holds with the freed slot taken again.
    problem(api.get("/v1/findings/stream", Some(&officer)).await, 429).await;
    drop((second, third, admin_stream));
}

#[tokio::test]
async fn anonymous_callers_are_rate_limited_per_address_and_token_holders_are_not() {
    let api = Limited::start("[api]\nanonymous_requests_per_sec = 1\nanonymous_burst = 3\n").await;
    for _ in 0..3 {
        let response = api.get("/v1/lists/black", None).await;
        assert_eq!(response.status().as_u16(), 200);
    }
    let response = api.get("/v1/lists/white", None).await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    let limited = problem(response, 429).await;
    assert_eq!(limited["type"], "urn:tutorwatch:problem:rate-limited");
    problem(api.get("/v1/log/stats", None).await, 429).await;
    // A bad token is anonymous too.
    problem(
        api.get("/v1/lists/black", Some("tw_not-a-token")).await,
        429,
    )
    .await;
    // A valid token is not limited by address, and the probes are never limited.
    for _ in 0..10 {
        let response = api.get("/v1/lists/black", Some(&api.admin)).await;
        assert_eq!(response.status().as_u16(), 200);
        let response = api.get("/healthz", None).await;
        assert_eq!(response.status().as_u16(), 200);
    }
    // The budget refills at the configured rate.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let response = api.get("/v1/lists/black", None).await;
    assert_eq!(response.status().as_u16(), 200);
}

/// Every entry of a public list, `limit` at a time.
async fn listed(api: &Limited, list: &str, limit: usize) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut after = String::new();
    loop {
        let response = api
            .get(
                &format!("/v1/lists/{list}?limit={limit}{after}"),
                Some(&api.admin),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let page: Value = response.json().await.expect("JSON");
        let batch = page["institutions"].as_array().expect("institutions");
        assert!(batch.len() <= limit);
        entries.extend(batch.iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return entries,
        }
    }
}

fn codes(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["credit_code"].as_str().expect("credit_code").to_owned())
        .collect()
}

#[tokio::test]
async fn the_public_lists_page_through_the_list_index() {
    let api = Limited::start("").await;
    // Registered institutions with nothing else (unlisted), and ones whose licence the registry
    // revoked and that deliver a lesson anyway (black: operating with a revoked licence).
    // Unregistered institutions cannot send anything: the trust policy refuses them.
    let registered: Vec<String> = (1..=3).map(|n| credit_code(CITY, n)).collect();
    for code in &registered {
        let (status, body) = api
            .post("/v1/events", &api.admin, &registration(code, CITY))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut unlicensed: Vec<String> = (4..=8).map(|n| credit_code(CITY, n)).collect();
    unlicensed.sort();
    for code in &unlicensed {
        let (status, body) = api
            .post("/v1/events", &api.admin, &registration(code, CITY))
            .await;
        assert_eq!(status, 201, "{body}");
        let revoked = json!({
            "event_id": uuid::Uuid::now_v7(),
            "type": "registry.licence_revoked",
            "version": 1,
            "institution": code,
            "region": CITY,
            "producer": {"registry": CITY},
            "occurred_at": "2025-08-15T09:00:00+08:00",
            "data": {"reason": "吊销"},
        });
        let (status, body) = api.post("/v1/events", &api.admin, &revoked).await;
        assert_eq!(status, 201, "{body}");
        let token = issue_token(
            &api.data,
            &[
                "--role",
                "institution",
                "--institution",
                code,
                "--region",
                CITY,
            ],
        );
        let (status, body) = api.post("/v1/schedules", &token, &late_course("c-1")).await;
        assert_eq!(status, 201, "{body}");
        let lesson = json!({
            "course": "c-1", "lesson": "c-1-1",
            "start": "2025-09-01T20:29:01+08:00", "end": "2025-09-01T21:00:01+08:00",
            "site": null, "teachers": [], "attendees": 12,
        });
        let (status, body) = api.post("/v1/lessons", &token, &lesson).await;
        assert_eq!(status, 201, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while codes(&listed(&api, "black", 1000).await) != unlicensed {
        assert!(
            Instant::now() < deadline,
            "the black list is {:?}, not {unlicensed:?}",
            codes(&listed(&api, "black", 1000).await)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for list in ["black", "white"] {
        let whole = listed(&api, list, 1000).await;
        assert!(whole.iter().all(|e| e["status"] == list), "{whole:?}");
        assert_eq!(
            codes(&listed(&api, list, 1).await),
            codes(&whole),
            "{list}, by 1"
        );
        assert_eq!(
            codes(&listed(&api, list, 2).await),
            codes(&whole),
            "{list}, by 2"
        );
        // Each entry's list is the one its institution's record names.
        for code in codes(&whole) {
            let record: Value = api
                .get(&format!("/v1/institutions/{code}"), Some(&api.admin))
                .await
                .json()
                .await
                .expect("JSON");
            assert_eq!(record["list"]["status"], list, "{code}");
        }
    }
    // Registered institutions with nothing else are on neither list.
    for code in &registered {
        let record: Value = api
            .get(&format!("/v1/institutions/{code}"), Some(&api.admin))
            .await
            .json()
            .await
            .expect("JSON");
        assert_eq!(record["list"]["status"], "unlisted", "{record}");
    }
    // A page ends where it says, and `after` continues from there.
    let response = api.get("/v1/lists/black?limit=2", Some(&api.admin)).await;
    let page: Value = response.json().await.expect("JSON");
    assert_eq!(page["next"], unlicensed[1]);
}

#[tokio::test]
async fn an_officer_cannot_page_into_an_institution_outside_the_jurisdiction() {
    let api = Limited::start("").await;
    let city_officer = issue_token(
        &api.data,
        &["--role", "officer", "--officer", "city-1", "--region", CITY],
    );
    let guangxi = "450100";
    let guangxi_officer = issue_token(
        &api.data,
        &[
            "--role",
            "officer",
            "--officer",
            "gx-1",
            "--region",
            "450000",
        ],
    );
    let outside = credit_code(guangxi, 9);
    let (status, body) = api
        .post("/v1/events", &api.admin, &registration(&outside, guangxi))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = api
        .post("/v1/events", &api.admin, &registration(CODE_A, CITY))
        .await;
    assert_eq!(status, 201, "{body}");
    for (code, region, course) in [(&outside, guangxi, "gx"), (&CODE_A.to_owned(), CITY, "sg")] {
        let token = issue_token(
            &api.data,
            &[
                "--role",
                "institution",
                "--institution",
                code,
                "--region",
                region,
            ],
        );
        for n in 0..3 {
            let (status, body) = api
                .post(
                    "/v1/schedules",
                    &token,
                    &late_course(&format!("{course}-{n}")),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
    }
    // The Guangxi officer sees the outside institution's findings (six: two per course).
    let deadline = Instant::now() + Duration::from_secs(10);
    let theirs = loop {
        let response = api
            .get(
                &format!("/v1/findings?institution={outside}&limit=1000"),
                Some(&guangxi_officer),
            )
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let page: Value = response.json().await.expect("JSON");
        let found = page["findings"].as_array().expect("findings").clone();
        if found.len() >= 6 {
            break found;
        }
        assert!(Instant::now() < deadline, "findings were not projected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // The city officer asking for it is refused exactly like for an unknown institution:
    // the JSON feed, the CSV export and the live stream alike, with or without a cursor.
    let unknown = credit_code(CITY, 99);
    let cursor = theirs[0]["cursor"].as_str().expect("cursor");
    for route in [
        "/v1/findings",
        "/v1/findings/export.csv",
        "/v1/findings/stream",
    ] {
        for extra in [String::new(), format!("&limit=1&after={cursor}")] {
            let refused = problem(
                api.get(
                    &format!("{route}?institution={outside}{extra}"),
                    Some(&city_officer),
                )
                .await,
                403,
            )
            .await;
            let refused_unknown = problem(
                api.get(
                    &format!("{route}?institution={unknown}{extra}"),
                    Some(&city_officer),
                )
                .await,
                403,
            )
            .await;
            assert_eq!(refused["field"], "query.institution", "{refused}");
            assert_eq!(
                refused["detail"]
                    .as_str()
                    .expect("detail")
                    .replace(&outside, "X"),
                refused_unknown["detail"]
                    .as_str()
                    .expect("detail")
                    .replace(&unknown, "X"),
                "an outside institution answers like an unknown one"
            );
        }
    }
    // Its own jurisdiction, a page at a time: every cursor it is handed names one of its own
    // findings, and a foreign cursor given as `after` or `Last-Event-ID` yields nothing foreign.
    let mut after = String::new();
    let mut own = Vec::new();
    loop {
        let response = api
            .get(&format!("/v1/findings?limit=1{after}"), Some(&city_officer))
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let page: Value = response.json().await.expect("JSON");
        for finding in page["findings"].as_array().expect("findings") {
            assert_eq!(finding["institution"], CODE_A, "{finding}");
            own.push(finding["cursor"].as_str().expect("cursor").to_owned());
        }
        match page["next"].as_str() {
            Some(next) => {
                assert!(
                    own.contains(&next.to_owned()),
                    "next {next} is not one of its own"
                );
                after = format!("&after={next}");
            }
            None => break,
        }
    }
    assert!(own.len() >= 6, "{own:?}");
    let response = api
        .get(&format!("/v1/findings?after={cursor}"), Some(&city_officer))
        .await;
    let page: Value = response.json().await.expect("JSON");
    assert!(page["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["institution"] == CODE_A));
}
