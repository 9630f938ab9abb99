//! The HTTP API against a real nats-server and a running service: each role's allowed and denied
//! calls, idempotent retries, feed pages while findings arrive, the live stream, the CSV export,
//! findings on `tw.out`, and bad input answered with problem documents.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde_json::{json, Value};

use crate::helpers::*;

const CODE_A: &str = "52440200MJL123454R";
const CITY: &str = "440200";

struct Api {
    nats: NatsServer,
    service: Service,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
    admin: String,
    institution: String,
    city_officer: String,
    other_officer: String,
    district_officer: String,
    bank: String,
    code_b: String,
}

impl Api {
    async fn start() -> Api {
        let nats = NatsServer::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let code_b = tutorwatch_events::examples::synthetic_credit_code(7).to_string();
        let admin = issue_token(&data, &["--role", "admin"]);
        let institution = issue_token(
            &data,
            &[
                "--role",
                "institution",
                "--institution",
                CODE_A,
                "--region",
                CITY,
            ],
        );
        let city_officer = issue_token(
            &data,
            &["--role", "officer", "--officer", "city-1", "--region", CITY],
        );
        let other_officer = issue_token(
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
        let district_officer = issue_token(
            &data,
            &[
                "--role",
                "officer",
                "--officer",
                "dist-1",
                "--region",
                "440203",
            ],
        );
        let bank = issue_token(&data, &["--role", "bank", "--bank", "bank-1"]);
        let service = Service::start(&nats.url(), &data);
        service.wait_ready().await;
        let api = Api {
            nats,
            service,
            _dir: dir,
            client: reqwest::Client::new(),
            admin,
            institution,
            city_officer,
            other_officer,
            district_officer,
            bank,
            code_b,
        };
        let (status, body) = api
            .post("/v1/events", &api.admin, &registration(CODE_A))
            .await;
        assert_eq!(status, 201, "{body}");
        api
    }

    /// The CLI's example of an event type, with a fresh event id.
    async fn get_example(&self, event_type: &str) -> Value {
        let output = Command::new(binary())
            .args(["example", event_type])
            .output()
            .expect("runs tutorwatch example");
        assert!(output.status.success(), "{output:?}");
        let mut example: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        example["event_id"] = json!(uuid::Uuid::now_v7());
        example
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.http)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("the service answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(content_type, "application/problem+json", "{status} {body}");
            assert_eq!(body["status"], status, "{body}");
        }
        (status, body)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    async fn post_keyed(&self, path: &str, token: &str, key: &str, body: &Value) -> (u16, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("idempotency-key", key)
                .json(body),
        )
        .await
    }

    /// The officer's feed, all pages.
    async fn all_findings(&self, token: &str, query: &str) -> Vec<Value> {
        let mut found = Vec::new();
        let mut after = String::new();
        loop {
            let (status, page) = self
                .get(
                    &format!("/v1/findings?limit=1000{query}{after}"),
                    Some(token),
                )
                .await;
            assert_eq!(status, 200, "{page}");
            found.extend(
                page["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .cloned(),
            );
            match page["next"].as_str() {
                Some(next) => after = format!("&after={next}"),
                None => return found,
            }
        }
    }

    async fn wait_for_findings(&self, token: &str, query: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.all_findings(token, query).await;
            if found.len() >= count || Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn registration(code: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.institution_registered",
        "version": 1,
        "institution": code,
        "region": CITY,
        "producer": {"registry": CITY},
        "occurred_at": "2025-08-01T09:00:00+08:00",
        "data": {
            "name": "韶关市某某培训学校",
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
}

/// An online course of one lesson from 19:00 local, `minutes` long.
fn course(id: &str, minutes: u32, seconds: u32) -> Value {
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
            "start": "2025-09-01T19:00:00+08:00",
            "end": format!("2025-09-01T19:{minutes:02}:{seconds:02}+08:00"),
        }],
    })
}

fn ids(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn each_role_does_what_it_may_and_is_refused_the_rest() {
    let api = Api::start().await;

    // Anyone reads the public lists; nothing else without a token.
    assert_eq!(api.get("/v1/lists/black", None).await.0, 200);
    assert_eq!(api.get("/v1/lists/white", None).await.0, 200);
    let (status, problem) = api.get("/v1/findings", None).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (401, Some("header.authorization"))
    );
    assert_eq!(api.get("/v1/findings", Some("tw_not-a-token")).await.0, 401);

    // The institution sends its schedule and reads its own findings.
    let (status, written) = api
        .post("/v1/schedules", &api.institution, &course("c-long", 31, 0))
        .await;
    assert_eq!(status, 201, "{written}");
    assert_eq!(written["status"], "durable");
    assert!(written["seq"].as_u64().is_some());
    let own = api
        .wait_for_findings(&api.institution, "&rule=ONLINE_LESSON_MAX_30MIN", 1)
        .await;
    assert_eq!(own.len(), 1, "{own:?}");
    let finding_id = own[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(own[0]["figures"][0]["text"], "31 min 0 s");
    assert_eq!(own[0]["evidence"][0]["event_id"], written["event_id"]);

    // It may not act for another institution, read another's record or findings, or post
    // escrow events.
    let mut foreign = registration(&api.code_b);
    foreign["type"] = json!("schedule.course_cancelled");
    foreign["producer"] = json!({"institution": CODE_A});
    foreign["data"] = json!({"course": "c-1", "reason": "x"});
    assert_eq!(
        api.post("/v1/events", &api.institution, &foreign).await.0,
        403
    );
    let (status, mine_only) = api
        .get(
            &format!("/v1/institutions/{}", api.code_b),
            Some(&api.institution),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        api.get(
            &format!("/v1/findings?institution={}", api.code_b),
            Some(&api.institution)
        )
        .await
        .0,
        403
    );
    let unknown = tutorwatch_events::examples::synthetic_credit_code(99).to_string();
    let (status, unknown_problem) = api
        .get(
            &format!("/v1/institutions/{unknown}"),
            Some(&api.institution),
        )
        .await;
    assert_eq!(
        (status, &unknown_problem["detail"]),
        (403, &mine_only["detail"])
    );

    // A bank posts escrow events only, and reads no feeds.
    assert_eq!(api.get("/v1/findings", Some(&api.bank)).await.0, 403);
    assert_eq!(
        api.post("/v1/schedules", &api.bank, &course("c-b", 20, 0))
            .await
            .0,
        403
    );
    let opened = json!({
        "event_id": uuid::Uuid::now_v7(), "type": "escrow.account_opened", "version": 1,
        "institution": CODE_A, "region": CITY, "producer": {"bank": "bank-1"},
        "occurred_at": "2025-08-02T09:00:00+08:00",
        "data": {"account": "acct-1", "bank": "bank-1"},
    });
    let (status, body) = api.post("/v1/events", &api.bank, &opened).await;
    assert_eq!(status, 201, "{body}");
    let mut impersonating = opened.clone();
    impersonating["event_id"] = json!(uuid::Uuid::now_v7());
    impersonating["producer"] = json!({"bank": "bank-2"});
    assert_eq!(
        api.post("/v1/events", &api.bank, &impersonating).await.0,
        403
    );
    let mut other_banks_account = opened.clone();
    other_banks_account["event_id"] = json!(uuid::Uuid::now_v7());
    other_banks_account["data"]["bank"] = json!("bank-2");
    let (status, problem) = api
        .post("/v1/events", &api.bank, &other_banks_account)
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (403, Some("data.bank"))
    );
    // Another bank may not post about the account bank-1 holds.
    let bank_2 = issue_token(
        &api.service.data_dir,
        &["--role", "bank", "--bank", "bank-2"],
    );
    let balance = |bank: &str| {
        json!({
            "event_id": uuid::Uuid::now_v7(), "type": "escrow.daily_balance", "version": 1,
            "institution": CODE_A, "region": CITY, "producer": {"bank": bank},
            "occurred_at": "2025-08-03T09:00:00+08:00",
            "data": {"account": "acct-1", "date": "2025-08-02", "balance": 0},
        })
    };
    let mut refused = (0, Value::Null);
    for _ in 0..100 {
        // The projector applies the opening within milliseconds of its write.
        refused = api.post("/v1/events", &bank_2, &balance("bank-2")).await;
        if refused.0 == 403 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (refused.0, refused.1["field"].as_str()),
        (403, Some("data.account")),
        "{}",
        refused.1
    );
    assert_eq!(
        api.post("/v1/events", &api.bank, &balance("bank-1"))
            .await
            .0,
        201
    );
    // A registry sends registry events for its own region only; an officer observes ads in
    // its jurisdiction.
    let registry = issue_token(
        &api.service.data_dir,
        &["--role", "registry", "--region", CITY],
    );
    let far_registry = issue_token(
        &api.service.data_dir,
        &["--role", "registry", "--region", "450000"],
    );
    let mut registered_b = registration(&api.code_b);
    assert_eq!(
        api.post("/v1/events", &far_registry, &registered_b).await.0,
        403
    );
    registered_b["event_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(
        api.post("/v1/events", &registry, &registered_b).await.0,
        201
    );
    let mut ad = api.get_example("advertising.ad_observed").await;
    ad["producer"] = json!({"officer": "city-1"});
    let (status, body) = api.post("/v1/events", &api.city_officer, &ad).await;
    assert_eq!(status, 201, "{body}");
    ad["event_id"] = json!(uuid::Uuid::now_v7());
    ad["producer"] = json!({"officer": "gx-1"});
    assert_eq!(api.post("/v1/events", &api.other_officer, &ad).await.0, 403);

    // Officers: the city sees it, a district below it does not, another province neither; a
    // finding outside one's jurisdiction is the same 404 as one that does not exist.
    let city = api.all_findings(&api.city_officer, "").await;
    assert!(ids(&city).contains(&finding_id));
    assert!(api.all_findings(&api.district_officer, "").await.is_empty());
    assert!(api.all_findings(&api.other_officer, "").await.is_empty());
    let (status, problem) = api
        .get(
            &format!("/v1/findings?region={CITY}"),
            Some(&api.other_officer),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (403, Some("query.region"))
    );
    let (status, hidden) = api
        .get(
            &format!("/v1/findings/{finding_id}"),
            Some(&api.other_officer),
        )
        .await;
    let absent_id = uuid::Uuid::new_v4().to_string();
    let (absent_status, absent) = api
        .get(
            &format!("/v1/findings/{absent_id}"),
            Some(&api.other_officer),
        )
        .await;
    assert_eq!((status, absent_status), (404, 404));
    assert_eq!(
        hidden["detail"]
            .as_str()
            .map(|d| d.replace(&finding_id, "ID")),
        absent["detail"]
            .as_str()
            .map(|d| d.replace(&absent_id, "ID")),
        "a hidden finding must look like an absent one"
    );
    assert_eq!(
        api.get(
            &format!("/v1/institutions/{CODE_A}"),
            Some(&api.other_officer)
        )
        .await
        .0,
        403
    );
    assert_eq!(
        api.post(
            &format!("/v1/findings/{finding_id}/actions"),
            &api.other_officer,
            &json!({"action": "acknowledged", "note": "seen"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api.post(
            &format!("/v1/findings/{finding_id}/actions"),
            &api.institution,
            &json!({"action": "resolved", "note": "done"})
        )
        .await
        .0,
        403
    );

    // A due date in the past is refused.
    let (status, refused) = api
        .post(
            &format!("/v1/findings/{finding_id}/actions"),
            &api.city_officer,
            &json!({"action": {"rectification_ordered": {"due": "2025-10-01"}}, "note": "too late"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["field"], "action.due");

    // The city officer orders rectification: an event in the log, then the finding's status.
    let due = jiff::ZonedDateTime::now()
        .date()
        .checked_add(jiff::Span::new().days(30))
        .expect("a date a month ahead")
        .to_string();
    let (status, acted) = api
        .post(
            &format!("/v1/findings/{finding_id}/actions"),
            &api.city_officer,
            &json!({"action": {"rectification_ordered": {"due": due}}, "note": "shorten the lesson"}),
        )
        .await;
    assert_eq!(status, 201, "{acted}");
    assert_eq!(acted["type"], "supervision.officer_acted");
    let deadline = Instant::now() + Duration::from_secs(10);
    let record = loop {
        let (status, record) = api
            .get(
                &format!("/v1/institutions/{CODE_A}"),
                Some(&api.city_officer),
            )
            .await;
        assert_eq!(status, 200, "{record}");
        if !record["actions"].as_array().expect("actions").is_empty() || Instant::now() > deadline {
            break record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(record["registration"]["name"], "韶关市某某培训学校");
    assert_eq!(record["actions"][0]["officer"], "city-1");
    assert_eq!(record["actions"][0]["note"], "shorten the lesson");
    let (_, finding) = api
        .get(
            &format!("/v1/findings/{finding_id}"),
            Some(&api.city_officer),
        )
        .await;
    assert_eq!(finding["status"], "rectification_ordered");
    assert_eq!(finding["status_detail"]["due"], due.as_str());
    // A case moves forward: acknowledging it now is refused with the reason.
    let (status, refused) = api
        .post(
            &format!("/v1/findings/{finding_id}/actions"),
            &api.city_officer,
            &json!({"action": "acknowledged", "note": "seen"}),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["field"], "action");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("已过受理阶段")),
        "{refused}"
    );
    // The institution sees the same on its own record.
    let (status, own_record) = api
        .get(
            &format!("/v1/institutions/{CODE_A}"),
            Some(&api.institution),
        )
        .await;
    assert_eq!((status, &own_record["actions"]), (200, &record["actions"]));

    // A revoked token stops working at once, while the service runs.
    let listed = Command::new(binary())
        .args(["token", "list", "--data"])
        .arg(&api.service.data_dir)
        .output()
        .expect("token list");
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let bank_id = listed["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["principal"]["role"] == "bank")
        .and_then(|t| t["id"].as_str())
        .expect("the bank's token")
        .to_owned();
    let revoked = Command::new(binary())
        .args(["token", "revoke", &bank_id, "--data"])
        .arg(&api.service.data_dir)
        .status()
        .expect("token revoke");
    assert!(revoked.success());
    assert_eq!(api.post("/v1/events", &api.bank, &opened).await.0, 401);
}

#[tokio::test]
async fn lessons_in_a_year_without_its_holiday_calendar_are_reported_by_readiness() {
    let api = Api::start().await;
    let (_, ready) = api.get("/readyz", None).await;
    assert_eq!(ready["warnings"], json!([]), "{ready}");
    let mut next_year = course("c-2027", 20, 0);
    next_year["sessions"] = json!([{
        "lesson": "c-2027-1",
        "start": "2027-03-01T19:00:00+08:00",
        "end": "2027-03-01T19:20:00+08:00",
    }]);
    let (status, written) = api
        .post("/v1/schedules", &api.institution, &next_year)
        .await;
    assert_eq!(status, 201, "{written}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let ready = loop {
        let (status, ready) = api.get("/readyz", None).await;
        assert_eq!(
            status, 200,
            "a warning does not make the service unready: {ready}"
        );
        if ready["warnings"].as_array().is_some_and(|w| !w.is_empty()) || Instant::now() > deadline
        {
            break ready;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let warnings = ready["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{ready}");
    assert!(
        warnings[0].as_str().is_some_and(|w| w.contains("2027")),
        "{ready}"
    );
    let response = api
        .client
        .get(api.url("/metrics"))
        .send()
        .await
        .expect("metrics answer");
    let text = response.text().await.expect("text");
    assert!(
        text.lines()
            .any(|l| l.starts_with("tutorwatch_calendar_gap_years") && l.ends_with(" 1")),
        "{text}"
    );
}

#[tokio::test]
async fn retries_do_not_create_second_events() {
    let api = Api::start().await;
    let (first_status, first) = api
        .post_keyed(
            "/v1/schedules",
            &api.institution,
            "order-1",
            &course("c-1", 20, 0),
        )
        .await;
    let (again_status, again) = api
        .post_keyed(
            "/v1/schedules",
            &api.institution,
            "order-1",
            &course("c-1", 20, 0),
        )
        .await;
    assert_eq!((first_status, again_status), (201, 201));
    assert_eq!(first["event_id"], again["event_id"]);
    assert_eq!(first["seq"], again["seq"]);
    assert_eq!(
        (&first["replayed"], &again["replayed"]),
        (&json!(false), &json!(true))
    );
    // The same key with another body is a conflict, not a silent overwrite.
    let (status, problem) = api
        .post_keyed(
            "/v1/schedules",
            &api.institution,
            "order-1",
            &course("c-1", 25, 0),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (409, Some("event_id")));
    // The same event id on the generic route.
    let event = registration(&api.code_b);
    let (a, first) = api.post("/v1/events", &api.admin, &event).await;
    let (b, second) = api.post("/v1/events", &api.admin, &event).await;
    assert_eq!((a, b), (201, 201));
    assert_eq!(first["seq"], second["seq"]);
    let (status, polled) = api
        .get(
            &format!("/v1/events/{}", first["event_id"].as_str().expect("id")),
            Some(&api.admin),
        )
        .await;
    assert_eq!((status, &polled["seq"]), (200, &first["seq"]));
    // Registration + one schedule + one registration: three events, whatever the retries.
    assert_eq!(api.service.logged_events().await, Some(3));
}

#[tokio::test]
async fn feed_pages_stay_correct_while_findings_arrive_and_csv_matches_json() {
    let api = Api::start().await;
    let mut posted = 0;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    // Interleave: publish two offending courses, read one page of 3, repeat.
    for round in 0..6 {
        for n in 0..2 {
            let (status, body) = api
                .post(
                    "/v1/schedules",
                    &api.institution,
                    &course(&format!("c-{round}-{n}"), 31, 0),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            posted += 1;
        }
        api.wait_for_findings(&api.city_officer, "&rule=ONLINE_LESSON_MAX_30MIN", posted)
            .await;
        let query = match &after {
            Some(cursor) => {
                format!("/v1/findings?rule=ONLINE_LESSON_MAX_30MIN&limit=3&after={cursor}")
            }
            None => "/v1/findings?rule=ONLINE_LESSON_MAX_30MIN&limit=3".to_owned(),
        };
        let (status, page) = api.get(&query, Some(&api.city_officer)).await;
        assert_eq!(status, 200);
        let findings = page["findings"].as_array().expect("findings").clone();
        if let Some(last) = findings.last() {
            after = last["cursor"].as_str().map(str::to_owned);
        }
        seen.extend(ids(&findings));
    }
    // Drain the rest.
    loop {
        let cursor = after.clone().expect("a cursor");
        let (_, page) = api
            .get(
                &format!("/v1/findings?rule=ONLINE_LESSON_MAX_30MIN&limit=3&after={cursor}"),
                Some(&api.city_officer),
            )
            .await;
        let findings = page["findings"].as_array().expect("findings").clone();
        if findings.is_empty() {
            break;
        }
        after = findings
            .last()
            .and_then(|f| f["cursor"].as_str())
            .map(str::to_owned);
        seen.extend(ids(&findings));
    }
    let all = api
        .all_findings(&api.city_officer, "&rule=ONLINE_LESSON_MAX_30MIN")
        .await;
    assert_eq!(all.len(), posted);
    assert_eq!(
        seen,
        ids(&all),
        "paging while inserting lost, repeated or reordered findings"
    );
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), posted);

    // The CSV export of the same query holds the same findings in the same order.
    let csv = api
        .client
        .get(api.url("/v1/findings/export.csv?rule=ONLINE_LESSON_MAX_30MIN"))
        .bearer_auth(&api.city_officer)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.expect("CSV text");
    let mut reader = csv_reader(&text);
    let exported: Vec<(String, String)> = reader
        .iter_mut()
        .skip(1)
        .map(|row| (row[0].clone(), row[2].clone()))
        .collect();
    let expected: Vec<(String, String)> = all
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_owned(),
                f["rule"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(exported, expected);
    assert_eq!(reader[0][0], "id");
}

/// A small CSV reader for the export (quoted fields with doubled quotes, no embedded newlines).
fn csv_reader(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let mut fields = Vec::new();
            let mut field = String::new();
            let mut quoted = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, quoted) {
                    ('"', true) if chars.peek() == Some(&'"') => {
                        field.push('"');
                        chars.next();
                    }
                    ('"', _) => quoted = !quoted,
                    (',', false) => fields.push(std::mem::take(&mut field)),
                    (c, _) => field.push(c),
                }
            }
            fields.push(field);
            fields
        })
        .collect()
}

#[tokio::test]
async fn the_live_stream_and_nats_carry_a_finding_within_a_second() {
    let mut api = Api::start().await;
    let nats = async_nats::connect(api.nats.url()).await.expect("connects");
    let mut outbound = nats
        .subscribe(format!("tw.out.findings.{CITY}.ONLINE_END_BY_2100"))
        .await
        .expect("subscribes");
    nats.flush().await.expect("flush");
    let response = api
        .client
        .get(api.url("/v1/findings/stream"))
        .bearer_auth(&api.city_officer)
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status().as_u16(), 200);
    let mut stream = response.bytes_stream();
    let mut late = course("c-late", 0, 0);
    // 31 minutes, ending one second after 21:00: two findings from one event.
    late["sessions"][0]["start"] = json!("2025-09-01T20:29:01+08:00");
    late["sessions"][0]["end"] = json!("2025-09-01T21:00:01+08:00");
    let sent = Instant::now();
    let (status, written) = api.post("/v1/schedules", &api.institution, &late).await;
    assert_eq!(status, 201, "{written}");
    let mut text = String::new();
    let received = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.expect("a chunk")));
            if text.matches("event: finding\n").count() == 2 && text.ends_with("\n\n") {
                return Instant::now();
            }
        }
        panic!("the stream ended: {text}");
    })
    .await
    .expect("a finding arrives on the stream");
    assert!(
        received - sent < Duration::from_secs(1),
        "the finding took {:?}",
        received - sent
    );
    assert!(!text.contains("finding_updated"), "{text}");
    let streamed: Vec<Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).expect("JSON data"))
        .collect();
    let rules: BTreeSet<&str> = streamed.iter().filter_map(|f| f["rule"].as_str()).collect();
    assert_eq!(
        rules,
        BTreeSet::from(["ONLINE_END_BY_2100", "ONLINE_LESSON_MAX_30MIN"])
    );
    let finding = streamed
        .iter()
        .find(|f| f["rule"] == "ONLINE_END_BY_2100")
        .expect("the 21:00 finding")
        .clone();
    assert_eq!(finding["evidence"][0]["event_id"], written["event_id"]);
    assert!(text.contains(&format!(
        "id: {}",
        finding["cursor"].as_str().expect("cursor")
    )));

    let message = tokio::time::timeout(Duration::from_secs(5), outbound.next())
        .await
        .expect("a finding on tw.out")
        .expect("a message");
    let published: Value = serde_json::from_slice(&message.payload).expect("JSON");
    assert_eq!(published["id"], finding["id"]);

    // An open stream does not hold up shutdown: it ends, and the service exits at once.
    let stopping = Instant::now();
    let status = api.service.terminate();
    assert!(status.success(), "{}", api.service.stderr());
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "shutdown took {:?} with a stream open",
        stopping.elapsed()
    );
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "the stream did not end");
}

#[tokio::test]
async fn bad_input_is_refused_with_a_problem_naming_the_field() {
    let api = Api::start().await;
    let token = api.institution.clone();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "unknown field",
            {
                let mut c = course("c", 20, 0);
                c["colour"] = json!("red");
                c
            },
            422,
            "body",
        ),
        (
            "wrong type",
            {
                let mut c = course("c", 20, 0);
                c["class_size_max"] = json!("thirty");
                c
            },
            422,
            "class_size_max",
        ),
        (
            "negative money",
            {
                let mut c = course("c", 20, 0);
                c["price_per_lesson"] = json!(-100);
                c
            },
            422,
            "price_per_lesson",
        ),
        (
            "money as a float",
            {
                let mut c = course("c", 20, 0);
                c["price_per_lesson"] = json!(30.5);
                c
            },
            422,
            "price_per_lesson",
        ),
        (
            "time without a zone",
            {
                let mut c = course("c", 20, 0);
                c["sessions"][0]["start"] = json!("2025-09-01T19:00:00");
                c
            },
            422,
            "sessions[0].start",
        ),
        (
            "ends before it starts",
            {
                let mut c = course("c", 20, 0);
                c["sessions"][0]["end"] = json!("2025-09-01T18:00:00+08:00");
                c
            },
            422,
            "sessions[0].end",
        ),
    ];
    for (what, body, status, field) in cases {
        let (got, problem) = api.post("/v1/schedules", &token, &body).await;
        assert_eq!(got, status, "{what}: {problem}");
        assert!(
            problem["field"]
                .as_str()
                .is_some_and(|f| f.contains(field) || field == "body"),
            "{what}: {problem}"
        );
    }
    // A bad credit code in an event, on the generic route.
    let mut bad_code = registration(CODE_A);
    bad_code["institution"] = json!("52440200MJL123454X");
    let (status, problem) = api.post("/v1/events", &api.admin, &bad_code).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("institution")),
        "{problem}"
    );
    // Not JSON, the wrong media type, too large.
    let raw = |body: &'static str, content_type: &'static str| {
        api.client
            .post(api.url("/v1/schedules"))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
    };
    assert_eq!(api.send(raw("{not json", "application/json")).await.0, 400);
    assert_eq!(api.send(raw("{}", "text/plain")).await.0, 415);
    let huge = "x".repeat(300 * 1024);
    let (status, _) = api
        .send(
            api.client
                .post(api.url("/v1/schedules"))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(format!("{{\"title\": \"{huge}\"}}")),
        )
        .await;
    assert_eq!(status, 413);
    // Query parameters and paths.
    let officer = api.city_officer.clone();
    for (path, status, field) in [
        ("/v1/findings?limit=abc", 400, "query.limit"),
        ("/v1/findings?limit=0", 422, "query.limit"),
        ("/v1/findings?rule=NO_SUCH_RULE", 422, "query.rule"),
        ("/v1/findings?after=zz", 422, "query.after"),
        ("/v1/findings?from=2025-09-01T00:00:00", 400, "query.from"),
        ("/v1/findings?colour=red", 400, "query"),
        ("/v1/findings/not-a-uuid", 422, "path.id"),
        ("/v1/institutions/123", 422, "path.code"),
    ] {
        let (got, problem) = api.get(path, Some(&officer)).await;
        assert_eq!(got, status, "{path}: {problem}");
        assert!(
            problem["field"]
                .as_str()
                .is_some_and(|f| f.starts_with(field)),
            "{path}: {problem}"
        );
    }
    let (status, problem) = api.get("/v1/no-such-route", None).await;
    assert_eq!((status, problem["title"].as_str()), (404, Some("未找到")));
    let (status, problem) = api
        .send(api.client.delete(api.url("/v1/lists/black")))
        .await;
    assert_eq!(status, 405);
    assert_eq!(problem["title"], "不支持该请求方法", "{problem}");
    // Titles and details are Chinese unless the reader prefers English; the field is named
    // either way, and the Chinese detail never travels as a field of its own.
    let in_language = |language: &'static str| {
        api.client
            .get(api.url("/v1/findings?limit=0"))
            .bearer_auth(&officer)
            .header("accept-language", language)
    };
    let (status, problem) = api.send(in_language("zh-CN,zh;q=0.9")).await;
    assert_eq!((status, problem["title"].as_str()), (422, Some("字段无效")));
    assert_eq!(problem["detail"], "须为 1 至 1000", "{problem}");
    assert_eq!(problem["field"], "query.limit");
    assert!(problem.get("detail_zh").is_none(), "{problem}");
    let (status, problem) = api.send(in_language("en-GB,en;q=0.9")).await;
    assert_eq!(
        (status, problem["title"].as_str()),
        (422, Some("A field is invalid"))
    );
    assert_eq!(problem["detail"], "must be 1 to 1000", "{problem}");
    assert!(problem.get("detail_zh").is_none(), "{problem}");
    // A field that fails validation, in both languages.
    let bad_lesson = |language: &'static str| {
        api.client
            .post(api.url("/v1/lessons"))
            .bearer_auth(&api.institution)
            .header("accept-language", language)
            .json(&serde_json::json!({
                "course": "c-x", "lesson": "l-1",
                "start": "2025-09-01T19:00:00+08:00", "end": "2025-09-01T18:00:00+08:00",
                "site": null, "teachers": [], "attendees": 3,
            }))
    };
    let (status, problem) = api.send(bad_lesson("zh")).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("end")),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("不晚于开始时间")),
        "{problem}"
    );
    let (_, problem) = api.send(bad_lesson("en")).await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not after its start")),
        "{problem}"
    );
    let response = in_language("en").send().await.expect("the service answers");
    assert_eq!(
        response
            .headers()
            .get("content-language")
            .and_then(|v| v.to_str().ok()),
        Some("en")
    );
    // Nothing of that reached the log: only the registration.
    assert_eq!(api.service.logged_events().await, Some(1));
    // The OpenAPI document lists the routes served.
    let (status, doc) = api.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    for path in [
        "/v1/schedules",
        "/v1/findings",
        "/v1/findings/stream",
        "/v1/lists/black",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
    let metrics = api
        .client
        .get(api.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("tutorwatch_http_requests_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tutorwatch_projector_lag_events"),
        "{metrics}"
    );
}

/// The figure `key` of rule `id` in a `GET /v1/rules` document.
fn rule_figure<'a>(catalogue: &'a Value, id: &str, key: &str) -> &'a Value {
    let rule = catalogue["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == id))
        .unwrap_or_else(|| panic!("no rule {id} in {catalogue}"));
    rule["figures"]
        .as_array()
        .and_then(|figures| figures.iter().find(|f| f["key"] == key))
        .unwrap_or_else(|| panic!("no figure {key} in {rule}"))
}

#[tokio::test]
async fn the_rule_catalogue_shows_the_figures_in_force_by_date_and_region() {
    let api = Api::start().await;
    // Public, Chinese by default.
    let response = api
        .client
        .get(api.url("/v1/rules?date=2021-08-01"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-language")
            .and_then(|v| v.to_str().ok()),
        Some("zh-CN")
    );
    let zh: Value = response.json().await.expect("json");
    let rules = zh["rules"].as_array().expect("rules");
    assert!(rules.len() >= 30, "{} rules", rules.len());
    for rule in rules {
        for field in [
            "id",
            "title",
            "area_title",
            "severity_title",
            "source",
            "list_effect",
        ] {
            assert!(
                rule[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} of {rule}"
            );
        }
        assert!(
            rule["figures"].as_array().is_some_and(|f| !f.is_empty()),
            "{rule}"
        );
    }
    let lesson = rule_figure(&zh, "ONLINE_LESSON_MAX_30MIN", "online_lesson_max_seconds");
    assert_eq!(
        (
            &lesson["value"],
            &lesson["display"],
            &lesson["from"],
            &lesson["level"]
        ),
        (
            &json!(1800),
            &json!("30 分钟"),
            &json!("2021-07-24"),
            &json!("national")
        )
    );
    assert_eq!(lesson["in_force"], true);
    // Before the 2021 opinion: the 2019 figure, 40 minutes.
    let (status, before) = api.get("/v1/rules?date=2021-07-23", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        rule_figure(
            &before,
            "ONLINE_LESSON_MAX_30MIN",
            "online_lesson_max_seconds"
        )["value"],
        2400
    );
    // Before the subject ban took effect, it is not in force at all.
    let ban = rule_figure(
        &before,
        "SUBJECT_NO_HOLIDAY_WEEKEND_VACATION",
        "subject_no_holiday_weekend_vacation",
    );
    assert_eq!(
        (&ban["in_force"], &ban["display"]),
        (&json!(false), &json!("未生效"))
    );
    // A region's override wins over the national figure, and says who set it.
    let (status, jiangsu) = api
        .get("/v1/rules?date=2025-09-01&region=320102", None)
        .await;
    assert_eq!(status, 200);
    let rest_day = rule_figure(
        &jiangsu,
        "SUBJECT_NO_HOLIDAY_WEEKEND_VACATION",
        "rest_day_rule",
    );
    assert_eq!(
        (&rest_day["value"], &rest_day["level"]),
        (&json!("weekend"), &json!("320000"))
    );
    let (_, national) = api.get("/v1/rules?date=2025-09-01", None).await;
    assert_eq!(
        rule_figure(
            &national,
            "SUBJECT_NO_HOLIDAY_WEEKEND_VACATION",
            "rest_day_rule"
        )["value"],
        "rest_day"
    );
    // Per-category caps, once per category; money and durations in words.
    let cap = rule_figure(&national, "PREPAY_MAX_3M_60H", "prepay_max_lessons.subject");
    assert_eq!(cap["in_force"], true, "{cap}");
    // English on request, by header or by query.
    let response = api
        .client
        .get(api.url("/v1/rules?date=2025-09-01"))
        .header("accept-language", "en-GB,en;q=0.9,zh;q=0.5")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response
            .headers()
            .get("content-language")
            .and_then(|v| v.to_str().ok()),
        Some("en")
    );
    let en: Value = response.json().await.expect("json");
    assert_eq!(
        rule_figure(&en, "ONLINE_LESSON_MAX_30MIN", "online_lesson_max_seconds")["display"],
        "30 min"
    );
    let (_, by_query) = api.get("/v1/rules?date=2025-09-01&lang=en", None).await;
    assert_eq!(by_query["lang"], "en");
    assert!(by_query["rules"][0]["title"]
        .as_str()
        .is_some_and(|t| t.is_ascii()));
    // Bad input names the field.
    for (query, field) in [
        ("region=449900", "query.region"),
        ("region=44", "query.region"),
        ("date=2025-13-01", "query.date"),
        ("lang=fr", "query.lang"),
    ] {
        let (status, problem) = api.get(&format!("/v1/rules?{query}"), None).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn an_event_for_a_region_gb_t_2260_does_not_have_is_refused() {
    let api = Api::start().await;
    let (_, stats) = api.get("/v1/log/stats", None).await;
    let last_seq = stats["last_seq"].clone();
    // A prefecture and a county that do not exist in Guangdong: well-formed, but not regions.
    // (An institution not yet registered, so that only the region is at fault.)
    for made_up in ["449900", "440299"] {
        let mut event = registration(&api.code_b);
        event["region"] = json!(made_up);
        event["producer"] = json!({"registry": made_up});
        event["data"]["region"] = json!(made_up);
        let (status, problem) = api.post("/v1/events", &api.admin, &event).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("region")),
            "{made_up}: {problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("GB/T 2260") && d.contains(made_up)),
            "{problem}"
        );
    }
    // Nothing of them reached the log.
    let (_, stats) = api.get("/v1/log/stats", None).await;
    assert_eq!(stats["last_seq"], last_seq, "{stats}");
}

/// Waits until the projections have applied every logged event; returns that position.
async fn applied(api: &Api) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, stats) = api.get("/v1/log/stats", None).await;
        let position = stats["projector"]["applied_seq"].as_u64();
        if position.is_some() && position == stats["last_seq"].as_u64() {
            return position.unwrap_or_default();
        }
        assert!(
            Instant::now() < deadline,
            "the projector did not catch up: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A registry event about `CODE_A` from its registry (sent by the admin), at version 1 or 2.
fn registry_event(event_type: &str, version: u16, data: Value) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": event_type,
        "version": version,
        "institution": CODE_A,
        "region": CITY,
        "producer": {"registry": CITY},
        "occurred_at": "2025-08-15T09:00:00+08:00",
        "data": data,
    })
}

#[tokio::test]
async fn the_list_changes_between_two_positions_are_the_diff_of_their_snapshots() {
    let api = Api::start().await;
    let before = applied(&api).await;
    // A revocation as a penalty (a version-1 event, read as one) puts it on the black list.
    let revoked = registry_event("registry.licence_revoked", 1, json!({"reason": "吊销"}));
    let (status, body) = api.post("/v1/events", &api.admin, &revoked).await;
    assert_eq!(status, 201, "{body}");
    let black = applied(&api).await;
    let (status, changes) = api
        .get(&format!("/v1/lists/black/changes?after={before}"), None)
        .await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!(changes["until"], black);
    let added = changes["added"].as_array().expect("added");
    assert_eq!(added.len(), 1, "{changes}");
    assert_eq!(
        (&added[0]["credit_code"], &added[0]["from"], &added[0]["to"]),
        (&json!(CODE_A), &json!("unlisted"), &json!("black"))
    );
    assert_eq!(added[0]["at_event"], revoked["event_id"]);
    assert_eq!(added[0]["reasons"][0]["kind"], "licence_revoked_as_penalty");
    assert_eq!(changes["removed"], json!([]));
    // The same range on the white list: nothing joined or left it.
    let (_, white) = api
        .get(&format!("/v1/lists/white/changes?after={before}"), None)
        .await;
    assert_eq!(
        (&white["added"], &white["removed"]),
        (&json!([]), &json!([]))
    );
    // The public list agrees with the diff.
    let (_, list) = api.get("/v1/lists/black", None).await;
    assert!(list["institutions"]
        .as_array()
        .is_some_and(|l| l.iter().any(|i| i["credit_code"] == CODE_A)));

    // Restored: it leaves the black list (unlisted: it has no supervised account).
    let restored = registry_event(
        "registry.licence_restored",
        1,
        json!({"note": "行政复议撤销吊销决定"}),
    );
    let (status, body) = api.post("/v1/events", &api.admin, &restored).await;
    assert_eq!(status, 201, "{body}");
    let after_restore = applied(&api).await;
    let (_, changes) = api
        .get(
            &format!("/v1/lists/black/changes?after={black}&until={after_restore}"),
            None,
        )
        .await;
    let removed = changes["removed"].as_array().expect("removed");
    assert_eq!(removed.len(), 1, "{changes}");
    assert_eq!(
        (&removed[0]["from"], &removed[0]["to"]),
        (&json!("black"), &json!("unlisted"))
    );
    // Across both moves, nothing changed on the black list.
    let (_, net) = api
        .get(&format!("/v1/lists/black/changes?after={before}"), None)
        .await;
    assert_eq!(
        (&net["added"], &net["removed"]),
        (&json!([]), &json!([])),
        "{net}"
    );
    // The range as it stood: only the revocation.
    let (_, then) = api
        .get(
            &format!("/v1/lists/black/changes?after={before}&until={black}"),
            None,
        )
        .await;
    assert_eq!(then["added"].as_array().map(Vec::len), Some(1), "{then}");

    for (query, field) in [
        (
            format!("/v1/lists/black/changes?after={black}&until={before}"),
            "query.until",
        ),
        (
            format!(
                "/v1/lists/black/changes?after=0&until={}",
                after_restore + 1000
            ),
            "query.until",
        ),
        ("/v1/lists/grey/changes?after=0".to_owned(), "path.list"),
    ] {
        let (status, problem) = api.get(&query, None).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{query}: {problem}"
        );
    }
    let (status, problem) = api.get("/v1/lists/black/changes", None).await;
    assert_eq!(status, 400, "`after` is required: {problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("after")),
        "{problem}"
    );
}
