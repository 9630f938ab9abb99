//! Request extractors that refuse bad input with a problem document naming the field at fault:
//! JSON bodies (`ApiJson`, or `JsonBytes` undecoded) and query strings (`ApiQuery`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// The raw bytes of a body sent as `application/json` (another media type is 415, a body over
/// the limit 413), for handlers that decode it themselves.
#[derive(Debug, Clone)]
pub(crate) struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            )
            .in_chinese("请以 application/json 发送请求体")
            .at("header.content-type"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "Payload too large",
                        "the request body is over the limit",
                    )
                    .in_chinese("请求体超过大小上限")
                    .at("body")
                } else {
                    Problem::bad_request(rejection.body_text()).at("body")
                }
            })?;
        Ok(JsonBytes(bytes))
    }
}

/// A JSON body of type `T`; unknown fields, wrong types and missing fields are 422 with the
/// field's path (`sessions[0].end`), malformed JSON is 400, another media type is 415.
#[derive(Debug, Clone)]
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(request, state).await?;
        decode_json(&bytes).map(ApiJson)
    }
}

/// Decodes JSON with the path of the field at fault in the error.
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        if inner.is_syntax() || inner.is_eof() {
            Problem::bad_request(format!("the body is not valid JSON: {inner}"))
                .in_chinese(format!("请求体不是有效的 JSON（{inner}）"))
                .at("body")
        } else {
            Problem::invalid(field.clone(), inner.to_string())
                .in_chinese(format!("{field}：无法读取（{inner}）"))
        }
    })
}

/// A query string of type `T`; a parameter of the wrong type or an unknown one is 400 with
/// `query.<name>` as the field.
#[derive(Debug, Clone)]
pub(crate) struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    format!("query.{path}")
                };
                let inner = error.into_inner();
                Problem::bad_request(inner.to_string())
                    .in_chinese(format!("{field}：无法读取（{inner}）"))
                    .at(field)
            })
    }
}
