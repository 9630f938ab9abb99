//! The public pages, no token needed: `/` (what this is, and the way in for the public, officers
//! and institutions) and `/lists`, the black and white lists, searchable by name or credit code,
//! with the reasons on the black list.
//!
//! A plain page reads one page of the store's list index (the API's `list_page`), so it costs
//! its own length however many institutions there are. A search by credit code reads the one
//! entry. A search by name (or part of a code) walks the list index from where the last page
//! stopped, reading at most [`SEARCH_SCAN_MAX`] entries per request, and offers to continue: a
//! search never holds more than a page of results, and never reads the whole list at once.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Extension;
use maud::html;
use serde::Deserialize;
use tutorwatch_events::CreditCode;
use tutorwatch_findings::{ListEntry, ListStatus};

use super::i18n::{self, Lang};
use super::{fresh, page, problem_page, region_cell, Area, Console, Session};
use crate::api::extract::ApiQuery;
use crate::api::lists::{black_list, white_list, ListParams};
use crate::api::offload::blocking;
use crate::api::problem::Problem;
use crate::api::views::ListedInstitution;

/// Entries shown per page.
pub(super) const LIST_PAGE: usize = 20;

/// The most list entries one search request reads before it offers to continue.
pub(super) const SEARCH_SCAN_MAX: usize = 20_000;

/// Entries read from the store per step of a search.
const SEARCH_CHUNK: usize = 1_000;

/// The home page.
pub(super) async fn home(lang: Lang, SessionOpt(session): SessionOpt) -> Response {
    let body = html! {
        section.hero {
            h1 { (lang.t("校外培训机构监管平台", "Supervision of off-campus training institutions")) }
            p { (lang.t(
                "依据“双减”政策对校外培训机构的排课、收费、广告和资质进行监管。公众可查询黑白名单；执法人员处理违规线索；培训机构提交排课并查看本机构的问题。",
                "Schedules, fees, advertising and licences of training institutions, supervised under the double-reduction policy. The public reads the black and white lists; officers handle findings; institutions submit schedules and see their own findings.")) }
        }
        div.cards {
            a.card id="to-lists" href="/lists" {
                h2 { (lang.t("黑白名单查询", "Black and white lists")) }
                p { (lang.t("按机构名称或统一社会信用代码查询，无需登录。", "Search by name or credit code; no sign-in needed.")) }
            }
            a.card id="to-console" href="/console/feed" {
                h2 { (lang.t("执法人员工作台", "Officers' console")) }
                p { (lang.t("违规线索、处理与导出（需登录）。", "Findings, actions and exports (sign in).")) }
            }
            a.card id="to-portal" href="/portal" {
                h2 { (lang.t("培训机构服务", "Institution portal")) }
                p { (lang.t("排课预检、提交排课、查看本机构问题（需登录）。", "Check and submit schedules, see your findings (sign in).")) }
            }
        }
    };
    fresh(page(
        lang,
        lang.t("首页", "Home"),
        Area::Home,
        session.as_ref(),
        body,
    ))
}

/// A session if there is one (the public pages show who is signed in, but need nobody).
#[derive(Debug)]
pub(super) struct SessionOpt(pub Option<Session>);

impl axum::extract::FromRequestParts<Console> for SessionOpt {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        console: &Console,
    ) -> Result<Self, Self::Rejection> {
        let session = <Session as axum::extract::FromRequestParts<Console>>::from_request_parts(
            parts, console,
        )
        .await
        .ok();
        Ok(SessionOpt(session))
    }
}

/// The lists page's query.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    /// `black` (default) or `white`.
    list: Option<String>,
    /// A name, or a credit code (whole or its beginning).
    q: Option<String>,
    /// Continue after this credit code.
    after: Option<String>,
}

/// What a search found, and where to continue.
struct Found {
    entries: Vec<ListedInstitution>,
    /// Continue after this code (more of the list remains).
    next: Option<CreditCode>,
    /// How many entries this request read.
    scanned: usize,
}

fn matches(entry: &ListEntry, needle: &str, code_needle: &str) -> bool {
    entry.institution.as_str().starts_with(code_needle)
        || entry
            .name
            .as_deref()
            .is_some_and(|name| name.to_lowercase().contains(needle))
}

fn search(
    store: &tutorwatch_projection_store::ProjectionStore,
    status: ListStatus,
    needle: &str,
    after: Option<CreditCode>,
) -> Result<Found, tutorwatch_projection_store::ProjectionStoreError> {
    let lowered = needle.to_lowercase();
    let code_needle = needle.to_uppercase();
    let mut found = Vec::new();
    let mut scanned = 0usize;
    let mut cursor = after;
    loop {
        let page = store.list_page(status, cursor.as_ref(), SEARCH_CHUNK)?;
        for (i, entry) in page.entries.iter().enumerate() {
            scanned += 1;
            cursor = Some(entry.institution.clone());
            if matches(entry, &lowered, &code_needle) {
                found.push(ListedInstitution::of(entry));
                if found.len() == LIST_PAGE {
                    let more = page.next.is_some() || i + 1 < page.entries.len();
                    return Ok(Found {
                        entries: found,
                        next: if more { cursor } else { None },
                        scanned,
                    });
                }
            }
        }
        if page.next.is_none() {
            return Ok(Found {
                entries: found,
                next: None,
                scanned,
            });
        }
        if scanned >= SEARCH_SCAN_MAX {
            return Ok(Found {
                entries: found,
                next: cursor,
                scanned,
            });
        }
    }
}

/// `/lists`: a page of the black or white list, or a search in it.
pub(super) async fn lists(
    State(console): State<Console>,
    lang: Lang,
    SessionOpt(session): SessionOpt,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Query(query): Query<ListQuery>,
) -> Response {
    // Anonymous readers are held to the API's per-address rate, as on `/v1/lists/*`.
    if let (None, Some(Extension(ConnectInfo(peer)))) = (&session, peer) {
        if let Err(wait) = console.limits.check_anonymous(peer.ip()) {
            let secs = wait.as_secs().max(1);
            let mut response = problem_page(
                lang,
                None,
                Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too Many Requests",
                    format!("too many requests from your address; retry after {secs} s"),
                )
                .in_chinese(format!("您的地址请求过于频繁；请 {secs} 秒后重试")),
            );
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
    let started = std::time::Instant::now();
    let status = match query.list.as_deref() {
        Some("white") => ListStatus::White,
        _ => ListStatus::Black,
    };
    let list_name = if status == ListStatus::White {
        "white"
    } else {
        "black"
    };
    let needle = query.q.as_deref().map(str::trim).unwrap_or("").to_owned();
    let after = query
        .after
        .as_deref()
        .and_then(|a| CreditCode::parse(a).ok());
    let state = &console.state;
    let result: Result<Found, Problem> = if needle.is_empty() {
        let params = ListParams {
            after: after.clone(),
            limit: Some(LIST_PAGE),
        };
        let page = if status == ListStatus::White {
            white_list(State(state.clone()), ApiQuery(params)).await
        } else {
            black_list(State(state.clone()), ApiQuery(params)).await
        };
        page.map(|axum::Json(page)| Found {
            scanned: page.institutions.len(),
            next: page.next.and_then(|n| CreditCode::parse(&n).ok()),
            entries: page.institutions,
        })
    } else if let Ok(code) = CreditCode::parse(&needle.to_uppercase()) {
        let store = state.projections.clone();
        blocking(move || store.list_entry(&code))
            .await
            .map(|entry| Found {
                entries: entry
                    .filter(|e| e.status == status)
                    .iter()
                    .map(ListedInstitution::of)
                    .collect(),
                next: None,
                scanned: 1,
            })
    } else {
        let store = state.projections.clone();
        let needle = needle.clone();
        blocking(move || search(&store, status, &needle, after)).await
    };
    let found = match result {
        Ok(found) => found,
        Err(problem) => return problem_page(lang, session.as_ref(), problem),
    };
    tracing::info!(
        list = list_name,
        search = !needle.is_empty(),
        scanned = found.scanned,
        shown = found.entries.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "public list page"
    );
    let link = |after: Option<&CreditCode>| -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("list", list_name);
        if !needle.is_empty() {
            query.append_pair("q", &needle);
        }
        if let Some(after) = after {
            query.append_pair("after", after.as_str());
        }
        format!("/lists?{}", query.finish())
    };
    let title = i18n::list_status(lang, list_name);
    let body = html! {
        h1 { (lang.t("黑白名单公示", "The black and white lists")) }
        nav.tabs {
            a id="tab-black" class=[(status == ListStatus::Black).then_some("on")] href="/lists?list=black" { (lang.t("黑名单", "Black list")) }
            a id="tab-white" class=[(status == ListStatus::White).then_some("on")] href="/lists?list=white" { (lang.t("白名单", "White list")) }
        }
        form.search method="get" action="/lists" {
            input type="hidden" name="list" value=(list_name);
            input type="search" id="q" name="q" value=(needle) placeholder=(lang.t("机构名称或统一社会信用代码", "Name or credit code"));
            button type="submit" id="search" { (lang.t("查询", "Search")) }
        }
        @if found.entries.is_empty() {
            p.empty id="no-results" { (lang.t("没有符合条件的机构。", "No institution matches.")) }
        } @else {
            table.list id="list" {
                thead { tr {
                    th { (lang.t("机构名称", "Name")) }
                    th { (lang.t("统一社会信用代码", "Credit code")) }
                    th { (lang.t("所在地区", "Region")) }
                    th { (lang.t("列入日期", "Since")) }
                    @if status == ListStatus::Black { th { (lang.t("列入原因", "Reasons")) } }
                } }
                tbody {
                    @for entry in &found.entries {
                        tr.entry {
                            td.name { (entry.name.as_deref().unwrap_or("—")) }
                            td.code { (entry.credit_code) }
                            td { @if let Some(region) = entry.region { (region_cell(region)) } @else { "—" } }
                            td { (i18n::local_day(lang, entry.since, entry.region)) }
                            @if status == ListStatus::Black {
                                td.reasons { ul { @for reason in &entry.reasons {
                                    li { (i18n::reason(lang, &reason.kind))
                                        @if reason.findings_total > 0 {
                                            " " span.count { "（" (lang.t("涉及违规 ", "")) (reason.findings_total) (lang.t(" 条", " findings")) "）" }
                                        }
                                    }
                                } } }
                            }
                        }
                    }
                }
            }
        }
        p.paging {
            @if query.after.is_some() { a id="first-page" href=(link(None)) { (lang.t("回到第一页", "First page")) } " " }
            @if let Some(next) = &found.next {
                a id="next-page" href=(link(Some(next))) {
                    @if needle.is_empty() || found.entries.len() == LIST_PAGE { (lang.t("下一页", "Next page")) }
                    @else { (lang.t("继续检索", "Search further")) }
                }
            }
        }
    };
    fresh(page(lang, title, Area::Public, session.as_ref(), body))
}
