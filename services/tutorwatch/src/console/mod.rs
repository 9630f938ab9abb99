//! The web pages `tutorwatch serve` serves beside the API, in Chinese by default (English with
//! `?lang=en`): the public black and white lists, the officers' console (the feed with filters,
//! paging, live updates and CSV export; a finding and acting on it; an institution's file) and
//! the institutions' portal (check and submit a schedule, see its own findings).
//!
//! Pages are rendered on the server with `maud`; a little JavaScript (`assets/console.js`)
//! follows the live stream and loads a schedule file into the portal's form. Assets are embedded
//! in the binary.
//!
//! **Authorisation is the API's.** Signing in posts a token, which is kept in an HttpOnly,
//! SameSite=Strict cookie; every page authenticates it with the API's own
//! [`authenticate`](crate::api::caller::authenticate) and then calls the API's handlers
//! (`list_findings`, `get_institution`, `act_on_finding`, `check_schedule`, ...) with the
//! principal it proved, so a page shows exactly what the same token may read through the API.
//! The cookie is read only by these routes: the API itself still takes bearer tokens only.
//!
//! # Layout
//! - `i18n`: the two languages, labels, Beijing time and dates; `regions`: GB/T 2260 names;
//!   `rules`: each rule in plain words with its source document.
//! - `public`: `/` and the public lists (`/lists`); `signin`: signing in and out.
//! - `feed`: the officers' feed, its CSV export, the live stream and single rows for it.
//! - `finding`: one finding and the officers' actions on it; `institution`: an institution's file,
//!   with `funds`, its fund position over time as an SVG chart;
//!   `overview`: the jurisdiction's counts by region, rule and week as SVG charts.
//! - `portal`: the institutions' portal.

mod feed;
mod finding;
mod funds;
pub(crate) mod i18n;
mod institution;
mod overview;
mod portal;
mod public;
pub(crate) mod regions;
pub(crate) mod rules;
mod signin;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tutorwatch_events::{CreditCode, RegionCode};
use tutorwatch_projection_store::ProjectionStoreError;

use crate::api::caller::{authenticate, writer_for, Caller, Writer};
use crate::api::limits::Limits;
use crate::api::offload::blocking;
use crate::api::principal::Principal;
use crate::api::problem::Problem;
use crate::api::AppState;
use i18n::Lang;

/// The cookie that carries the signed-in token (HttpOnly, SameSite=Strict).
pub(crate) const SESSION_COOKIE: &str = "tw_session";

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

/// What the console's handlers share: the API's state and its limits (live streams per
/// principal count the console's streams too).
#[derive(Debug, Clone)]
pub(crate) struct Console {
    pub state: AppState,
    pub limits: Arc<Limits>,
}

/// The console's routes, with their own tracing span, language cookie and cross-site check.
pub(crate) fn router(state: AppState, limits: Arc<Limits>) -> Router {
    let timeout = Duration::from_millis(state.settings.request_timeout_ms);
    let secure_cookies = state.settings.console_secure_cookie;
    let console = Console { state, limits };
    Router::new()
        .route("/", get(public::home))
        .route("/lists", get(public::lists))
        .route("/sign-in", get(signin::form).post(signin::sign_in))
        .route("/sign-out", post(signin::sign_out))
        .route("/console", get(signin::landing))
        .route("/console/feed", get(feed::feed_page))
        .route("/console/overview", get(overview::overview_page))
        .route("/console/feed.csv", get(feed::csv))
        .route("/console/stream", get(feed::stream))
        .route("/console/rows/{id}", get(feed::row_handler))
        .route("/console/findings/{id}", get(finding::finding_page))
        .route("/console/findings/{id}/act", post(finding::act))
        .route(
            "/console/institutions/{code}",
            get(institution::institution_page),
        )
        .route("/portal", get(portal::portal_page).post(portal::send))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        // The API's answer to an unknown route (its own fallback is replaced by the merge).
        .fallback(|headers: axum::http::HeaderMap| async move {
            let problem = Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not Found",
                "no such route",
            )
            .in_chinese("没有这个页面");
            crate::api::problem::in_language(
                problem.into_response(),
                crate::api::problem::reader_language(&headers),
            )
            .await
        })
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn_with_state(
            secure_cookies,
            i18n::remember_lang,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::info_span!(
                    "console",
                    method = %request.method(),
                    path = %request.uri().path(),
                    principal = tracing::field::Empty,
                )
            }),
        )
        .with_state(console)
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        JS,
    )
        .into_response()
}

/// Middleware: a form post from another site is refused. The session cookie is SameSite=Strict
/// already; this also refuses a post whose `Origin` names another host.
async fn same_origin_writes(request: Request, next: Next) -> Response {
    if request.method() == Method::POST {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        if let (Some(origin), Some(host)) = (origin, host) {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            if origin_host != host {
                return (StatusCode::FORBIDDEN, "cross-site form posts are refused")
                    .into_response();
            }
        }
    }
    next.run(request).await
}

/// A signed-in user: the principal the cookie's token proves (through the API's
/// authentication), the token itself (for writes) and the page language.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub principal: Principal,
    token: String,
    pub lang: Lang,
}

impl Session {
    /// The API caller this session is.
    pub(crate) fn caller(&self) -> Caller {
        Caller(self.principal.clone())
    }

    /// The API writer this session is (its token's handle goes into the log).
    pub(crate) fn writer(&self, state: &AppState) -> Result<Writer, Problem> {
        writer_for(state, &self.token)
    }

    /// Whether the session may act on findings (officers and admins).
    pub(crate) fn acts(&self) -> bool {
        matches!(self.principal, Principal::Officer { .. } | Principal::Admin)
    }
}

impl FromRequestParts<Console> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let lang = Lang::of(parts);
        let back = parts
            .uri
            .path_and_query()
            .map_or("/console", |p| p.as_str())
            .to_owned();
        let to_sign_in = || {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &back)
                .finish();
            Redirect::to(&format!("/sign-in?{query}")).into_response()
        };
        let Some(token) = i18n::cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        match authenticate(&console.state, &token) {
            Ok(Caller(principal)) => {
                tracing::Span::current().record("principal", tracing::field::display(&principal));
                Ok(Session {
                    principal,
                    token,
                    lang,
                })
            }
            Err(_) => Err(to_sign_in()),
        }
    }
}

/// Which part of the site a page belongs to, for the navigation bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Home,
    Public,
    Feed,
    Overview,
    Portal,
}

/// A whole page: the header with navigation and the language switch, then `body`.
pub(crate) fn page(
    lang: Lang,
    title: &str,
    area: Area,
    session: Option<&Session>,
    body: Markup,
) -> Markup {
    let (other, other_name) = lang.other();
    html! {
        (DOCTYPE)
        html lang=(lang.html()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("校外培训监管", "Tutorwatch")) }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { (lang.t("校外培训监管平台", "Tutorwatch")) }
                    nav {
                        a class=[(area == Area::Public).then_some("on")] href="/lists" { (lang.t("公开名单", "Public lists")) }
                        @match session.map(|s| &s.principal) {
                            Some(Principal::Institution { .. }) => {
                                a class=[(area == Area::Portal).then_some("on")] href="/portal" { (lang.t("机构服务", "Institution portal")) }
                            }
                            Some(_) => {
                                a class=[(area == Area::Feed).then_some("on")] href="/console/feed" { (lang.t("违规线索", "Findings")) }
                                a id="to-overview" class=[(area == Area::Overview).then_some("on")] href="/console/overview" { (lang.t("辖区概况", "Overview")) }
                            }
                            None => {
                                a href="/sign-in" { (lang.t("登录", "Sign in")) }
                            }
                        }
                    }
                    span.right {
                        @if let Some(session) = session {
                            span.who { (who(lang, &session.principal)) }
                            form.inline method="post" action="/sign-out" {
                                button type="submit" id="sign-out" { (lang.t("退出", "Sign out")) }
                            }
                        }
                        a id="lang-switch" href={ "?lang=" (other) } { (other_name) }
                    }
                }
                main { (body) }
                footer { (lang.t("时间均为北京时间。", "Times are Beijing time.")) }
            }
        }
    }
}

/// Who is signed in, in words.
pub(crate) fn who(lang: Lang, principal: &Principal) -> String {
    match principal {
        Principal::Officer { officer, region } => format!(
            "{} {} · {}（{}）",
            lang.t("执法人员", "Officer"),
            officer,
            regions::full_name(*region),
            region
        ),
        Principal::Registry { region } => format!(
            "{} · {}（{}）",
            lang.t("登记机关", "Registry"),
            regions::full_name(*region),
            region
        ),
        Principal::Institution { institution, .. } => {
            format!("{} {}", lang.t("培训机构", "Institution"), institution)
        }
        Principal::Bank { bank } => format!("{} {}", lang.t("银行", "Bank"), bank),
        Principal::Admin => lang.t("系统管理员", "Administrator").to_owned(),
    }
}

/// A region with its code beside it: `韶关市浈江区 440204`.
pub(crate) fn region_cell(region: RegionCode) -> Markup {
    html! {
        span.region { (regions::full_name(region)) " " span.code { (region) } }
    }
}

/// The registered names of institutions, from their profiles in the projection store (an
/// institution the registry never registered has none). Names only decorate a page: a store
/// that cannot be read gives no names (the failure is logged), not an error page.
pub(crate) async fn institution_names<'a>(
    state: &AppState,
    codes: impl IntoIterator<Item = &'a CreditCode>,
) -> HashMap<CreditCode, String> {
    let codes: BTreeSet<CreditCode> = codes.into_iter().cloned().collect();
    let store = state.projections.clone();
    let read = blocking(move || -> Result<_, ProjectionStoreError> {
        let mut names = HashMap::new();
        for code in codes {
            if let Some(registered) = store
                .institution_profile(&code)?
                .and_then(|profile| profile.registration)
            {
                names.insert(code, registered.name);
            }
        }
        Ok(names)
    })
    .await;
    // `blocking` logged a failure; the page goes without names.
    read.unwrap_or_default()
}

/// A page for a refusal or a failure: the API's problem, in the page's language, with the
/// API's own explanation beneath.
pub(crate) fn problem_page(lang: Lang, session: Option<&Session>, problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::UNAUTHORIZED {
        return Redirect::to("/sign-in").into_response();
    }
    let headline = match status {
        StatusCode::FORBIDDEN => lang.t("无权查看或操作", "Not allowed"),
        StatusCode::NOT_FOUND => lang.t(
            "未找到，或不在您的权限范围内",
            "Not found, or not yours to see",
        ),
        StatusCode::CONFLICT => lang.t("当前状态不允许此操作", "Not possible in the current state"),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => {
            lang.t("填写的内容有误", "Something you entered is not valid")
        }
        StatusCode::SERVICE_UNAVAILABLE => lang.t(
            "系统正在加载，请稍后再试",
            "Still loading; try again shortly",
        ),
        _ => lang.t("出错了", "Something went wrong"),
    };
    let body = html! {
        div.problem {
            h1 { (headline) }
            p.detail { (problem.detail_in(lang.into())) }
            @if let Some(field) = &problem.field {
                p.field { (lang.t("字段：", "Field: ")) code { (field) } }
            }
            p { a href="javascript:history.back()" { (lang.t("返回", "Back")) } }
        }
    };
    let mut response = page(lang, headline, Area::Public, session, body).into_response();
    *response.status_mut() = status;
    response
}

/// An HTML response that is never cached (pages show live data).
pub(crate) fn fresh(markup: Markup) -> Response {
    let mut response = markup.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
