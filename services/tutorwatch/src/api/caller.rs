//! Authentication: the `Authorization: Bearer <token>` header turned into a [`Principal`], and
//! recorded on the request's tracing span.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::tokens::Refusal;

/// A caller that presented a valid token.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(Problem::unauthenticated(
                "send a bearer token: Authorization: Bearer tw_...",
            )
            .at("header.authorization"));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthenticated("the Authorization header must be `Bearer <token>`")
                    .at("header.authorization")
            })?;
        let principal = state.tokens.authenticate(token).map_err(|refusal| {
            let detail = match refusal {
                Refusal::Unknown => "the token is unknown or revoked".to_owned(),
                Refusal::Expired(at) => {
                    format!("the token expired at {at}; ask for a new one")
                }
            };
            Problem::unauthenticated(detail).at("header.authorization")
        })?;
        tracing::Span::current().record("principal", tracing::field::display(&principal));
        Ok(Caller(principal))
    }
}
