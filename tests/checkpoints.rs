//! Signed checkpoints (issue 12): `serve` signs the log's head with a key kept outside the data
//! directory, writes each checkpoint to a file and publishes it on `tw.checkpoints`, and
//! `tutorwatch log verify --checkpoints` catches what the hash chain alone passes: a data
//! directory put back from an older copy (a rollback) and an entry rewritten with every hash
//! after it recomputed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tutorwatch_events::UtcTime;
use tutorwatch_log::{record_hash, EventLog};

use crate::helpers::*;

fn tutorwatch(args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("Failed to run tutorwatch")
}

fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn path_arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `tutorwatch checkpoint keygen --out DIR/checkpoint.key`: the key file and the public key.
fn keygen(dir: &Path) -> (PathBuf, String) {
    let key_file = dir.join("checkpoint.key");
    let output = tutorwatch(&["checkpoint", "keygen", "--out", &path_arg(&key_file)]);
    assert!(output.status.success(), "{output:?}");
    let printed = stdout_json(&output);
    let public = printed["public_key"]
        .as_str()
        .expect("keygen prints the public key")
        .to_owned();
    assert_eq!(public.len(), 64);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file)
            .expect("the key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is owner-only");
    }
    let again = tutorwatch(&["checkpoint", "keygen", "--out", &path_arg(&key_file)]);
    assert!(!again.status.success(), "keygen never overwrites a key");
    (key_file, public)
}

fn verify(data: &Path, checkpoints: Option<(&Path, &str)>) -> (bool, serde_json::Value, String) {
    let data = path_arg(data);
    let mut args = vec!["log", "verify", "--data", data.as_str()];
    let file;
    if let Some((path, key)) = checkpoints {
        file = path_arg(path);
        args.extend(["--checkpoints", file.as_str(), "--key", key]);
    }
    let output = tutorwatch(&args);
    (
        output.status.success(),
        stdout_json(&output),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("Failed to run cp");
    assert!(status.success());
}

/// A data directory whose `serve` signs checkpoints: the signer's public key, the checkpoints
/// file (outside the data directory), the data directory and the `serve` configuration.
struct Signing {
    public: String,
    checkpoints: PathBuf,
    data: PathBuf,
    config: String,
}

/// Makes a key in `root/keys` and a data directory in `root/data` whose `serve` signs a
/// checkpoint every `every_events` entries (and at shutdown) into `root/checkpoints.jsonl`.
fn signing(root: &Path, every_events: u64) -> Signing {
    let keys = root.join("keys");
    std::fs::create_dir(&keys).expect("mkdir");
    let (key_file, public) = keygen(&keys);
    let checkpoints = root.join("checkpoints.jsonl");
    let data = root.join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let config = format!(
        "[checkpoints]\nkey_file = {:?}\nfile = {:?}\nevery_events = {every_events}\nevery_secs = 3600\n",
        path_arg(&key_file),
        path_arg(&checkpoints)
    );
    Signing {
        public,
        checkpoints,
        data,
        config,
    }
}

/// Rewrites entry `seq` (a new `recorded_at`) and recomputes the hash of it and of every entry
/// after it, through the store's own API: what someone who can write the data directory can do.
fn rewrite_history(data: &Path, seq: u64) {
    let log = EventLog::open(&data.join("log")).expect("Failed to open the log");
    let mut records = log
        .read_from(seq, usize::MAX)
        .expect("Failed to read the log");
    let mut prev_hash = records[0].prev_hash;
    for (i, record) in records.iter_mut().enumerate() {
        if i == 0 {
            record.recorded_at =
                UtcTime::parse("2020-01-01T00:00:00Z").expect("a well-formed time");
        }
        record.prev_hash = prev_hash;
        record.hash = record_hash(&prev_hash, record);
        prev_hash = record.hash;
        log.tamper_for_tests(record.seq, &record.encode())
            .expect("Failed to rewrite an entry");
    }
}

#[tokio::test]
async fn a_rollback_and_a_rewritten_history_fail_verification_against_checkpoints() {
    let root = tempfile::tempdir().expect("tempdir");
    let Signing {
        public,
        checkpoints,
        data,
        config,
    } = signing(root.path(), 1000);

    let nats = NatsServer::start();
    let mut service = Service::start_with_config(&nats.url(), &data, &config);
    service.wait_ready().await;
    let events = sample_events(27);
    let publisher = Publisher::connect(&nats.url()).await;
    publish_all(&publisher, &events[..7], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "7 events", || async {
        service.logged_events().await == Some(7)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());

    // The copy a rollback would restore.
    let copy = root.path().join("copy-after-7");
    copy_dir(&data, &copy);

    service.restart();
    service.wait_ready().await;
    publish_all(&publisher, &events[7..], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "27 events", || async {
        service.logged_events().await == Some(27)
    })
    .await;
    // Shutdown signs the head: a checkpoint of entry 27.
    assert!(service.terminate().success(), "{}", service.stderr());

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&checkpoints)
        .expect("serve wrote the checkpoints file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a checkpoint is JSON"))
        .collect();
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert!(seqs.contains(&7), "{seqs:?}");
    assert_eq!(seqs.last(), Some(&27), "{seqs:?}");
    assert!(lines.iter().all(|l| l["public_key"] == public.as_str()));

    // The same checkpoint went off the box, on its own stream.
    let client = async_nats::connect(nats.url()).await.expect("connects");
    let js = async_nats::jetstream::new(client);
    let stream = js
        .get_stream("TW_CHECKPOINTS")
        .await
        .expect("serve created the checkpoint stream");
    let published = stream
        .get_last_raw_message_by_subject("tw.checkpoints")
        .await
        .expect("a checkpoint was published");
    let published: serde_json::Value =
        serde_json::from_slice(&published.payload).expect("the message is a checkpoint");
    assert_eq!(&published, lines.last().expect("a checkpoint"));

    // The log as written agrees with every checkpoint.
    let (ok, report, stderr) = verify(&data, Some((&checkpoints, &public)));
    assert!(ok, "{report} {stderr}");
    assert_eq!(report["verified"], 27);
    assert_eq!(report["checkpoints"]["highest_seq"], 27);
    assert_eq!(report["checkpoints"]["failures"], serde_json::json!([]));

    // A key other than the signer's is not trusted.
    let other = root.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    let (_, other_public) = keygen(&other);
    let (ok, report, _) = verify(&data, Some((&checkpoints, &other_public)));
    assert!(!ok);
    assert_eq!(
        report["checkpoints"]["failures"][0]["kind"],
        "bad_signature"
    );

    // Rewriting history and recomputing every hash after it passes the chain alone, but not
    // the checkpoints.
    let rewritten = root.path().join("rewritten");
    copy_dir(&data, &rewritten);
    rewrite_history(&rewritten, 10);
    let (ok, report, _) = verify(&rewritten, None);
    assert!(ok, "the chain alone cannot tell: {report}");
    let (ok, report, stderr) = verify(&rewritten, Some((&checkpoints, &public)));
    assert!(!ok, "{report}");
    assert_eq!(report["ok"], false);
    let failures = report["checkpoints"]["failures"]
        .as_array()
        .expect("failures");
    assert!(
        failures
            .iter()
            .any(|f| f["kind"] == "diverges" && f["seq"] == 27),
        "{report}"
    );
    assert!(stderr.contains("diverges"), "{stderr}");

    // Put the data directory back from the copy made after 7 events: the chain is intact, so
    // plain verification passes, but 20 acknowledged events are gone and the checkpoints say so.
    std::fs::remove_dir_all(&data).expect("rm");
    std::fs::rename(&copy, &data).expect("restores the copy");
    let (ok, report, _) = verify(&data, None);
    assert!(ok, "{report}");
    assert_eq!(report["verified"], 7);
    let (ok, report, stderr) = verify(&data, Some((&checkpoints, &public)));
    assert!(!ok, "{report}");
    let failures = report["checkpoints"]["failures"]
        .as_array()
        .expect("failures");
    assert!(
        failures
            .iter()
            .any(|f| f["kind"] == "rollback" && f["seq"] == 27),
        "{report}"
    );
    assert!(
        stderr.contains("the log ends at entry 7") && stderr.contains("covers entry 27"),
        "{stderr}"
    );

    // `serve` refuses to carry on from the rolled-back log (and to sign it), saying why.
    let mut restarted = Service::start_with_config(&nats.url(), &data, &config);
    let status = restarted
        .wait_exit(Duration::from_secs(20))
        .expect("serve stops by itself");
    assert!(!status.success());
    let stderr = restarted.stderr();
    assert!(
        stderr.contains("does not match the latest checkpoint")
            && stderr.contains("the log ends at entry 7"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_entry_is_proven_offline_and_a_changed_proof_fails() {
    let root = tempfile::tempdir().expect("tempdir");
    let (key_file, public) = keygen(root.path());
    let checkpoints = root.path().join("checkpoints.jsonl");
    let data = root.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let config = format!(
        "[checkpoints]\nkey_file = {:?}\nfile = {:?}\nevery_events = 10\nevery_secs = 3600\n",
        path_arg(&key_file),
        path_arg(&checkpoints)
    );
    let nats = NatsServer::start();
    let mut service = Service::start_with_config(&nats.url(), &data, &config);
    service.wait_ready().await;
    let publisher = Publisher::connect(&nats.url()).await;
    publish_all(&publisher, &sample_events(30), |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "30 events", || async {
        service.logged_events().await == Some(30)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let (ok, report, stderr) = verify(&data, Some((&checkpoints, &public)));
    assert!(ok, "{report} {stderr}");
    assert_eq!(report["checkpoints"]["highest_seq"], 30);

    let data_arg = path_arg(&data);
    let checkpoints_arg = path_arg(&checkpoints);
    let prove = |seq: &str| {
        tutorwatch(&[
            "log",
            "prove",
            "--data",
            &data_arg,
            "--seq",
            seq,
            "--checkpoints",
            &checkpoints_arg,
        ])
    };
    let output = prove("12");
    assert!(output.status.success(), "{output:?}");
    let proof = output.stdout;
    let printed: serde_json::Value = serde_json::from_slice(&proof).expect("the proof is JSON");
    assert_eq!(printed["seq"], 12);
    assert_eq!(printed["tree_size"], 30, "under the latest checkpoint");
    assert_eq!(printed["checkpoint"]["seq"], 30);
    let logged = EventLog::open(&data.join("log"))
        .expect("opens")
        .record_at(12)
        .expect("entry 12")
        .envelope()
        .expect("decodes")
        .event_id;
    assert_eq!(printed["event"]["event_id"], logged.to_string());

    // Offline: only the proof file and the public key.
    let proof_file = root.path().join("proof.json");
    let check = |bytes: &[u8], key: &str| {
        std::fs::write(&proof_file, bytes).expect("writes the proof");
        tutorwatch(&["log", "check-proof", &path_arg(&proof_file), "--key", key])
    };
    let output = check(&proof, &public);
    assert!(output.status.success(), "{output:?}");
    let said = stdout_json(&output);
    assert_eq!(said["ok"], true);
    assert_eq!(said["seq"], 12);
    assert_eq!(said["event_id"], logged.to_string());
    assert_eq!(said["checkpoint"]["seq"], 30);

    // Another key does not vouch for it.
    let other = root.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    let (_, other_public) = keygen(&other);
    let output = check(&proof, &other_public);
    assert!(!output.status.success());
    assert_eq!(stdout_json(&output)["ok"], false);

    // A changed byte anywhere fails: in the entry, the event shown, the path, the checkpoint.
    // (The proof crate's unit test changes every byte in turn.)
    let text = String::from_utf8(proof.clone()).expect("UTF-8");
    let mut places: Vec<usize> = [
        "\"record\":\"",
        "\"event\":{",
        "\"path\":[\"",
        "\"merkle_root\":\"",
        "\"signature\":\"",
    ]
    .iter()
    .map(|field| text.find(field).expect("the field is there") + field.len() + 3)
    .collect();
    places.push(proof.len() / 2);
    places.push(proof.len() - 2);
    for at in places {
        let mut changed = proof.clone();
        changed[at] ^= 0x01;
        let output = check(&changed, &public);
        assert!(
            !output.status.success(),
            "byte {at} changed, still verifies: {}",
            String::from_utf8_lossy(&changed)
        );
        assert_eq!(stdout_json(&output)["ok"], false);
        assert!(String::from_utf8_lossy(&output.stderr).contains("does not hold"));
    }

    // An entry no checkpoint covers yet cannot be proven.
    let output = prove("31");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("after the latest checkpoint"));
}

/// `GET path` with a token: the status and the body's bytes.
async fn get_bytes(service: &Service, path: &str, token: &str) -> (u16, Vec<u8>, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", service.http))
        .bearer_auth(token)
        .send()
        .await
        .expect("the service answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, body, content_type)
}

#[tokio::test]
async fn a_findings_evidence_bundle_and_the_list_snapshots_verify_offline_and_a_changed_byte_fails()
{
    const CODE: &str = "52440200MJL123454R";
    const CITY: &str = "440200";
    let root = tempfile::tempdir().expect("tempdir");
    let (key_file, public) = keygen(root.path());
    let checkpoints = root.path().join("checkpoints.jsonl");
    let data = root.path().join("data");
    let admin = issue_token(&data, &["--role", "admin"]);
    let institution = issue_token(
        &data,
        &[
            "--role",
            "institution",
            "--institution",
            CODE,
            "--region",
            CITY,
        ],
    );
    let officer = issue_token(
        &data,
        &["--role", "officer", "--officer", "city-1", "--region", CITY],
    );
    let stranger = issue_token(
        &data,
        &[
            "--role",
            "officer",
            "--officer",
            "gx-1",
            "--region",
            "450000",
        ],
    );
    // No checkpoint while the service runs (only at shutdown), so the first request finds the
    // evidence not yet checkpointed.
    let config = format!(
        "[checkpoints]\nkey_file = {:?}\nfile = {:?}\nevery_events = 100000\nevery_secs = 3600\n",
        path_arg(&key_file),
        path_arg(&checkpoints)
    );
    let nats = NatsServer::start();
    let mut service = Service::start_with_config(&nats.url(), &data, &config);
    service.wait_ready().await;
    let client = reqwest::Client::new();
    let post = |token: &str, path: &str, body: serde_json::Value| {
        client
            .post(format!("{}{path}", service.http))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let registration = serde_json::json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.institution_registered",
        "version": 1,
        "institution": CODE,
        "region": CITY,
        "producer": {"registry": CITY},
        "occurred_at": "2025-08-01T09:00:00+08:00",
        "data": {
            "name": "韶关市某某培训学校", "region": CITY, "category": "subject",
            "subjects": ["mathematics"], "modes": "both", "non_profit": true,
            "licence": "lic-a1", "approved_on": "2020-03-01",
            "approved_sites": [{"id": "site-a1", "address": "韶关市浈江区风度中路1号"}],
        }
    });
    let response = post(&admin, "/v1/events", registration)
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    // An online lesson ending one second after 21:00.
    let late = serde_json::json!({
        "course": "c-late", "title": "五年级数学", "subject": "mathematics",
        "grade_band": "primary", "mode": "online", "site": null, "teachers": [],
        "price_per_lesson": 3000, "class_size_max": 30,
        "sessions": [{"lesson": "c-late-1", "start": "2025-09-01T20:40:00+08:00",
                      "end": "2025-09-01T21:00:01+08:00"}],
    });
    let response = post(&institution, "/v1/schedules", late)
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    let written: serde_json::Value = response.json().await.expect("JSON");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let finding = loop {
        if let Some((200, page)) = service
            .get_json_with("/v1/findings?rule=ONLINE_END_BY_2100", &officer)
            .await
        {
            if let Some(found) = page["findings"].as_array().and_then(|f| f.first()) {
                break found.clone();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no ONLINE_END_BY_2100 finding: {}",
            service.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let id = finding["id"].as_str().expect("an id").to_owned();
    // The licence is revoked and a lesson is delivered anyway: the institution goes on the black
    // list, with a finding as its reason.
    let revoked = serde_json::json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.licence_revoked",
        "version": 1,
        "institution": CODE,
        "region": CITY,
        "producer": {"registry": CITY},
        "occurred_at": "2025-08-15T09:00:00+08:00",
        "data": {"reason": "吊销"},
    });
    let response = post(&admin, "/v1/events", revoked).await.expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    let lesson = serde_json::json!({
        "course": "c-late", "lesson": "c-late-1",
        "start": "2025-09-01T20:40:00+08:00", "end": "2025-09-01T21:00:01+08:00",
        "site": null, "teachers": [], "attendees": 12,
    });
    let response = post(&institution, "/v1/lessons", lesson)
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 201);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while service
        .get_json("/v1/lists/black")
        .await
        .map(|(_, list)| list["institutions"][0]["credit_code"] != CODE)
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "not black-listed: {}",
            service.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(finding["evidence"][0]["event_id"], written["event_id"]);
    let path = format!("/v1/findings/{id}/evidence");

    // Not yet checkpointed: 409, retry later. Hidden: 404, like a missing finding.
    let (status, body, content_type) = get_bytes(&service, &path, &institution).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "application/problem+json");
    // In Chinese by default.
    assert!(String::from_utf8_lossy(&body).contains("尚未被签名检查点覆盖"));
    let (status, _, _) = get_bytes(&service, &path, &stranger).await;
    assert_eq!(status, 404);
    let missing = format!("/v1/findings/{}/evidence", uuid::Uuid::nil());
    assert_eq!(get_bytes(&service, &missing, &officer).await.0, 404);

    // The shutdown checkpoint covers it.
    assert!(service.terminate().success(), "{}", service.stderr());
    service.restart();
    service.wait_ready().await;
    let (status, bundle, content_type) = get_bytes(&service, &path, &officer).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bundle));
    assert_eq!(content_type, "application/json");
    let (status, _, _) = get_bytes(&service, &path, &institution).await;
    assert_eq!(status, 200, "the institution itself may have it");
    assert_eq!(get_bytes(&service, &path, &stranger).await.0, 404);
    assert_eq!(get_bytes(&service, &path, &admin).await.0, 200);

    // The signed list snapshots (public: no token), the same lists the plain routes give.
    let mut snapshots = Vec::new();
    for list in ["black", "white"] {
        let response = reqwest::Client::new()
            .get(format!("{}/v1/lists/{list}/snapshot", service.http))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), 200);
        let bytes = response.bytes().await.expect("a body").to_vec();
        let snapshot: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        let (status, plain) = service
            .get_json(&format!("/v1/lists/{list}?limit=1000"))
            .await
            .expect("answers");
        assert_eq!(status, 200);
        assert_eq!(snapshot["institutions"], plain["institutions"], "{list}");
        assert_eq!(snapshot["list"], list);
        assert_eq!(snapshot["checkpoint"]["public_key"], public.as_str());
        assert!(snapshot["checkpoint"]["seq"].as_u64() <= snapshot["applied_seq"].as_u64());
        snapshots.push(bytes);
    }
    let listed: Vec<String> = snapshots
        .iter()
        .flat_map(|bytes| {
            let snapshot: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
            snapshot["institutions"]
                .as_array()
                .expect("an array")
                .iter()
                .map(|i| i["credit_code"].as_str().expect("a code").to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(listed, [CODE], "the institution is on exactly one list");
    let black: serde_json::Value = serde_json::from_slice(&snapshots[0]).expect("JSON");
    assert_eq!(black["institutions"][0]["credit_code"], CODE);
    assert!(
        !black["institutions"][0]["reasons"][0]["findings"]
            .as_array()
            .expect("the reason's findings")
            .is_empty(),
        "{black}"
    );
    let (status, _, _) = get_bytes(&service, "/v1/lists/grey/snapshot", &admin).await;
    assert_eq!(status, 422);
    assert!(service.terminate().success(), "{}", service.stderr());

    let snapshot_file = root.path().join("snapshot.json");
    let verify_snapshot = |bytes: &[u8], key: &str| {
        std::fs::write(&snapshot_file, bytes).expect("writes the snapshot");
        tutorwatch(&[
            "snapshot",
            "verify",
            &path_arg(&snapshot_file),
            "--key",
            key,
        ])
    };
    for snapshot in &snapshots {
        let output = verify_snapshot(snapshot, &public);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(stdout_json(&output)["ok"], true);
        let mut places: Vec<usize> = (0..snapshot.len()).step_by(29).collect();
        places.push(snapshot.len() - 2);
        for at in places {
            let mut changed = snapshot.clone();
            changed[at] ^= 0x01;
            let output = verify_snapshot(&changed, &public);
            assert!(
                !output.status.success(),
                "byte {at} changed, the snapshot still verifies: {}",
                String::from_utf8_lossy(&changed)
            );
            assert_eq!(stdout_json(&output)["ok"], false);
        }
    }

    // Offline: only the bundle and the public key.
    let file = root.path().join("bundle.json");
    let verify = |bytes: &[u8], key: &str| {
        std::fs::write(&file, bytes).expect("writes the bundle");
        tutorwatch(&["evidence", "verify", &path_arg(&file), "--key", key])
    };
    let output = verify(&bundle, &public);
    assert!(output.status.success(), "{output:?}");
    let said = stdout_json(&output);
    assert_eq!(said["ok"], true);
    assert_eq!(said["finding"], id.as_str());
    assert_eq!(said["rule"], "ONLINE_END_BY_2100");
    assert_eq!(said["institution"], CODE);
    assert_eq!(said["events"][0]["event_id"], written["event_id"]);
    assert_eq!(said["events"][0]["seq"], finding["evidence"][0]["seq"]);
    assert_eq!(said["events"][0]["type"], "schedule.course_published");
    assert!(said["checkpoint"]["seq"].as_u64() >= finding["evidence"][0]["seq"].as_u64());
    let parsed: serde_json::Value = serde_json::from_slice(&bundle).expect("JSON");
    assert_eq!(parsed["finding"]["id"], id.as_str());
    assert_eq!(
        parsed["evidence"][0]["event"]["event_id"],
        written["event_id"]
    );

    // Another key does not vouch for it.
    let other = root.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    let (_, other_public) = keygen(&other);
    assert!(!verify(&bundle, &other_public).status.success());

    // A changed byte in each field, and every 61st byte, fails (the proof crate's unit test
    // changes every byte in turn).
    let text = String::from_utf8(bundle.clone()).expect("UTF-8");
    let mut places: Vec<usize> = [
        "\"finding\":{",
        "\"description\":\"",
        "\"status\":",
        "\"rule\":\"",
        "\"figures\":[",
        "\"record_format\":",
        "\"recorded_at\":\"",
        "\"prev_hash\":\"",
        "\"hash\":\"",
        "\"sender\":{",
        "\"event_bytes\":\"",
        "\"event\":{",
        "\"path\":[\"",
        "\"checkpoint\":{",
        "\"head_hash\":\"",
        "\"merkle_root\":\"",
        "\"signature\":\"",
    ]
    .iter()
    .map(|field| {
        text.find(field)
            .unwrap_or_else(|| panic!("{field} is there"))
            + field.len()
            + 1
    })
    .collect();
    places.extend((0..bundle.len()).step_by(61));
    places.push(bundle.len() - 2);
    for at in places {
        let mut changed = bundle.clone();
        changed[at] ^= 0x01;
        let output = verify(&changed, &public);
        assert!(
            !output.status.success(),
            "byte {at} changed, still verifies: {}",
            String::from_utf8_lossy(&changed)
        );
        assert_eq!(stdout_json(&output)["ok"], false);
    }

    // The CLI exports the same bundle from the stopped service's data directory.
    let settings = data.with_extension("toml");
    let output = tutorwatch(&[
        "--config",
        &path_arg(&settings),
        "evidence",
        "export",
        &id,
        "--data",
        &path_arg(&data),
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(verify(&output.stdout, &public).status.success());
    let exported: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(exported["finding"], parsed["finding"]);
    assert_eq!(exported["evidence"], parsed["evidence"]);
}

#[tokio::test]
async fn a_flipped_bit_is_salvaged_up_to_the_last_good_entry_and_the_rest_reingested() {
    let root = tempfile::tempdir().expect("tempdir");
    let Signing {
        public,
        checkpoints,
        data,
        config,
    } = signing(root.path(), 5);
    let nats = NatsServer::start();
    let mut service = Service::start_with_config(&nats.url(), &data, &config);
    service.wait_ready().await;
    let events = sample_events(30);
    let publisher = Publisher::connect(&nats.url()).await;
    publish_all(&publisher, &events[..10], |_| true, |_| false).await;
    let signed_seqs = || -> Vec<u64> {
        std::fs::read_to_string(&checkpoints)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|checkpoint| checkpoint["seq"].as_u64())
            .collect()
    };
    wait_until(
        Duration::from_secs(20),
        "a checkpoint of entry 10",
        || async { signed_seqs().contains(&10) },
    )
    .await;
    publish_all(&publisher, &events[10..], |_| true, |_| false).await;
    wait_until(Duration::from_secs(20), "30 events", || async {
        ingest_drained(&publisher.js).await && service.logged_events().await == Some(30)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    assert_eq!(signed_seqs().last(), Some(&30));

    // One bit flips in entry 12, wherever the storage engine keeps a copy of it.
    let entry_12 = {
        let log = EventLog::open(&data.join("log")).expect("Failed to open the log");
        log.record_at(12).expect("entry 12 is there").encode()
    };
    let copies = tutorwatch_log::damage_every_copy_for_tests(&data.join("log"), &entry_12)
        .expect("Failed to damage the log's files");
    assert!(
        copies >= 1,
        "entry 12 is stored somewhere in the log's files"
    );

    // Verification fails, and so does starting the service.
    let checkpoints_arg = path_arg(&checkpoints);
    let data_arg = path_arg(&data);
    let verified = tutorwatch(&[
        "log",
        "verify",
        "--data",
        &data_arg,
        "--checkpoints",
        &checkpoints_arg,
        "--key",
        &public,
    ]);
    assert!(!verified.status.success(), "{verified:?}");
    let mut refused = Service::start_with_config(&nats.url(), &data, &config);
    let status = refused
        .wait_exit(Duration::from_secs(20))
        .expect("serve stops by itself");
    assert!(!status.success(), "{}", refused.stderr());
    assert!(
        refused.stderr().contains("log salvage"),
        "{}",
        refused.stderr()
    );

    // With checkpoints present, salvage wants the key that signed them.
    let salvage_args = [
        "log",
        "salvage",
        "--data",
        &data_arg,
        "--checkpoints",
        &checkpoints_arg,
    ];
    let no_key = tutorwatch(&salvage_args);
    assert!(!no_key.status.success());
    assert!(
        String::from_utf8_lossy(&no_key.stderr).contains("--key"),
        "{no_key:?}"
    );

    let salvaged = Command::new(binary())
        .args(salvage_args)
        .args(["--key", &public, "--reingest"])
        .env("TW_NATS_URL", nats.url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(salvaged.status.success(), "{salvaged:?}");
    let report = stdout_json(&salvaged);
    assert_eq!(report["salvaged"], 11, "{report}");
    assert_eq!(report["ended"]["at"], 12, "{report}");
    assert_eq!(report["ended"]["why"], "missing", "{report}");
    assert_eq!(report["found_up_to"], 30, "{report}");
    assert!(
        report["checkpoints"]["set_aside"].as_u64() >= Some(1),
        "{report}"
    );
    assert!(
        report["checkpoints"]["kept"].as_u64() >= Some(1),
        "{report}"
    );
    assert_eq!(report["reingest"]["start_seq"], 1, "{report}");
    let damaged = PathBuf::from(
        report["damaged_log"]
            .as_str()
            .expect("names the damaged log"),
    );
    assert!(
        damaged.join("db").exists(),
        "the damaged log is kept: {report}"
    );

    // The salvaged log is the verified prefix, and agrees with every checkpoint it reaches.
    let (ok, after, stderr) = verify(&data, Some((&checkpoints, &public)));
    assert!(ok, "{after} {stderr}");
    assert_eq!(after["verified"], 11);
    let original = PathBuf::from(
        report["checkpoints"]["original"]
            .as_str()
            .expect("names where the checkpoints were kept"),
    );
    let (ok, _, _) = verify(&data, Some((&original, &public)));
    assert!(
        !ok,
        "the checkpoints of the lost entries still say they are lost"
    );

    // The next `serve` re-reads the stream: the lost entries come back, in order, each once.
    let mut service = Service::start_with_config(&nats.url(), &data, &config);
    service.wait_ready().await;
    wait_until(Duration::from_secs(30), "the 19 entries lost", || async {
        ingest_drained(&publisher.js).await && service.logged_events().await == Some(30)
    })
    .await;
    assert!(service.terminate().success(), "{}", service.stderr());
    let expected: Vec<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(logged_ids(&data), expected);
    let (ok, after, stderr) = verify(&data, Some((&checkpoints, &public)));
    assert!(ok, "{after} {stderr}");
    assert_eq!(after["verified"], 30);
    assert_eq!(after["checkpoints"]["highest_seq"], 30);
    // Re-recorded entries carry new recording times, so the old checkpoints past entry 11 now
    // say the history diverges from what they signed: the record of what was lost.
    let (ok, before, _) = verify(&data, Some((&original, &public)));
    assert!(!ok);
    let failures = before["checkpoints"]["failures"]
        .as_array()
        .expect("failures");
    assert!(
        failures
            .iter()
            .all(|f| f["kind"] == "diverges" && f["seq"].as_u64() > Some(11)),
        "{before}"
    );
    assert!(!failures.is_empty());
}
