//! The web console in a real browser: Debian's chromium, headless, driven through chromedriver
//! (each test starts its own on a free port and kills it at the end) with `fantoccini`, against a
//! real nats-server and the real `tutorwatch serve`. An officer signs in, filters the feed, sees a
//! live finding arrive, exports the page as CSV (read back: BOM, Chinese headers, the same rows),
//! opens a finding, acts on it and opens the institution's file, and sees nothing of another
//! jurisdiction; an officer sees an institution's prepaid fees over time as a chart (with the
//! session cookie `Secure` when the settings say the site is behind HTTPS); an institution checks
//! and submits a schedule; the public searches the lists.
//! Each page is saved as a screenshot under `<target>/screenshots/`.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::*;

const CODE_A: &str = "52440200MJL123454R";
const CITY: &str = "440200";
const COUNTY: &str = "440204";
const NAME_A: &str = "韶关市某某培训学校";
const NAME_B: &str = "韶关市启明艺术培训中心";
const NAME_C: &str = "韶关市星辰教育咨询有限公司";

/// The chromium and chromedriver Debian installs (`deploy/lib.sh`, `ensure_chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots`, or `target/screenshots`.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("creates the screenshot directory");
    dir
}

/// A headless chromium behind its own chromedriver; the driver (and its browser) is killed on
/// drop.
struct Browser {
    driver: Child,
    client: Option<Client>,
    base: String,
}

impl Browser {
    async fn start(base: &str) -> Browser {
        let port = free_port();
        // Its own process group, which the browsers it starts join: killing the group on drop
        // leaves no browser behind, even when a test fails before closing its session.
        let driver = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts chromedriver (apt-get install chromium chromium-driver)");
        let mut browser = Browser {
            driver,
            client: None,
            base: base.to_owned(),
        };
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--disable-gpu", "--disable-crash-reporter", "--disable-breakpad",
                         "--window-size=1280,1000", "--lang=zh-CN"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    browser.client = Some(client);
                    break;
                }
                Err(error) => {
                    assert!(
                        Instant::now() < deadline,
                        "chromedriver did not start a session: {error}"
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        browser
    }

    fn c(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    async fn goto(&self, path: &str) {
        self.c()
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigates");
    }

    async fn path(&self) -> String {
        let url = self.c().current_url().await.expect("a URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn text(&self, css: &str) -> String {
        self.c()
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.c().find_all(Locator::Css(css)).await.expect("finds") {
            texts.push(element.text().await.expect("text"));
        }
        texts
    }

    async fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let mut values = Vec::new();
        for element in self.c().find_all(Locator::Css(css)).await.expect("finds") {
            values.push(element.attr(attr).await.expect("attr").unwrap_or_default());
        }
        values
    }

    async fn click(&self, css: &str) {
        self.element(css)
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
    }

    /// Clicks a form's submit button and waits until the browser has left the page: the next page
    /// may hold the same elements (a list after a search), so waiting for an element alone could
    /// read the old page while it is being replaced.
    async fn submit(&self, css: &str) {
        let old_page = self
            .c()
            .find(Locator::Css("html"))
            .await
            .expect("the page's root element");
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while old_page.tag_name().await.is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "submitting with {css} did not leave the page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let element = self
            .element(css)
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
        element.clear().await.expect("clears");
        element.send_keys(text).await.expect("types");
    }

    async fn select(&self, css: &str, value: &str) {
        self.element(css)
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("cannot select {value} in {css}: {e}"));
    }

    /// Sets a field's value by script (for long JSON, which typing would only slow down).
    async fn set_value(&self, css: &str, value: &str) {
        self.c()
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .expect("sets the value");
    }

    /// Waits for an element; a lookup that a navigation in progress aborts (the page it asked
    /// was being replaced) is asked again on the next page, until the deadline.
    async fn element(&self, css: &str) -> Result<fantoccini::elements::Element, String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self
                .c()
                .wait()
                .at_most(left)
                .for_element(Locator::Css(css))
                .await
            {
                Ok(element) => return Ok(element),
                Err(e)
                    if e.to_string().contains("aborted by navigation")
                        && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    let url = self.path().await;
                    let source = self.c().source().await.unwrap_or_default();
                    let start: String = source.chars().take(600).collect();
                    return Err(format!("{e} (on {url}: {start})"));
                }
            }
        }
    }

    async fn wait_for(&self, what: &str, css: &str) {
        if let Err(e) = self.element(css).await {
            panic!("{what}: no {css}: {e}");
        }
    }

    async fn screenshot(&self, name: &str) {
        let png = self.c().screenshot().await.expect("a screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png)
            .expect("writes the screenshot");
    }

    async fn sign_in(&self, token: &str) {
        self.goto("/sign-in").await;
        self.fill("#token", token).await;
        self.click("#sign-in").await;
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The service with three institutions registered in 韶关市 and tokens for each role.
struct Site {
    _nats: NatsServer,
    service: Service,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
    admin: String,
    institution_a: String,
    institution_b: String,
    officer: String,
    other_officer: String,
    code_b: String,
    code_c: String,
}

fn registration(code: &str, name: &str, region: &str) -> Value {
    json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.institution_registered",
        "version": 1,
        "institution": code,
        "region": region,
        "producer": {"registry": region},
        "occurred_at": "2025-08-01T09:00:00+08:00",
        "data": {
            "name": name, "region": region, "category": "subject",
            "subjects": ["mathematics"], "modes": "both", "non_profit": true,
            "licence": format!("lic-{}", &code[10..]), "approved_on": "2020-03-01",
            "approved_sites": [{"id": "site-1", "address": "韶关市浈江区风度中路1号"}],
        }
    })
}

/// An online course of one lesson on 2025-09-01 from `start` to `end` (local times).
fn course(id: &str, start: &str, end: &str) -> Value {
    json!({
        "course": id, "title": "五年级数学", "subject": "mathematics",
        "grade_band": "primary", "mode": "online", "site": null, "teachers": [],
        "price_per_lesson": 3000, "class_size_max": 30,
        "sessions": [{"lesson": format!("{id}-1"),
                      "start": format!("2025-09-01T{start}+08:00"),
                      "end": format!("2025-09-01T{end}+08:00")}],
    })
}

impl Site {
    async fn start() -> Site {
        Site::start_with_config(None).await
    }

    /// The site, with `serve` reading `config` (TOML) when given.
    async fn start_with_config(config: Option<&str>) -> Site {
        let nats = NatsServer::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let code_b = tutorwatch_events::examples::synthetic_credit_code(21).to_string();
        let code_c = tutorwatch_events::examples::synthetic_credit_code(22).to_string();
        let admin = issue_token(&data, &["--role", "admin"]);
        let institution_a = issue_token(
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
        let institution_b = issue_token(
            &data,
            &[
                "--role",
                "institution",
                "--institution",
                &code_b,
                "--region",
                COUNTY,
            ],
        );
        let officer = issue_token(
            &data,
            &["--role", "officer", "--officer", "sg-001", "--region", CITY],
        );
        let other_officer = issue_token(
            &data,
            &[
                "--role",
                "officer",
                "--officer",
                "gx-001",
                "--region",
                "450000",
            ],
        );
        let service = match config {
            Some(config) => Service::start_with_config(&nats.url(), &data, config),
            None => Service::start(&nats.url(), &data),
        };
        service.wait_ready().await;
        let site = Site {
            _nats: nats,
            service,
            _dir: dir,
            client: reqwest::Client::new(),
            admin,
            institution_a,
            institution_b,
            officer,
            other_officer,
            code_b,
            code_c,
        };
        for (code, name, region) in [
            (CODE_A, NAME_A, CITY),
            (site.code_b.as_str(), NAME_B, COUNTY),
            (site.code_c.as_str(), NAME_C, CITY),
        ] {
            let (status, body) = site
                .post("/v1/events", &site.admin, registration(code, name, region))
                .await;
            assert_eq!(status, 201, "{body}");
        }
        site
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.service.http))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The findings `token` reads with `query`, once there are at least `n`.
    async fn findings(&self, token: &str, query: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some((200, page)) = self
                .service
                .get_json_with(&format!("/v1/findings?{query}"), token)
                .await
            {
                let found = page["findings"].as_array().cloned().unwrap_or_default();
                if found.len() >= n {
                    return found;
                }
            }
            assert!(
                Instant::now() < deadline,
                "fewer than {n} findings for {query}: {}",
                self.service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The event the CLI gives as an example of `event_type`, with a fresh id.
    fn example(event_type: &str) -> Value {
        let output = Command::new(binary())
            .args(["example", event_type])
            .output()
            .expect("runs tutorwatch example");
        assert!(output.status.success(), "{output:?}");
        let mut example: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        example["event_id"] = json!(uuid::Uuid::now_v7());
        example
    }

    /// Waits until `code` is on `list` (`black` or `white`) through the API.
    async fn wait_listed(&self, list: &str, code: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some((200, page)) = self.service.get_json(&format!("/v1/lists/{list}")).await {
                let listed = page["institutions"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|i| i["credit_code"] == code));
                if listed {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{code} never reached the {list} list: {}",
                self.service.stderr()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The `Set-Cookie` headers of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .collect()
}

impl Site {
    /// The session cookie the sign-in form sets for `token` (as its `Set-Cookie` line).
    async fn session_cookie(&self, token: &str) -> String {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client")
            .post(format!("{}/sign-in", self.service.http))
            .header("origin", &self.service.http)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}&next="))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), 303, "signing in redirects");
        let cookies = set_cookies(&response);
        cookies
            .into_iter()
            .find(|c| c.starts_with("tw_session="))
            .expect("a session cookie")
    }
}

/// Parses a CSV export (after its BOM) into rows of cells.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "the export starts with a UTF-8 BOM"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn an_officer_filters_follows_exports_and_acts_on_the_feed() {
    let site = Site::start().await;
    // A: an online lesson of 31 minutes (city level); B: one ending after 21:00 (a county).
    let (status, body) = site
        .post(
            "/v1/schedules",
            &site.institution_a,
            course("a-1", "19:00:00", "19:31:00"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = site
        .post(
            "/v1/schedules",
            &site.institution_b,
            course("b-1", "20:40:00", "21:00:01"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let both = site.findings(&site.officer, "", 2).await;
    assert_eq!(both.len(), 2, "{both:?}");
    let finding_a = both
        .iter()
        .find(|f| f["institution"] == CODE_A)
        .expect("A's finding")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let browser = Browser::start(&site.service.http).await;
    // Signing in: the console sends the stranger to the sign-in page, and back after it.
    browser.goto("/console/feed").await;
    assert!(
        browser.path().await.starts_with("/sign-in"),
        "{}",
        browser.path().await
    );
    browser.sign_in("tw_not-a-real-token").await;
    browser.wait_for("a refused token", "#sign-in-error").await;
    browser.sign_in(&site.officer).await;
    browser.wait_for("the feed", "#feed").await;
    assert_eq!(browser.path().await, "/console/feed");
    let names = browser.texts("#feed td.institution a").await;
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&NAME_A.to_owned()) && names.contains(&NAME_B.to_owned()),
        "{names:?}"
    );
    let regions = browser.texts("#feed span.region").await;
    assert!(
        regions
            .iter()
            .any(|r| r.contains("韶关市浈江区") && r.contains(COUNTY)),
        "{regions:?}"
    );
    let rules = browser.texts("#feed td.rule a").await;
    assert!(
        rules.contains(&"线上培训每课时不超过30分钟".to_owned()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"线上培训结束时间不晚于21:00".to_owned()),
        "{rules:?}"
    );
    assert!(browser.text("#feed td.when").await.contains("2025年9月1日"));
    browser.screenshot("console-feed").await;

    // Filters: the county by name, then a rule, then a status with no match.
    let options = browser.texts("#f-region option").await;
    assert!(
        options
            .iter()
            .any(|o| o.contains("浈江区") && o.contains(COUNTY)),
        "{options:?}"
    );
    browser.select("#f-region", COUNTY).await;
    browser.submit("#apply").await;
    browser.wait_for("the filtered feed", "#feed").await;
    assert_eq!(
        browser.texts("#feed td.institution a").await,
        vec![NAME_B.to_owned()]
    );
    browser.screenshot("console-feed-filtered").await;
    browser
        .goto("/console/feed?rule=ONLINE_LESSON_MAX_30MIN")
        .await;
    assert_eq!(
        browser.attrs("#feed tr.finding", "data-id").await,
        vec![finding_a.clone()]
    );
    browser.goto("/console/feed?status=resolved").await;
    assert!(browser.texts("#feed tr.finding").await.is_empty());
    browser.goto("/console/feed?from=2025-09-02").await;
    assert!(browser.texts("#feed tr.finding").await.is_empty());
    browser
        .goto("/console/feed?from=2025-09-01&until=2025-09-01&severity=high")
        .await;
    assert_eq!(
        browser.texts("#feed td.institution a").await,
        vec![NAME_B.to_owned()]
    );

    // Live: a finding raised while the page is open arrives as a new row, marked.
    browser.goto("/console/feed").await;
    browser
        .wait_for("the live stream", "#live[data-state=on]")
        .await;
    let (status, body) = site
        .post(
            "/v1/schedules",
            &site.institution_a,
            course("a-2", "20:40:00", "21:00:01"),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let late = site
        .findings(
            &site.officer,
            &format!("institution={CODE_A}&rule=ONLINE_END_BY_2100"),
            1,
        )
        .await;
    let late_id = late[0]["id"].as_str().expect("id").to_owned();
    browser
        .wait_for(
            "the live finding",
            &format!("#feed tr.new[data-id=\"{late_id}\"]"),
        )
        .await;
    assert!(browser.text("#new-count").await.contains('1'));
    assert!(browser.text("#feed tr.new td.when").await.contains('新'));
    browser.screenshot("console-feed-live").await;

    // CSV of the page shown: BOM, Chinese headers, the same rows in the same order.
    browser.goto("/console/feed").await;
    let shown_ids = browser.attrs("#feed tr.finding", "data-id").await;
    let shown_names = browser.texts("#feed td.institution a").await;
    assert_eq!(shown_ids.len(), 3, "{shown_ids:?}");
    let bytes = browser
        .c()
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('export').href)
               .then(r => r.arrayBuffer())
               .then(b => done(Array.from(new Uint8Array(b))));",
            vec![],
        )
        .await
        .expect("fetches the export");
    let bytes: Vec<u8> = serde_json::from_value(bytes).expect("bytes");
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0],
        [
            "发生时间（北京时间）",
            "违规规则",
            "规则编号",
            "严重程度",
            "培训机构",
            "统一社会信用代码",
            "所在地区",
            "地区代码",
            "处理状态",
            "线索编号"
        ]
    );
    let csv_ids: Vec<&str> = rows[1..].iter().map(|r| r[9].as_str()).collect();
    let csv_names: Vec<&str> = rows[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(csv_ids, shown_ids);
    assert_eq!(csv_names, shown_names);
    assert!(rows[1..].iter().all(|r| r[8] == "待处理"), "{rows:?}");

    // A finding: the rule in words with its source, the times, the evidence; then acting on it.
    browser
        .click(&format!("#feed tr[data-id=\"{finding_a}\"] a.open"))
        .await;
    assert_eq!(
        browser.text("#rule-name").await,
        "线上培训每课时不超过30分钟"
    );
    assert!(browser
        .text("#rule-source")
        .await
        .contains("中办发〔2021〕40号"));
    assert!(browser.text("#when").await.contains("2025年9月1日 19:"));
    assert!(browser.text("#evidence").await.contains("发布课程排课"));
    let description = browser.text("#description").await;
    assert!(
        description.contains("线上课程课时 31 分钟，超过 30 分钟"),
        "{description}"
    );
    let figures = browser.text("#figures").await;
    assert!(
        figures.contains("实际") && figures.contains("31 分钟") && figures.contains("30 分钟"),
        "{figures}"
    );
    assert_eq!(browser.text("#status").await.trim(), "待处理");
    browser
        .wait_for("the acknowledge form", "#act-acknowledged")
        .await;
    browser.screenshot("console-finding").await;
    browser
        .fill("#act-rectification input[name=note]", "请于期限内整改")
        .await;
    browser.click("#act-rectification button").await;
    browser
        .wait_for("the action's confirmation", "#acted")
        .await;
    assert!(
        browser.text("#status").await.contains("已责令整改"),
        "{}",
        browser.text("#status").await
    );
    let timeline = browser.text("#timeline").await;
    assert!(
        timeline.contains("责令整改") && timeline.contains("请于期限内整改"),
        "{timeline}"
    );
    assert!(timeline.contains("sg-001"), "{timeline}");
    assert!(
        browser
            .c()
            .find(Locator::Css("#act-acknowledged"))
            .await
            .is_err(),
        "a case past acknowledgement offers no acknowledgement"
    );
    browser.screenshot("console-finding-acted").await;
    // The API agrees: the action is in the log with the officer's token.
    let (status, api_view) = site
        .service
        .get_json_with(&format!("/v1/findings/{finding_a}"), &site.officer)
        .await
        .expect("answers");
    assert_eq!(status, 200);
    assert_eq!(api_view["status"], "rectification_ordered", "{api_view}");

    // The cookie opens the pages only: the API still wants a bearer token, and a form posted
    // from another site is refused.
    let cookie = format!("tw_session={}", site.officer);
    let response = site
        .client
        .get(format!("{}/v1/findings", site.service.http))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 401);
    let response = site
        .client
        .post(format!(
            "{}/console/findings/{finding_a}/act",
            site.service.http
        ))
        .header("cookie", &cookie)
        .header("origin", "http://elsewhere.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("action=resolved&note=elsewhere")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 403);

    // The overview: counts by region, rule and week, drawn as SVG.
    browser.click("#to-overview").await;
    assert_eq!(browser.text("#standing").await, "3");
    assert_eq!(browser.text("#open").await, "2");
    let by_region = browser.text("#by-region").await;
    assert!(
        by_region.contains("浈江区 440204") && by_region.contains("韶关市 440200"),
        "{by_region}"
    );
    assert!(browser
        .text("#by-rule")
        .await
        .contains("线上培训结束时间不晚于21:00"));
    assert!(
        browser.text("#by-week").await.contains("W36"),
        "2025-09-01 is in ISO week 36"
    );
    browser.screenshot("console-overview").await;
    browser
        .goto(&format!("/console/findings/{finding_a}"))
        .await;

    // The institution's file.
    browser.click("#institution-link").await;
    assert_eq!(browser.text("#institution-name").await, NAME_A);
    assert_eq!(browser.text("#credit-code").await, CODE_A);
    assert_eq!(browser.text("#licence").await, "有效");
    let standing = browser.attrs("#standing tr.finding", "data-id").await;
    assert!(standing.contains(&finding_a), "{standing:?}");
    // The week of its latest lesson: both lessons, each marked with its finding's rule.
    let timetable = browser.text("#timetable").await;
    assert!(
        timetable.contains("19:00–19:31") && timetable.contains("20:40–21:00"),
        "{timetable}"
    );
    let marked = browser.texts("#timetable div.lesson.bad").await;
    assert_eq!(marked.len(), 2, "{marked:?}");
    assert!(
        marked[0].contains("线上培训每课时不超过30分钟"),
        "{marked:?}"
    );
    assert!(
        marked[1].contains("线上培训结束时间不晚于21:00"),
        "{marked:?}"
    );
    assert!(
        marked[0].contains("数学") && marked[0].contains("线上"),
        "{marked:?}"
    );
    browser.screenshot("console-institution").await;
    browser
        .c()
        .execute(
            "document.getElementById('timetable').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scrolls");
    browser.screenshot("console-institution-timetable").await;
    browser.click("#week-after").await;
    browser.wait_for("an empty week", "#no-lessons").await;

    // English on request.
    browser.click("#lang-switch").await;
    assert_eq!(browser.text("h1").await, NAME_A);
    assert!(browser.text("#licence").await.contains("active"));
    browser.goto("/console/feed").await;
    assert_eq!(browser.text("h1").await, "Findings");
    browser.goto("/console/feed?lang=zh").await;
    assert_eq!(browser.text("h1").await, "违规线索");

    // Another jurisdiction's officer sees none of it, and the finding is "not found" for them.
    // Signing out lands on the home page; sign in again only once it is there (a navigation to
    // the sign-in page started earlier would be overtaken by the sign-out's redirect).
    browser.submit("#sign-out").await;
    browser
        .wait_for("the home page after signing out", "section.hero")
        .await;
    browser.sign_in(&site.other_officer).await;
    browser.wait_for("the other feed", "#feed").await;
    assert!(browser.texts("#feed tr.finding").await.is_empty());
    browser
        .goto(&format!("/console/findings/{finding_a}"))
        .await;
    assert!(browser.text("h1").await.contains("未找到"));
    browser
        .goto(&format!("/console/institutions/{CODE_A}"))
        .await;
    assert!(browser.text("h1").await.contains("无权"));
    browser.close().await;
}

/// An escrow event about institution A, from the CLI's example with `data` fields replaced.
fn escrow(event_type: &str, occurred_at: &str, data: Value) -> Value {
    let mut event = Site::example(event_type);
    event["institution"] = json!(CODE_A);
    event["region"] = json!(CITY);
    event["occurred_at"] = json!(occurred_at);
    for (key, value) in data.as_object().expect("an object") {
        event["data"][key] = value.clone();
    }
    event
}

#[tokio::test]
async fn an_officer_sees_an_institutions_prepaid_fees_over_time() {
    let site = Site::start().await;
    for event in [
        escrow(
            "escrow.account_opened",
            "2025-08-31T09:00:00+08:00",
            json!({}),
        ),
        escrow(
            "escrow.fee_collected",
            "2025-09-01T10:00:00+08:00",
            json!({"amount": 300000, "lessons": 20, "service_start": "2025-09-01",
                   "service_end": "2025-11-30"}),
        ),
        escrow(
            "escrow.funds_released",
            "2025-09-08T21:00:00+08:00",
            json!({"amount": 15000, "lessons": 1}),
        ),
        escrow(
            "escrow.refund_requested",
            "2025-09-10T09:00:00+08:00",
            json!({"amount": 100000}),
        ),
        // Stated for 9 September, sent after midnight: filed under the day it states.
        escrow(
            "escrow.daily_balance",
            "2025-09-10T00:30:00+08:00",
            json!({"date": "2025-09-09", "balance": 285000}),
        ),
    ] {
        let (status, body) = site.post("/v1/events", &site.admin, event).await;
        assert_eq!(status, 201, "{body}");
    }

    // Plain HTTP on loopback (the default): the session cookie is not Secure.
    let session = site.session_cookie(&site.officer).await;
    assert!(!session.contains("Secure"), "{session}");

    let browser = Browser::start(&site.service.http).await;
    browser.sign_in(&site.officer).await;
    browser.wait_for("the feed", "#feed").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        browser
            .goto(&format!("/console/institutions/{CODE_A}"))
            .await;
        let done = match browser.c().find(Locator::Css("#fund-latest-balance")).await {
            Ok(cell) => cell.text().await.unwrap_or_default() == "¥2850.00",
            Err(_) => false,
        };
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the fund chart never showed all five events: {}",
            site.service.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Four days: the fee (1 Sep), the release (8 Sep), the statement filed under the day it
    // states (9 Sep, though sent on the 10th) and the refund asked for (10 Sep).
    assert_eq!(browser.attrs("#fund-chart", "data-points").await, ["4"]);
    for series in ["collected", "released", "balance", "owed", "refunds-due"] {
        let d = browser.attrs(&format!("#fund-{series}"), "d").await;
        assert_eq!(d.len(), 1, "one line for {series}");
        assert!(d[0].starts_with('M'), "{series}: {d:?}");
    }
    assert_eq!(browser.text("#fund-latest-collected").await, "¥3000.00");
    assert_eq!(browser.text("#fund-latest-released").await, "¥150.00");
    assert_eq!(browser.text("#fund-latest-owed").await, "¥2850.00");
    assert_eq!(browser.text("#fund-latest-refunds-due").await, "¥1000.00");
    assert!(browser.text("#fund-latest").await.contains("2025年9月10日"));
    let chart = browser.text("#fund-chart").await;
    assert!(
        chart.contains("2025年9月1日") && chart.contains("按日"),
        "{chart}"
    );
    browser
        .c()
        .execute(
            "document.getElementById('fund-chart').previousElementSibling.scrollIntoView();",
            vec![],
        )
        .await
        .expect("scrolls");
    browser.screenshot("console-institution-funds").await;
    browser
        .goto(&format!("/console/institutions/{CODE_A}?lang=en"))
        .await;
    assert!(browser
        .text("#fund-latest")
        .await
        .contains("Owed to families"));
    // Another institution with no money movement says so.
    browser
        .goto(&format!("/console/institutions/{}", site.code_c))
        .await;
    browser.wait_for("no fund movement", "#no-funds").await;
    browser.close().await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_the_settings_say_the_site_is_behind_https() {
    let site = Site::start_with_config(Some("[api]\nconsole_secure_cookie = true\n")).await;
    let session = site.session_cookie(&site.officer).await;
    assert!(
        session.contains("; Secure")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Strict"),
        "{session}"
    );
    // Signing out clears it with the same attributes, and the language cookie is Secure too.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let response = client
        .post(format!("{}/sign-out", site.service.http))
        .header("cookie", format!("tw_session={}", site.officer))
        .header("origin", &site.service.http)
        .send()
        .await
        .expect("answers");
    let cleared = set_cookies(&response);
    assert!(
        cleared.iter().any(|c| c.starts_with("tw_session=;")
            && c.contains("Max-Age=0")
            && c.contains("; Secure")),
        "{cleared:?}"
    );
    let response = client
        .get(format!("{}/lists?lang=en", site.service.http))
        .send()
        .await
        .expect("answers");
    let lang = set_cookies(&response);
    assert!(lang.iter().any(|c| c.contains("; Secure")), "{lang:?}");
}

#[tokio::test]
async fn an_institution_checks_then_submits_a_schedule() {
    let site = Site::start().await;
    let browser = Browser::start(&site.service.http).await;
    browser.sign_in(&site.institution_a).await;
    browser.wait_for("the portal", "#schedule").await;
    assert_eq!(browser.path().await, "/portal");
    assert!(browser.text("#own-none").await.contains("暂无"));
    // The sample schedule passes the check.
    browser.click("#check").await;
    browser.wait_for("the sample's check", "#check-ok").await;
    browser.screenshot("portal").await;

    // A lesson of 31 minutes: the check names the rule, and stores nothing.
    let schedule =
        serde_json::to_string_pretty(&course("p-1", "19:00:00", "19:31:00")).expect("JSON");
    browser.set_value("#schedule", &schedule).await;
    browser.click("#check").await;
    browser
        .wait_for("the check's findings", "#check-findings")
        .await;
    assert!(browser
        .text("#check-findings")
        .await
        .contains("线上培训每课时不超过30分钟"));
    browser.screenshot("portal-check").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, page) = site
        .service
        .get_json_with("/v1/findings", &site.institution_a)
        .await
        .expect("answers");
    assert_eq!(status, 200);
    assert_eq!(page["findings"], json!([]), "a check stores nothing");

    // Bad JSON is refused with the field named.
    browser.set_value("#schedule", "{\"course\": 5}").await;
    browser.click("#check").await;
    browser.wait_for("the refusal", "#refused").await;

    // Submitting: the schedule is in the log, and the finding becomes the institution's own.
    browser.set_value("#schedule", &schedule).await;
    browser.click("#submit").await;
    browser.wait_for("the submission", "#submitted").await;
    let found = site.findings(&site.institution_a, "", 1).await;
    assert_eq!(found[0]["rule"], "ONLINE_LESSON_MAX_30MIN");
    browser.goto("/portal").await;
    assert!(browser
        .text("#own-findings")
        .await
        .contains("线上培训每课时不超过30分钟"));
    browser.screenshot("portal-submitted").await;

    // The officers' pages are not the institution's.
    browser.goto("/console/feed").await;
    assert_eq!(browser.path().await, "/portal");
    browser
        .goto(&format!("/console/institutions/{}", site.code_b))
        .await;
    assert!(browser.text("h1").await.contains("无权"));
    browser.close().await;
}

#[tokio::test]
async fn the_public_searches_the_black_and_white_lists() {
    let site = Site::start().await;
    // A opens a supervised account: white. C's licence is revoked and it teaches anyway: black.
    let mut account = Site::example("escrow.account_opened");
    account["institution"] = json!(CODE_A);
    account["region"] = json!(CITY);
    let (status, body) = site.post("/v1/events", &site.admin, account).await;
    assert_eq!(status, 201, "{body}");
    let revoked = json!({
        "event_id": uuid::Uuid::now_v7(),
        "type": "registry.licence_revoked",
        "version": 1,
        "institution": site.code_c,
        "region": CITY,
        "producer": {"registry": CITY},
        "occurred_at": "2025-08-15T09:00:00+08:00",
        "data": {"reason": "吊销"},
    });
    let (status, body) = site.post("/v1/events", &site.admin, revoked).await;
    assert_eq!(status, 201, "{body}");
    let mut lesson = Site::example("schedule.lesson_delivered");
    lesson["institution"] = json!(site.code_c);
    lesson["region"] = json!(CITY);
    lesson["producer"] = json!({"institution": site.code_c});
    let (status, body) = site.post("/v1/events", &site.admin, lesson).await;
    assert_eq!(status, 201, "{body}");
    site.wait_listed("white", CODE_A).await;
    site.wait_listed("black", &site.code_c).await;

    let browser = Browser::start(&site.service.http).await;
    browser.goto("/").await;
    browser.screenshot("home").await;
    browser.click("#to-lists").await;
    browser.wait_for("the black list", "#list").await;
    assert_eq!(
        browser.texts("#list td.name").await,
        vec![NAME_C.to_owned()]
    );
    assert!(browser
        .text("#list td.reasons")
        .await
        .contains("无证或停证期间办学"));
    browser.screenshot("lists-black").await;

    // By part of the name, by the whole credit code, by its beginning; and no match.
    browser.fill("#q", "星辰").await;
    browser.submit("#search").await;
    browser.wait_for("results", "#list").await;
    assert_eq!(
        browser.texts("#list td.code").await,
        vec![site.code_c.clone()]
    );
    browser.fill("#q", &site.code_c).await;
    browser.submit("#search").await;
    browser.wait_for("results", "#list").await;
    assert_eq!(
        browser.texts("#list td.name").await,
        vec![NAME_C.to_owned()]
    );
    browser.fill("#q", "某某").await;
    browser.submit("#search").await;
    browser.wait_for("no results", "#no-results").await;

    browser.goto("/lists?list=white").await;
    assert_eq!(
        browser.texts("#list td.name").await,
        vec![NAME_A.to_owned()]
    );
    browser.fill("#q", &CODE_A[..10]).await;
    browser.submit("#search").await;
    browser.wait_for("results", "#list").await;
    assert_eq!(
        browser.texts("#list td.code").await,
        vec![CODE_A.to_owned()]
    );
    assert!(
        browser.texts("#list td.reasons").await.is_empty(),
        "no reasons on the white list"
    );
    browser.screenshot("lists-white").await;
    browser.fill("#q", "星辰").await;
    browser.submit("#search").await;
    browser.wait_for("no results", "#no-results").await;

    // English, and every page is reachable from `/`.
    browser.goto("/lists?lang=en").await;
    assert_eq!(browser.text("h1").await, "The black and white lists");
    browser.goto("/").await;
    assert!(browser.text("#to-console").await.contains("Officers"));
    browser.click("#to-console").await;
    assert!(browser.path().await.starts_with("/sign-in"));
    browser.close().await;
}
