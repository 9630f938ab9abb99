//! The institutions' portal: type or load a week's schedule (the API's `CoursePublished` JSON),
//! see what the dry-run check says (the API's `check_schedule`: nothing is stored), submit it
//! (the API's `publish_schedule`, with an idempotency key per form so a double click writes
//! once), and see the institution's own findings (the API's feed, which keeps an institution to
//! itself).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::{Form, Json};
use maud::{html, Markup};
use serde::Deserialize;
use tutorwatch_events::schedule::CoursePublished;
use tutorwatch_events::UtcTime;
use tutorwatch_findings::RuleId;

use super::i18n::{self, Lang};
use super::rules::rule_text;
use super::{fresh, page, problem_page, Area, Console, Session};
use crate::api::extract::{decode_json, ApiJson, ApiQuery};
use crate::api::feed::FeedParams;
use crate::api::findings::list_findings;
use crate::api::principal::Principal;
use crate::api::problem::Problem;
use crate::api::schedules::{check_schedule, publish_schedule};
use crate::api::views::FindingView;

/// Own findings shown per page.
const OWN_PAGE: usize = 20;

/// A sample schedule: one online lesson next Monday evening, within every limit.
fn sample(today: jiff::civil::Date) -> String {
    let days = 7 - i64::from(today.weekday().to_monday_zero_offset());
    let monday = today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today);
    format!(
        r#"{{
  "course": "maths-5",
  "title": "五年级数学",
  "subject": "mathematics",
  "grade_band": "primary",
  "mode": "online",
  "site": null,
  "teachers": [],
  "price_per_lesson": 3000,
  "class_size_max": 30,
  "sessions": [
    {{"lesson": "maths-5-1", "start": "{monday}T19:00:00+08:00", "end": "{monday}T19:30:00+08:00"}}
  ]
}}"#
    )
}

/// What the form did.
enum Outcome {
    None,
    Checked(Vec<FindingView>),
    Submitted { seq: Option<u64>, event_id: String },
    Refused(Problem),
}

/// The paging of the institution's own findings.
#[derive(Debug, Default, Deserialize)]
pub(super) struct OwnPage {
    #[serde(default)]
    after: String,
}

fn findings_list(lang: Lang, findings: &[FindingView], id: &str) -> Markup {
    html! {
        ul.findings id=(id) { @for f in findings {
            li {
                strong { (RuleId::parse(&f.rule).map_or(f.rule.as_str(), |r| rule_text(r).name(lang))) }
                " " span.code { (f.rule) } " · "
                (i18n::local_time(lang, f.occurred_at, Some(f.region))) " · "
                @for (i, figure) in f.figures.iter().enumerate() {
                    @if i > 0 { "，" }
                    (i18n::figure(lang, &figure.name)) " " (i18n::figure_value(lang, figure))
                }
                " · " (i18n::status(lang, &f.status))
            }
        } }
    }
}

async fn render(
    console: &Console,
    session: &Session,
    schedule: &str,
    outcome: Outcome,
    after: &str,
) -> Response {
    let lang = session.lang;
    let params = FeedParams {
        after: Some(after.to_owned()).filter(|a| !a.is_empty()),
        limit: Some(OWN_PAGE),
        ..FeedParams::default()
    };
    let own = match list_findings(
        State(console.state.clone()),
        session.caller(),
        ApiQuery(params),
    )
    .await
    {
        Ok(Json(own)) => own,
        Err(problem) => return problem_page(lang, Some(session), problem),
    };
    let status = match &outcome {
        Outcome::Refused(problem) => {
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
        }
        _ => StatusCode::OK,
    };
    let key = uuid::Uuid::new_v4().to_string();
    let body = html! {
        h1 { (lang.t("排课申报", "Schedules")) }
        p { (lang.t(
            "粘贴或载入一周的课程安排（JSON），先“预检”查看是否违反规定（不会保存），确认后“提交”。",
            "Paste or load a week's course schedule (JSON); \"Check\" shows what it would raise (nothing is stored); then \"Submit\".")) }
        form.portal id="schedule-form" method="post" action="/portal" {
            input type="hidden" name="key" value=(key);
            label { (lang.t("载入文件", "Load a file")) " " input type="file" id="schedule-file" accept=".json,application/json"; }
            textarea id="schedule" name="schedule" rows="18" spellcheck="false" { (schedule) }
            div.buttons {
                button type="submit" name="do" value="check" id="check" { (lang.t("预检（不提交）", "Check (store nothing)")) }
                button type="submit" name="do" value="submit" id="submit" { (lang.t("提交", "Submit")) }
            }
        }
        @match &outcome {
            Outcome::None => {}
            Outcome::Checked(findings) => {
                section.result id="check-result" {
                    @if findings.is_empty() {
                        p.ok id="check-ok" { (lang.t("预检通过：未发现违规。", "Check passed: nothing would be raised.")) }
                    } @else {
                        p.warn id="check-warn" { (lang.t("预检发现以下问题（尚未提交）：", "The check found (nothing was submitted):")) }
                        (findings_list(lang, findings, "check-findings"))
                    }
                }
            }
            Outcome::Submitted { seq, event_id } => {
                section.result id="submitted" {
                    p.ok { (lang.t("已提交。", "Submitted.")) " "
                        @if let Some(seq) = seq { (lang.t("日志序号 ", "log entry ")) (seq) " · " }
                        (lang.t("事件编号 ", "event ")) span.code { (event_id) } }
                }
            }
            Outcome::Refused(problem) => {
                section.result.problem id="refused" {
                    p.warn { (lang.t("未能处理：", "Not accepted: ")) (problem.detail_in(lang.into())) }
                    @if let Some(field) = &problem.field { p { (lang.t("字段：", "Field: ")) code { (field) } } }
                }
            }
        }
        h2 { (lang.t("本机构的违规线索", "Your findings")) }
        @if own.findings.is_empty() {
            p.none id="own-none" { (lang.t("暂无。", "None.")) }
        } @else {
            (findings_list(lang, &own.findings, "own-findings"))
        }
        @if let Some(next) = &own.next {
            p.paging { a id="own-next" href={ "/portal?after=" (next) } { (lang.t("下一页", "Next page")) } }
        }
    };
    let mut response = fresh(page(
        lang,
        lang.t("机构服务", "Institution portal"),
        Area::Portal,
        Some(session),
        body,
    ));
    *response.status_mut() = status;
    response
}

fn institutions_only(session: &Session) -> Option<Response> {
    if matches!(session.principal, Principal::Institution { .. }) {
        None
    } else {
        Some(problem_page(
            session.lang,
            Some(session),
            Problem::forbidden(
                "the portal is for institutions: sign in with an institution's token",
            )
            .in_chinese("机构门户供机构使用：请用机构的令牌登录"),
        ))
    }
}

/// `GET /portal`.
pub(super) async fn portal_page(
    State(console): State<Console>,
    session: Session,
    Query(own): Query<OwnPage>,
) -> Response {
    if let Some(refused) = institutions_only(&session) {
        return refused;
    }
    let today = match &session.principal {
        Principal::Institution { region, .. } => region.local_date(UtcTime::now()),
        _ => tutorwatch_events::RegionCode::parse("110000")
            .map(|r| r.local_date(UtcTime::now()))
            .unwrap_or_default(),
    };
    render(
        &console,
        &session,
        &sample(today),
        Outcome::None,
        &own.after,
    )
    .await
}

/// The posted form.
#[derive(Debug, Deserialize)]
pub(super) struct Send {
    schedule: String,
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    key: String,
}

/// `POST /portal`: check or submit the schedule.
pub(super) async fn send(
    State(console): State<Console>,
    session: Session,
    Form(form): Form<Send>,
) -> Response {
    if let Some(refused) = institutions_only(&session) {
        return refused;
    }
    let state = &console.state;
    let outcome = async {
        let course: CoursePublished = decode_json(form.schedule.as_bytes())?;
        if form.action == "submit" {
            let writer = session.writer(state)?;
            let mut headers = HeaderMap::new();
            if let Ok(key) = HeaderValue::from_str(form.key.trim()) {
                if !form.key.trim().is_empty() {
                    headers.insert("idempotency-key", key);
                }
            }
            let response =
                publish_schedule(State(state.clone()), writer, headers, ApiJson(course)).await?;
            let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024)
                .await
                .map_err(|e| Problem::internal(&e))?;
            let written: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| Problem::internal(&e))?;
            Ok::<Outcome, Problem>(Outcome::Submitted {
                seq: written.get("seq").and_then(serde_json::Value::as_u64),
                event_id: written
                    .get("event_id")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            })
        } else {
            let Json(checked) =
                check_schedule(State(state.clone()), session.caller(), ApiJson(course)).await?;
            Ok(Outcome::Checked(checked.findings))
        }
    }
    .await
    .unwrap_or_else(Outcome::Refused);
    render(&console, &session, &form.schedule, outcome, "").await
}
