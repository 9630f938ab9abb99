//! Signing in with a token (checked by the API's authentication before the cookie is set) and
//! signing out. The token goes into an HttpOnly, SameSite=Strict cookie scoped to the site, so
//! page scripts never see it and other sites cannot post with it; with `[api]
//! console_secure_cookie` (the site is reached over HTTPS) it is also `Secure`, so a browser
//! never sends it over plain HTTP.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::i18n::Lang;
use super::{fresh, page, Area, Console, Session, SESSION_COOKIE};
use crate::api::caller::{authenticate, Caller};
use crate::api::principal::Principal;

/// Where to go after signing in.
#[derive(Debug, Deserialize, Default)]
pub(super) struct Next {
    next: Option<String>,
    #[serde(default)]
    failed: Option<String>,
}

/// Only a path on this site: never an absolute URL someone slipped in.
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

/// The sign-in form.
pub(super) async fn form(lang: Lang, Query(next): Query<Next>) -> Response {
    let body = html! {
        section.signin {
            h1 { (lang.t("登录", "Sign in")) }
            p { (lang.t(
                "执法人员、登记机关和培训机构请使用主管部门发放的令牌登录。令牌的管辖范围决定您能看到的内容。",
                "Officers, registries and institutions sign in with the token their authority issued. The token's jurisdiction decides what you see.")) }
            @if next.failed.is_some() {
                p.error id="sign-in-error" { (lang.t("令牌无效、已吊销或已过期。", "The token is unknown, revoked or expired.")) }
            }
            form method="post" action="/sign-in" {
                input type="hidden" name="next" value=(safe_next(next.next.as_deref()).unwrap_or(""));
                label for="token" { (lang.t("令牌", "Token")) }
                input type="password" id="token" name="token" autocomplete="off" required placeholder="tw_…";
                button type="submit" id="sign-in" { (lang.t("登录", "Sign in")) }
            }
        }
    };
    fresh(page(
        lang,
        lang.t("登录", "Sign in"),
        Area::Public,
        None,
        body,
    ))
}

/// The posted form.
#[derive(Debug, Deserialize)]
pub(super) struct SignIn {
    token: String,
    #[serde(default)]
    next: String,
}

/// Checks the token with the API's authentication and, if it is valid, sets the session cookie.
pub(super) async fn sign_in(State(console): State<Console>, Form(form): Form<SignIn>) -> Response {
    let token = form.token.trim();
    let valid = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let principal = match (valid, authenticate(&console.state, token)) {
        (true, Ok(Caller(principal))) => principal,
        _ => {
            tracing::info!("console sign-in refused");
            return Redirect::to("/sign-in?failed=1").into_response();
        }
    };
    tracing::info!(%principal, "console sign-in");
    let home = match principal {
        Principal::Institution { .. } => "/portal",
        _ => "/console/feed",
    };
    let to = safe_next(Some(form.next.as_str()))
        .filter(|n| !n.is_empty() && *n != "/console")
        .unwrap_or(home);
    let mut response = Redirect::to(to).into_response();
    let secure = secure_attribute(console.state.settings.console_secure_cookie);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
    )) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `; Secure` when the settings say the site is reached over HTTPS, else nothing.
pub(super) fn secure_attribute(secure: bool) -> &'static str {
    if secure {
        "; Secure"
    } else {
        ""
    }
}

/// Clears the session cookie (with the same attributes it was set with).
pub(super) async fn sign_out(State(console): State<Console>) -> Response {
    let mut response = Redirect::to("/").into_response();
    let secure = secure_attribute(console.state.settings.console_secure_cookie);
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    )) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `/console`: the signed-in user's home.
pub(super) async fn landing(session: Session) -> Response {
    match session.principal {
        Principal::Institution { .. } => Redirect::to("/portal").into_response(),
        _ => Redirect::to("/console/feed").into_response(),
    }
}
