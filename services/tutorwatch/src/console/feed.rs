//! The officers' feed: the findings of the signed-in jurisdiction, filtered by region (a tree of
//! its prefectures and counties, by name), rule, severity, status and dates, a page at a time with
//! the API's cursors. New findings arrive live from the API's stream (`console.js` inserts each
//! as a row rendered here, marked new). The CSV export holds exactly the rows of the page shown,
//! in UTF-8 with a BOM (so Excel on Chinese Windows reads it) and headers in the page's language.
//!
//! Every read goes through the API's handlers (`list_findings`, `stream_findings`,
//! `visible_finding`) with the session's principal, so the jurisdiction checks are the API's.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use maud::{html, Markup};
use serde::Deserialize;
use tutorwatch_events::{CreditCode, RegionCode, UtcTime};
use tutorwatch_findings::RuleId;

use super::i18n::{self, Lang};
use super::rules::rule_text;
use super::{
    fresh, institution_names, page, problem_page, region_cell, regions, Area, Console, Session,
};
use crate::api::extract::ApiQuery;
use crate::api::feed::FeedParams;
use crate::api::findings::{list_findings, visible_finding};
use crate::api::principal::Principal;
use crate::api::problem::Problem;
use crate::api::stream::stream_findings;
use crate::api::views::{FindingPage, FindingView};

/// Findings per page.
pub(super) const FEED_PAGE: usize = 50;

/// The feed's filters as the page's form sends them (empty fields mean "any").
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct FeedForm {
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub status: String,
    /// First local date, `YYYY-MM-DD`.
    #[serde(default)]
    pub from: String,
    /// Last local date (inclusive), `YYYY-MM-DD`.
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub institution: String,
    #[serde(default)]
    pub after: String,
}

fn opt(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// The start of a local day in Beijing time (the mainland's civil time).
fn day_start(field: &str, text: &str, days_later: i64) -> Result<UtcTime, Problem> {
    let bad =
        || Problem::invalid(field, "not a date (YYYY-MM-DD)").in_chinese("不是日期（年-月-日）");
    let date: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    let date = date
        .checked_add(jiff::Span::new().days(days_later))
        .map_err(|_| bad())?;
    let zoned = date.in_tz("Asia/Shanghai").map_err(|_| bad())?;
    Ok(UtcTime::from_timestamp(zoned.timestamp()))
}

impl FeedForm {
    /// The API's feed parameters for these filters.
    pub(super) fn params(&self, limit: usize) -> Result<FeedParams, Problem> {
        let region = opt(&self.region)
            .map(|r| {
                RegionCode::parse(r).map_err(|e| {
                    Problem::invalid("region", e.to_string())
                        .in_chinese(format!("不是行政区划代码（{e}）"))
                })
            })
            .transpose()?;
        let institution = opt(&self.institution)
            .map(|c| {
                CreditCode::parse(&c.to_uppercase()).map_err(|e| {
                    Problem::invalid("institution", e.to_string())
                        .in_chinese(format!("不是有效的统一社会信用代码（{e}）"))
                })
            })
            .transpose()?;
        let min_severity = opt(&self.severity)
            .map(|s| {
                serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
                    Problem::invalid("severity", format!("no severity {s:?}"))
                        .in_chinese(format!("没有严重程度 {s:?}"))
                })
            })
            .transpose()?;
        Ok(FeedParams {
            region,
            institution,
            rule: opt(&self.rule).map(str::to_owned),
            min_severity,
            status: opt(&self.status).map(str::to_owned),
            from: opt(&self.from)
                .map(|d| day_start("from", d, 0))
                .transpose()?,
            until: opt(&self.until)
                .map(|d| day_start("until", d, 1))
                .transpose()?,
            after: opt(&self.after).map(str::to_owned),
            limit: Some(limit),
        })
    }

    /// The filters as a query string, with or without the page's cursor.
    pub(super) fn query(&self, after: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("region", &self.region),
            ("rule", &self.rule),
            ("severity", &self.severity),
            ("status", &self.status),
            ("from", &self.from),
            ("until", &self.until),
            ("institution", &self.institution),
        ] {
            if let Some(value) = opt(value) {
                query.append_pair(name, value);
            }
        }
        if let Some(after) = after.and_then(opt) {
            query.append_pair("after", after);
        }
        query.finish()
    }
}

/// Reads one page through the API's feed handler.
async fn read_page(
    console: &Console,
    session: &Session,
    form: &FeedForm,
) -> Result<FindingPage, Problem> {
    let params = form.params(FEED_PAGE)?;
    let Json(page) = list_findings(
        State(console.state.clone()),
        session.caller(),
        ApiQuery(params),
    )
    .await?;
    Ok(page)
}

/// One row of the feed.
pub(super) fn row(
    lang: Lang,
    view: &FindingView,
    names: &HashMap<CreditCode, String>,
    new: bool,
) -> Markup {
    let rule = RuleId::parse(&view.rule).map(rule_text);
    html! {
        tr.finding.new[new] data-id=(view.id) data-cursor=(view.cursor) {
            td.when {
                @if new { span.badge { (lang.t("新", "new")) } " " }
                (i18n::local_time(lang, view.occurred_at, Some(view.region)))
            }
            td.rule {
                a.open href={ "/console/findings/" (view.id) } {
                    @if let Some(rule) = rule { (rule.name(lang)) } @else { (view.rule) }
                }
                br; span.code { (view.rule) }
            }
            td { span class={ "sev sev-" (view.severity) } { (i18n::severity(lang, &view.severity)) } }
            td.institution {
                a href={ "/console/institutions/" (view.institution) } {
                    (names.get(&view.institution).map_or(view.institution.as_str(), String::as_str))
                }
                br; span.code { (view.institution) }
            }
            td { (region_cell(view.region)) }
            td.status { (i18n::status(lang, &view.status)) }
        }
    }
}

/// The feed table's header cells (the CSV export has the same columns, plus the finding's id).
fn headers(lang: Lang) -> [&'static str; 6] {
    [
        lang.t("发生时间（北京时间）", "When (Beijing time)"),
        lang.t("违规规则", "Rule"),
        lang.t("严重程度", "Severity"),
        lang.t("培训机构", "Institution"),
        lang.t("所在地区", "Region"),
        lang.t("处理状态", "Status"),
    ]
}

fn filters(lang: Lang, principal: &Principal, form: &FeedForm) -> Markup {
    let tree = principal.jurisdiction().map(regions::tree);
    let selected = |a: &str, b: &str| a == b;
    html! {
        form.filters id="filters" method="get" action="/console/feed" {
            label { (lang.t("地区", "Region"))
                @if let Some(tree) = &tree {
                    select name="region" id="f-region" {
                        option value="" { (lang.t("全部（本辖区）", "All (your jurisdiction)")) }
                        @for (code, name, depth) in tree {
                            option value=(code) selected[selected(&form.region, code.as_str())] {
                                @for _ in 0..*depth { "\u{3000}" }
                                (if name.is_empty() { code.as_str() } else { name }) " " (code)
                            }
                        }
                    }
                } @else {
                    input name="region" id="f-region" value=(form.region) placeholder="440200" size="8";
                }
            }
            label { (lang.t("违规规则", "Rule"))
                select name="rule" id="f-rule" {
                    option value="" { (lang.t("全部", "All")) }
                    @for rule in RuleId::ALL {
                        option value=(rule.as_str()) selected[selected(&form.rule, rule.as_str())] { (rule_text(*rule).name(lang)) }
                    }
                }
            }
            label { (lang.t("严重程度（不低于）", "Severity (at least)"))
                select name="severity" id="f-severity" {
                    option value="" { (lang.t("全部", "All")) }
                    @for s in i18n::SEVERITIES {
                        option value=(s) selected[selected(&form.severity, s)] { (i18n::severity(lang, s)) }
                    }
                }
            }
            label { (lang.t("处理状态", "Status"))
                select name="status" id="f-status" {
                    option value="" { (lang.t("全部", "All")) }
                    @for s in i18n::STATUSES {
                        option value=(s) selected[selected(&form.status, s)] { (i18n::status(lang, s)) }
                    }
                }
            }
            label { (lang.t("起始日期", "From")) input type="date" name="from" id="f-from" value=(form.from); }
            label { (lang.t("截止日期", "Until")) input type="date" name="until" id="f-until" value=(form.until); }
            label { (lang.t("统一社会信用代码", "Credit code")) input name="institution" id="f-institution" value=(form.institution) size="20"; }
            button type="submit" id="apply" { (lang.t("筛选", "Filter")) }
            " " a href="/console/feed" { (lang.t("清除", "Clear")) }
        }
    }
}

/// Renders a page of the feed.
async fn render(console: &Console, session: &Session, form: &FeedForm) -> Response {
    let lang = session.lang;
    let started = std::time::Instant::now();
    let found = match read_page(console, session, form).await {
        Ok(found) => found,
        Err(problem) => return problem_page(lang, Some(session), problem),
    };
    let names = institution_names(
        &console.state,
        found.findings.iter().map(|f| &f.institution),
    )
    .await;
    let stream = format!("/console/stream?{}", form.query(None));
    let body = html! {
        h1 { (lang.t("违规线索", "Findings")) }
        (filters(lang, &session.principal, form))
        div.toolbar {
            span id="live" data-on=(lang.t("实时更新中", "live")) data-off=(lang.t("实时更新已断开", "live updates off")) { (lang.t("正在连接实时更新…", "connecting…")) }
            span id="new-count" hidden data-label=(lang.t("新到达 {n} 条", "{n} new")) {}
            a.button id="export" href={ "/console/feed.csv?" (form.query(Some(&form.after))) } { (lang.t("导出本页 CSV", "Export this page (CSV)")) }
        }
        table.feed id="feed" data-stream=(stream) {
            thead { tr { @for h in headers(lang) { th { (h) } } } }
            tbody {
                @for view in &found.findings { (row(lang, view, &names, false)) }
                @if found.findings.is_empty() {
                    tr.empty { td colspan="6" { (lang.t("没有符合条件的违规线索。", "No findings match.")) } }
                }
            }
        }
        p.paging {
            @if opt(&form.after).is_some() { a id="first-page" href={ "/console/feed?" (form.query(None)) } { (lang.t("回到第一页", "First page")) } " " }
            @if let Some(next) = &found.next {
                a id="next-page" href={ "/console/feed?" (form.query(Some(next))) } { (lang.t("下一页", "Next page")) }
            }
            " " span.count { (lang.t("本页 ", "")) (found.findings.len()) (lang.t(" 条（按发现先后排列）", " on this page, in the order they were raised")) }
        }
    };
    tracing::info!(
        rows = found.findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "feed page"
    );
    fresh(page(
        lang,
        lang.t("违规线索", "Findings"),
        Area::Feed,
        Some(session),
        body,
    ))
}

/// `/console/feed`.
pub(super) async fn feed_page(
    State(console): State<Console>,
    session: Session,
    Query(form): Query<FeedForm>,
) -> Response {
    if matches!(session.principal, Principal::Institution { .. }) {
        return Redirect::to("/portal").into_response();
    }
    render(&console, &session, &form).await
}

/// `/console/feed.csv`: exactly the rows of the page with the same filters and cursor.
pub(super) async fn csv(
    State(console): State<Console>,
    session: Session,
    Query(form): Query<FeedForm>,
) -> Response {
    let lang = session.lang;
    let found = match read_page(&console, &session, &form).await {
        Ok(found) => found,
        Err(problem) => return problem_page(lang, Some(&session), problem),
    };
    let names = institution_names(
        &console.state,
        found.findings.iter().map(|f| &f.institution),
    )
    .await;
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        lang.t("发生时间（北京时间）", "When (Beijing time)"),
        lang.t("违规规则", "Rule"),
        lang.t("规则编号", "Rule id"),
        lang.t("严重程度", "Severity"),
        lang.t("培训机构", "Institution"),
        lang.t("统一社会信用代码", "Credit code"),
        lang.t("所在地区", "Region"),
        lang.t("地区代码", "Region code"),
        lang.t("处理状态", "Status"),
        lang.t("线索编号", "Finding id"),
    ];
    let mut result = writer.write_record(header);
    for view in &found.findings {
        if result.is_err() {
            break;
        }
        let rule = RuleId::parse(&view.rule)
            .map_or(view.rule.clone(), |r| rule_text(r).name(lang).to_owned());
        result = writer.write_record([
            i18n::local_time(lang, view.occurred_at, Some(view.region)),
            rule,
            view.rule.clone(),
            i18n::severity(lang, &view.severity).to_owned(),
            names
                .get(&view.institution)
                .cloned()
                .unwrap_or_else(|| view.institution.to_string()),
            view.institution.to_string(),
            regions::full_name(view.region),
            view.region.to_string(),
            i18n::status(lang, &view.status).to_owned(),
            view.id.to_string(),
        ]);
    }
    let body = match result
        .map_err(|e| e.to_string())
        .and_then(|()| writer.into_inner().map_err(|e| e.to_string()))
    {
        Ok(body) => body,
        Err(e) => return problem_page(lang, Some(&session), Problem::internal(&e)),
    };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"findings.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// `/console/stream`: the API's live stream with the page's filters.
pub(super) async fn stream(
    State(console): State<Console>,
    session: Session,
    headers: HeaderMap,
    Query(mut form): Query<FeedForm>,
) -> Response {
    form.after.clear();
    let params = match form.params(FEED_PAGE) {
        Ok(params) => params,
        Err(problem) => return problem.into_response(),
    };
    match stream_findings(
        State(console.state.clone()),
        session.caller(),
        Extension(console.limits.clone()),
        headers,
        ApiQuery(params),
    )
    .await
    {
        Ok(stream) => {
            let (parts, body) = stream.into_response().into_parts();
            Response::from_parts(parts, axum::body::Body::from_stream(heartbeat(body)))
        }
        Err(problem) => problem.into_response(),
    }
}

/// How often the console's stream sends a comment. A browser that left the page has closed the
/// connection; the next write fails, the stream ends and its slot
/// (`api.streams_per_principal_max`) is free again, so an officer moving between pages does not
/// use up their streams.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// The API's stream, opened with a comment (so the headers, and the browser's `open`, go out at
/// once) and with a comment every [`HEARTBEAT`] while it is idle.
fn heartbeat(
    body: axum::body::Body,
) -> impl futures::Stream<Item = Result<bytes::Bytes, axum::Error>> {
    let comment = || Ok(bytes::Bytes::from_static(b": live\n\n"));
    let events = body.into_data_stream();
    let beats = futures::stream::unfold(events, move |mut events| async move {
        tokio::select! {
            next = futures::StreamExt::next(&mut events) => next.map(|item| (item, events)),
            () = tokio::time::sleep(HEARTBEAT) => Some((comment(), events)),
        }
    });
    futures::StreamExt::chain(futures::stream::once(async move { comment() }), beats)
}

/// `/console/rows/{id}`: one finding as a new feed row (for the live updates).
pub(super) async fn row_handler(
    State(console): State<Console>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    match visible_finding(&console.state, &session.principal, &id).await {
        Ok(stored) => {
            let view = FindingView::from(&stored);
            let names = institution_names(&console.state, [&view.institution]).await;
            fresh(row(session.lang, &view, &names, true))
        }
        Err(problem) => problem.into_response(),
    }
}
