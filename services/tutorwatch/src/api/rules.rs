//! `GET /v1/rules` (public): the rule catalogue with the policy figures in force on a date in a
//! region, the same document as `tutorwatch rules --json`. Texts are Chinese unless `lang=en` or
//! an `Accept-Language` that prefers English asks otherwise; the response says which in
//! `Content-Language`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::civil::Date;
use serde::Deserialize;
use tutorwatch_events::RegionCode;
use tutorwatch_findings::Lang;
use utoipa::IntoParams;

use super::extract::ApiQuery;
use super::problem::Problem;
use super::state::AppState;
use crate::catalogue::{catalogue, today, Catalogue};

/// Which figures, and in which language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RulesParams {
    /// The region whose figures to show (a GB/T 2260 code); national when omitted.
    #[param(value_type = Option<String>, pattern = "^[0-9]{6}$")]
    pub region: Option<String>,
    /// The local date the figures are in force on (`YYYY-MM-DD`); today when omitted.
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<String>,
    /// `zh` or `en`; overrides `Accept-Language`.
    #[param(value_type = Option<String>, pattern = "^(zh|zh-CN|en)$")]
    pub lang: Option<String>,
}

/// The rule catalogue (public).
#[utoipa::path(
    get, path = "/v1/rules", tag = "public",
    params(RulesParams),
    responses(
        (status = 200, body = Catalogue,
            headers(("Content-Language" = String, description = "`zh-CN` or `en`"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from your address without a token; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub(crate) async fn list_rules(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<RulesParams>,
) -> Result<Response, Problem> {
    let region = params
        .region
        .as_deref()
        .map(|text| {
            RegionCode::parse(text)
                .map_err(|e| {
                    Problem::invalid("query.region", e.to_string())
                        .in_chinese(format!("不是行政区划代码（{e}）"))
                })
                .and_then(|code| {
                    tutorwatch_events::validate::known_region("query.region", &code)
                        .map(|()| code)
                        .map_err(|e| {
                            Problem::invalid(e.field.clone(), e.problem.to_string())
                                .in_chinese(e.problem.text_zh())
                        })
                })
        })
        .transpose()?;
    let date = match params.date.as_deref() {
        None => today(region),
        Some(text) => text.parse::<Date>().map_err(|e| {
            Problem::invalid("query.date", format!("not a date (YYYY-MM-DD): {e}"))
                .in_chinese("不是日期（YYYY-MM-DD）")
        })?,
    };
    let lang = match params.lang.as_deref() {
        Some(text) => Lang::parse(text).ok_or_else(|| {
            Problem::invalid("query.lang", "use zh or en").in_chinese("请使用 zh 或 en")
        })?,
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .map_or(Lang::Zh, Lang::from_accept_language),
    };
    let catalogue = catalogue(&state.policy, region, date, lang).map_err(|e| {
        tracing::error!(error = %e, "the policy's figures could not be read");
        Problem::unavailable("the policy's figures could not be read")
            .in_chinese("无法读取政策参数")
    })?;
    let mut response = Json(catalogue).into_response();
    response.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    Ok(response)
}
