//! `application/problem+json` (RFC 9457) errors: every refusal the API gives, with the field at
//! fault where there is one. Handlers return `Result<_, Problem>`; the `ensure_problem` layer
//! turns the few bodies that do not come from a handler (no such route, wrong method, time-out)
//! into problem documents too, and gives every problem's title in the reader's language.

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tutorwatch_findings::Lang;
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:tutorwatch:problem:invalid-field`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, fixed summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What was wrong with this request, in the reader's language (Chinese unless
    /// `Accept-Language` prefers English).
    pub detail: String,
    /// The detail in Chinese, when the handler gave one: the language layer puts it in `detail`
    /// for a Chinese reader and never sends this field.
    #[serde(rename = "detail_zh", skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub detail_zh: Option<Box<str>>,
    /// The field at fault, as a path into the request (`data.sessions[0].end`, `query.limit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    /// A problem of kind `kind` (the last part of its URN).
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:tutorwatch:problem:{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            detail_zh: None,
            field: None,
        }
    }

    /// Gives the detail in Chinese too (what a Chinese reader is shown).
    pub fn in_chinese(mut self, detail: impl Into<String>) -> Self {
        self.detail_zh = Some(detail.into().into_boxed_str());
        self
    }

    /// The detail in `lang`: the Chinese one when there is one and Chinese is asked for.
    pub fn detail_in(&self, lang: Lang) -> &str {
        match (&self.detail_zh, lang) {
            (Some(zh), Lang::Zh) => zh,
            _ => &self.detail,
        }
    }

    /// Names the field at fault.
    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the request cannot be read (syntax, a query parameter of the wrong type).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    /// 422: the request reads, but a field breaks a rule.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "A field is invalid",
            detail,
        )
        .at(field)
    }

    /// 422 for a field that failed validation, in both languages.
    pub fn from_validation(error: &tutorwatch_events::ValidationError) -> Self {
        Self::invalid(error.field.clone(), error.to_string()).in_chinese(error.message_zh())
    }

    /// A body that does not decode as an event: 422 naming the field, else 400.
    pub fn from_decode(error: &tutorwatch_events::DecodeError) -> Self {
        match error.field() {
            Some(field) => Self::invalid(field, error.to_string()),
            None => Self::bad_request(error.to_string()).at("body"),
        }
        .in_chinese(error.message_zh())
    }

    /// 401: no credentials, or credentials we do not know.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
    }

    /// 403: known credentials that may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 409: the request clashes with what is already recorded.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    /// 503: a dependency (NATS, the projector) is not available right now.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
            detail,
        )
    }

    /// 503 while the projections load at start.
    pub fn loading() -> Self {
        Self::unavailable("the projections are still loading; retry shortly")
            .in_chinese("统计数据正在加载，请稍后再试")
    }

    /// 500, logged; the caller learns nothing about internals.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong",
            "the service could not complete the request; it has been logged",
        )
        .in_chinese("服务未能完成请求，已记录在日志中")
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tutorwatch\""),
            );
        }
        response
    }
}

/// The largest problem document the layer reads back to put its title in the reader's language.
const PROBLEM_BYTES_MAX: usize = 64 * 1024;

/// A problem kind's title in Chinese (the `type` URN's last part); `None` for a kind without one.
fn title_zh(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "bad-request" => "请求无法解析",
        "invalid-field" => "字段无效",
        "unauthenticated" => "需要身份验证",
        "forbidden" => "无权进行此操作",
        "not-found" => "未找到",
        "conflict" => "与已记录的内容冲突",
        "unavailable" => "服务暂时不可用",
        "internal" => "服务出错",
        "refused" => "事件被拒绝",
        "rate-limited" => "请求过于频繁",
        "too-many-streams" => "实时连接过多",
        "too-large" => "请求内容过大",
        "unsupported-media-type" => "不支持的内容类型",
        "method-not-allowed" => "不支持该请求方法",
        "timeout" => "请求超时",
        _ => return None,
    })
}

/// Turns error responses that carry no problem document (an unknown route, a wrong method, a
/// time-out, a body over the limit) into one, so every 4xx and 5xx is `application/problem+json`;
/// and gives every problem's title in the reader's language: Chinese unless `Accept-Language`
/// prefers English (`Content-Language` says which), and its detail too where the handler gave
/// one in Chinese (`Problem::in_chinese`; other details are as the handler wrote them).
pub async fn ensure_problem(request: Request<Body>, next: Next) -> Response {
    let lang = reader_language(request.headers());
    let response = with_problem_document(next.run(request).await);
    in_language(response, lang).await
}

/// The language a request's `Accept-Language` asks for: Chinese unless it prefers English.
pub(crate) fn reader_language(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map_or(Lang::Zh, Lang::from_accept_language)
}

/// Whether the response's body is a problem document.
fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// The response's problem document with its title in `lang`, when it is one.
pub(crate) async fn in_language(response: Response, lang: Lang) -> Response {
    if !is_problem(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    let Ok(bytes) = axum::body::to_bytes(body, PROBLEM_BYTES_MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let localised = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|mut document| {
            let object = document.as_object_mut()?;
            let detail_zh = object.remove("detail_zh");
            if lang == Lang::Zh {
                if let Some(detail) = detail_zh.filter(serde_json::Value::is_string) {
                    object.insert("detail".to_owned(), detail);
                }
                let kind = object.get("type")?.as_str()?.rsplit(':').next()?.to_owned();
                if let Some(title) = title_zh(&kind) {
                    object.insert("title".to_owned(), serde_json::Value::from(title));
                }
            }
            serde_json::to_vec(&document).ok()
        });
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        Body::from(localised.unwrap_or_else(|| bytes.to_vec())),
    )
}

/// The response, or a problem document in place of an error body that is not one.
fn with_problem_document(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if is_problem(&response) {
        return response;
    }
    let title = status.canonical_reason().unwrap_or("Error");
    let (kind, detail, detail_zh) = match status {
        StatusCode::NOT_FOUND => ("not-found", "no such route", "没有这个地址"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "this route does not take that method",
            "该地址不支持此请求方法",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long", "请求超时"),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "too-large",
            "the request body is over the limit",
            "请求体超过大小上限",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported-media-type",
            "send application/json",
            "请以 application/json 发送",
        ),
        _ => ("http", title, "请求出错"),
    };
    let mut problem = Problem::new(status, kind, title, detail).in_chinese(detail_zh);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        problem = problem.at("body");
    }
    let mut replaced = problem.into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        replaced.headers_mut().insert(header::ALLOW, allow.clone());
    }
    replaced
}
