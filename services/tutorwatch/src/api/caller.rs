//! Authentication: the `Authorization: Bearer <token>` header turned into a [`Principal`], and
//! recorded on the request's tracing span. Write routes take a [`Writer`]: the principal and the
//! handle of the token that proved it, which the log records with every event written.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use tutorwatch_events::ids::TokenId;
use tutorwatch_events::Sender;

use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::tokens::{hash_token, Refusal};

/// A caller that presented a valid token.
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub Principal);

/// A caller that writes: the principal and the handle of its token (the first 12 hex digits of
/// the token's hash, as `token list` shows it), recorded in the log with what it writes.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    pub principal: Principal,
    pub token: TokenId,
}

impl Writer {
    /// The sender the log records: the principal's identity, through the API with this token.
    pub(crate) fn sender(&self) -> Sender {
        Sender {
            identity: self.principal.identity(),
            api_token: Some(self.token.clone()),
        }
    }
}

/// The handle recorded for a token.
fn token_handle(token: &str) -> Result<TokenId, Problem> {
    TokenId::parse(&hash_token(token)[..12]).map_err(|e| Problem::internal(&e))
}

impl FromRequestParts<AppState> for Writer {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        writer_for(state, token)
    }
}

/// The writer a token proves: its principal (as [`authenticate`] finds it) and its handle.
/// Shared with the console, which carries the same token in a cookie.
pub(crate) fn writer_for(state: &AppState, token: &str) -> Result<Writer, Problem> {
    let Caller(principal) = authenticate(state, token)?;
    Ok(Writer {
        principal,
        token: token_handle(token)?,
    })
}

/// The bearer token in the request's `Authorization` header.
fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(
            Problem::unauthenticated("send a bearer token: Authorization: Bearer tw_...")
                .in_chinese("请提供令牌：Authorization: Bearer tw_...")
                .at("header.authorization"),
        );
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            Problem::unauthenticated("the Authorization header must be `Bearer <token>`")
                .in_chinese("Authorization 请求头须为 `Bearer <令牌>`")
                .at("header.authorization")
        })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        authenticate(state, token)
    }
}

/// The caller a token proves, or the `401` for an unknown, revoked or expired one. The one
/// authentication every route uses: the API's bearer header and the console's cookie alike.
pub(crate) fn authenticate(state: &AppState, token: &str) -> Result<Caller, Problem> {
    let principal = state.tokens.authenticate(token).map_err(|refusal| {
        let (zh, en) = match refusal {
            Refusal::Unknown => (
                "令牌无效或已被吊销".to_owned(),
                "the token is unknown or revoked".to_owned(),
            ),
            Refusal::Expired(at) => (
                format!("令牌已于 {at} 过期，请申请新令牌"),
                format!("the token expired at {at}; ask for a new one"),
            ),
        };
        Problem::unauthenticated(en)
            .in_chinese(zh)
            .at("header.authorization")
    })?;
    tracing::Span::current().record("principal", tracing::field::display(&principal));
    Ok(Caller(principal))
}
