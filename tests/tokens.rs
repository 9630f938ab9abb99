//! Token administration and the data directory against the real binary: many `token issue` and
//! `token revoke` processes at once on one data directory while `serve` runs, expiry, the data
//! directory's permissions, and names with bidi controls refused before they reach the log.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tutorwatch_events::Event;
use tutorwatch_log::EventLog;

use crate::helpers::*;

const CODE: &str = "52440200MJL123454R";
const CITY: &str = "440200";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("the path exists")
        .permissions()
        .mode()
        & 0o777
}

/// Starts `tutorwatch token <args> --data <data>` without waiting for it.
fn spawn_token(data: &Path, args: &[&str]) -> Child {
    Command::new(binary())
        .arg("token")
        .args(args)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs tutorwatch token")
}

fn finish(child: Child) -> Output {
    let output = child.wait_with_output().expect("tutorwatch token exits");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Issues an admin token labelled `label`; returns (id, token, stderr).
fn issue(data: &Path, extra: &[&str]) -> (String, String, String) {
    let output = finish(spawn_token(
        data,
        &[&["issue", "--role", "admin"][..], extra].concat(),
    ));
    let issued: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    (
        issued["id"].as_str().expect("an id").to_owned(),
        issued["token"].as_str().expect("a token").to_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn list(data: &Path) -> Vec<Value> {
    let output = finish(spawn_token(data, &["list"]));
    let listed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    listed["tokens"].as_array().expect("tokens").clone()
}

/// The status and problem document of `GET /v1/findings?limit=1` with `token`.
async fn call(client: &reqwest::Client, service: &Service, token: &str) -> (u16, Value) {
    let response = client
        .get(format!("{}/v1/findings?limit=1", service.http))
        .bearer_auth(token)
        .send()
        .await
        .expect("the service answers");
    let status = response.status().as_u16();
    if status >= 400 {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(content_type, "application/problem+json");
    }
    (status, response.json().await.unwrap_or(Value::Null))
}

// Multi-threaded: the poller runs while this thread waits for the token processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_issues_and_revokes_all_land_while_serve_runs() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (_, steady, _) = issue(&data, &["--label", "steady"]);
    assert_eq!(mode(&data), 0o700, "token issue creates the data dir 0700");
    let service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    let client = reqwest::Client::new();

    // Twelve tokens to revoke, issued at once.
    let doomed: Vec<(String, String)> = (0..12)
        .map(|i| {
            spawn_token(
                &data,
                &["issue", "--role", "admin", "--label", &format!("d{i}")],
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|child| {
            let issued: Value =
                serde_json::from_slice(&finish(child).stdout).expect("JSON on stdout");
            (
                issued["id"].as_str().expect("id").to_owned(),
                issued["token"].as_str().expect("token").to_owned(),
            )
        })
        .collect();
    for (_, token) in &doomed {
        assert_eq!(call(&client, &service, token).await.0, 200);
    }

    // While the token file churns, a token that nobody touches keeps working on every request:
    // the service never reads a half-written file.
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let poller = {
        let (stop, checked) = (Arc::clone(&stop), Arc::clone(&checked));
        let (client, url, steady) = (client.clone(), service.http.clone(), steady.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let status = client
                    .get(format!("{url}/v1/findings?limit=1"))
                    .bearer_auth(&steady)
                    .send()
                    .await
                    .expect("the service answers")
                    .status()
                    .as_u16();
                assert_eq!(status, 200, "the steady token was refused mid-churn");
                checked.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    // Twelve revokes and a hundred issues, all at once, as separate processes.
    let revokes: Vec<Child> = doomed
        .iter()
        .map(|(id, _)| spawn_token(&data, &["revoke", id]))
        .collect();
    let issues: Vec<Child> = (0..100)
        .map(|i| {
            spawn_token(
                &data,
                &["issue", "--role", "admin", "--label", &format!("n{i}")],
            )
        })
        .collect();
    for child in revokes {
        finish(child);
    }
    let issued: Vec<(String, String)> = issues
        .into_iter()
        .map(|child| {
            let output = finish(child);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&data.join("tokens.jsonl").display().to_string()),
                "issue names the token file: {stderr}"
            );
            let issued: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
            (
                issued["id"].as_str().expect("id").to_owned(),
                issued["token"].as_str().expect("token").to_owned(),
            )
        })
        .collect();
    stop.store(true, Ordering::Relaxed);
    poller.await.expect("the poller ran");
    assert!(checked.load(Ordering::Relaxed) > 0);

    let listed: Vec<String> = list(&data)
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(listed.len(), 101, "the steady token and the 100 new ones");
    for (id, token) in &issued {
        assert!(listed.contains(id), "issued token {id} is listed");
        assert_eq!(call(&client, &service, token).await.0, 200, "{id} works");
    }
    for (id, token) in &doomed {
        assert!(!listed.contains(id), "revoked token {id} is not listed");
        let (status, problem) = call(&client, &service, token).await;
        assert_eq!(status, 401, "revoked token {id} is refused: {problem}");
        assert_eq!(problem["field"], "header.authorization");
        assert!(problem["detail"].as_str().expect("detail").contains("吊销"));
    }
    assert_eq!(mode(&data.join("tokens.jsonl")), 0o600);
    assert_eq!(mode(&data), 0o700);
    let stray: Vec<String> = std::fs::read_dir(&data)
        .expect("lists the data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "temporary files left: {stray:?}");
    assert!(
        !service.stderr().contains("token file does not read"),
        "{}",
        service.stderr()
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_with_a_problem_saying_so() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (short_id, short, stderr) = issue(&data, &["--expires-in", "3s"]);
    assert!(stderr.contains("valid until 20"), "{stderr}");
    let (_, lasting, _) = issue(&data, &["--expires-at", "2999-01-01T00:00:00+08:00"]);
    let service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    let client = reqwest::Client::new();
    assert_eq!(call(&client, &service, &short).await.0, 200);

    let tokens = list(&data);
    let listed = tokens
        .iter()
        .find(|t| t["id"] == short_id.as_str())
        .expect("listed");
    assert_eq!(listed["expired"], false);
    assert!(listed["expires_at"].is_string(), "{listed}");
    assert!(tokens
        .iter()
        .any(|t| t["expires_at"] == "2998-12-31T16:00:00Z"));

    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let (status, problem) = call(&client, &service, &short).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["field"], "header.authorization");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(detail.contains("过期"), "{detail}");
    assert_eq!(call(&client, &service, &lasting).await.0, 200);
    let listed = list(&data)
        .into_iter()
        .find(|t| t["id"] == short_id.as_str())
        .expect("still listed until revoked");
    assert_eq!(listed["expired"], true);

    // An expiry in the past is refused at issue.
    let output = spawn_token(
        &data,
        &[
            "issue",
            "--role",
            "admin",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ],
    )
    .wait_with_output()
    .expect("exits");
    assert!(!output.status.success());
}

#[tokio::test]
async fn serve_refuses_a_data_directory_others_can_enter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("creates");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Nothing listens on this port: the check comes before NATS is needed.
    let output = Command::new(binary())
        .arg("serve")
        .env("TW_DATA_DIR", &data)
        .env("TW_NATS_URL", format!("nats://127.0.0.1:{}", free_port()))
        .env("TW_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .expect("runs tutorwatch serve");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("chmod 700 {}", data.display()))
            && stderr.contains("its group and other users"),
        "{stderr}"
    );
    assert!(!data.join("log").exists(), "nothing was opened");

    // Fixed as the message says, it starts; a data directory it creates is 0700.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let nats = NatsServer::start();
    let service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    drop(service);
    let fresh = dir.path().join("fresh");
    let created = Service::start(&nats.url(), &fresh);
    created.wait_ready().await;
    assert_eq!(mode(&fresh), 0o700);
}

#[tokio::test]
async fn a_name_with_a_bidi_control_is_refused_and_never_logged() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (_, admin, _) = issue(&data, &[]);
    let mut service = Service::start(&nats.url(), &data);
    service.wait_ready().await;
    let client = reqwest::Client::new();
    let registration = |name: &str| {
        json!({
            "event_id": uuid::Uuid::now_v7(),
            "type": "registry.institution_registered",
            "version": 1,
            "institution": CODE,
            "region": CITY,
            "producer": {"registry": CITY},
            "occurred_at": "2025-08-01T09:00:00+08:00",
            "data": {
                "name": name,
                "region": CITY,
                "category": "subject",
                "subjects": ["mathematics"],
                "modes": "both",
                "non_profit": true,
                "licence": "lic-a1",
                "approved_on": "2020-03-01",
                "approved_sites": [{"id": "site-a1", "address": "韶关市浈江区风度中路1号"}],
            }
        })
    };
    let post = |body: Value| {
        client
            .post(format!("{}/v1/events", service.http))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };

    for (name, says) in [
        ("韶关\u{202E}校学训培", "U+202E"),
        ("\u{200B}\u{200B}", "U+200B"),
        ("\u{3164}\u{3164}", "没有可见内容"),
    ] {
        let response = post(registration(name)).await.expect("answers");
        assert_eq!(response.status().as_u16(), 422, "{name:?}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let problem: Value = response.json().await.expect("a problem document");
        assert_eq!(problem["field"], "data.name", "{problem}");
        assert!(
            problem["detail"].as_str().expect("detail").contains(says),
            "{problem}"
        );
    }
    assert_eq!(service.logged_events().await, Some(0), "nothing was logged");

    // A decomposed name is accepted and logged in NFC.
    let response = post(registration("E\u{301}cole 韶关培训学校"))
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(service.logged_events().await, Some(1));
    assert!(service.terminate().success(), "{}", service.stderr());
    let log = EventLog::open(&data.join("log")).expect("opens the log");
    let records = log.read_from(1, 10).expect("reads the log");
    assert_eq!(records.len(), 1);
    let Event::InstitutionRegistered(registered) = records[0].envelope().expect("decodes").event
    else {
        panic!("a registration");
    };
    assert_eq!(registered.name.as_str(), "\u{C9}cole 韶关培训学校");
}
