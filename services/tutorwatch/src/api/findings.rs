//! The violation feed: query it (JSON, cursor pages that stay correct while findings arrive),
//! export it (CSV), read one finding, and act on it (acknowledge, order rectification, resolve,
//! penalise), which appends an `supervision.officer_acted` event like any other write.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use tutorwatch_events::ids::{FindingId, Text};
use tutorwatch_events::supervision::{CaseAction, OfficerActed};
use tutorwatch_events::{Event, UtcTime};
use tutorwatch_projection_store::{FeedPage, FeedQuery, StoredFinding};
use utoipa::ToSchema;

use super::caller::{Caller, Writer};
use super::extract::{ApiJson, ApiQuery};
use super::feed::{allowed_query_for, AllowedQuery, FeedParams};
use super::offload::blocking;
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::submit::{envelope_for, event_id_for, submit, Written};
use super::views::{FindingPage, FindingView};

/// The most rows one CSV export holds; narrow the query for more.
pub(crate) const EXPORT_ROWS_MAX: usize = 100_000;

/// Runs a store query off the async threads.
pub(crate) async fn run_query(state: &AppState, query: FeedQuery) -> Result<FeedPage, Problem> {
    let store = state.projections.clone();
    blocking(move || store.query(&query)).await
}

async fn page(state: &AppState, allowed: &AllowedQuery) -> Result<FindingPage, Problem> {
    let page = run_query(state, allowed.query.clone()).await?;
    Ok(FindingPage {
        findings: page
            .findings
            .iter()
            .filter(|f| allowed.keeps(f))
            .map(FindingView::from)
            .collect(),
        next: page.next.map(|c| c.to_string()),
    })
}

/// Query the violation feed.
#[utoipa::path(
    get, path = "/v1/findings", tag = "findings",
    params(FeedParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of findings, oldest first", body = FindingPage),
        (status = 400, description = "A parameter does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Outside your jurisdiction, or not your institution", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The projections are still loading", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_findings(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Json<FindingPage>, Problem> {
    let allowed = allowed_query_for(&state, &principal, &params).await?;
    Ok(Json(page(&state, &allowed).await?))
}

const CSV_HEADER: [&str; 14] = [
    "id",
    "cursor",
    "rule",
    "severity",
    "status",
    "institution",
    "region",
    "occurred_at",
    "occurred_local",
    "time_zone",
    "description",
    "figures",
    "evidence",
    "policy_version",
];

fn csv_row(view: &FindingView) -> [String; 14] {
    let figures = view
        .figures
        .iter()
        .map(|f| format!("{}={}", f.name, f.text))
        .collect::<Vec<_>>()
        .join("; ");
    let evidence = view
        .evidence
        .iter()
        .map(|e| e.event_id.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    [
        view.id.to_string(),
        view.cursor.clone(),
        view.rule.clone(),
        view.severity.clone(),
        view.status.clone(),
        view.institution.to_string(),
        view.region.to_string(),
        view.occurred_at.to_string(),
        view.occurred_local.clone(),
        view.time_zone.clone(),
        view.description.clone(),
        figures,
        evidence,
        view.policy_version.clone(),
    ]
}

/// Export the feed as CSV: every finding the same query returns, from `after` (or the start) to
/// the end, following the pages (at most 100,000 rows).
#[utoipa::path(
    get, path = "/v1/findings/export.csv", tag = "findings",
    params(FeedParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV with a header row", body = String, content_type = "text/csv"),
        (status = 400, description = "A parameter does not parse", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Outside your jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The projections are still loading", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn export_findings(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiQuery(params): ApiQuery<FeedParams>,
) -> Result<Response, Problem> {
    let mut allowed = allowed_query_for(&state, &principal, &params).await?;
    allowed.query.limit = tutorwatch_projection_store::FEED_PAGE_MAX;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(CSV_HEADER)
        .map_err(|e| Problem::internal(&e))?;
    let mut rows = 0usize;
    loop {
        let page = run_query(&state, allowed.query.clone()).await?;
        for stored in page.findings.iter().filter(|f| allowed.keeps(f)) {
            if rows == EXPORT_ROWS_MAX {
                return Err(Problem::invalid(
                    "query",
                    format!("the export would hold more than {EXPORT_ROWS_MAX} rows: narrow the query (region, rule, from, until)"),
                )
                .in_chinese(format!("导出将超过 {EXPORT_ROWS_MAX} 行：请缩小查询范围（地区、规则、起止日期）")));
            }
            writer
                .write_record(csv_row(&FindingView::from(stored)))
                .map_err(|e| Problem::internal(&e))?;
            rows += 1;
        }
        match page.next {
            Some(next) => allowed.query.after = Some(next),
            None => break,
        }
    }
    let body = writer.into_inner().map_err(|e| Problem::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"findings.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// Reads a finding the caller may see; anything else is the same 404, so nobody learns whether
/// a finding outside their reach exists.
pub(crate) async fn visible_finding(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<StoredFinding, Problem> {
    let not_found = || {
        Problem::not_found(format!("no finding {id} that you may see"))
            .in_chinese(format!("没有您可查看的问题 {id}"))
    };
    let id: FindingId = id
        .parse::<uuid::Uuid>()
        .map(|u| FindingId::from_bytes(u.into_bytes()))
        .map_err(|_| {
            Problem::invalid("path.id", "not a finding id (UUID)")
                .in_chinese("不是问题编号（UUID）")
        })?;
    let store = state.projections.clone();
    let stored = blocking(move || store.finding(&id))
        .await?
        .ok_or_else(not_found)?;
    if principal.may_read(&stored.finding.institution, stored.finding.region) {
        Ok(stored)
    } else {
        Err(not_found())
    }
}

/// Read one finding.
#[utoipa::path(
    get, path = "/v1/findings/{id}", tag = "findings",
    params(("id" = String, Path, description = "The finding's id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = FindingView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding that you may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_finding(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Json<FindingView>, Problem> {
    let stored = visible_finding(&state, &principal, &id).await?;
    Ok(Json(FindingView::from(&stored)))
}

/// A finding's evidence bundle (issue 12): the finding, its evidence events in wire form with
/// their log records and inclusion proofs, and the signed checkpoint they rest on, signed as a
/// whole; `tutorwatch evidence verify FILE --key PUBKEY` checks it offline. Same access as
/// `GET /v1/findings/{id}`.
#[utoipa::path(
    get, path = "/v1/findings/{id}/evidence", tag = "findings",
    params(("id" = String, Path, description = "The finding's id (UUID)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The evidence bundle (one JSON object, `tutorwatch_proof::EvidenceBundle`)", body = Object),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding that you may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The evidence is not yet checkpointed: retry after the next checkpoint", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The service signs no checkpoints (no checkpoint key)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_evidence(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let stored = visible_finding(&state, &principal, &id).await?;
    let Some(signer) = state.evidence.clone() else {
        return Err(Problem::unavailable(
            "this service signs no checkpoints ([checkpoints] key_file), so it gives no evidence bundles",
        )
        .in_chinese("本服务未签发检查点（[checkpoints] key_file），无法提供证据包"));
    };
    let log = state.log.clone();
    let bundle = tokio::task::spawn_blocking(move || {
        crate::cmd::evidence::bundle_for(&log, &stored, &signer)
    })
    .await
    .map_err(|e| Problem::internal(&e))?;
    match bundle {
        Ok(bundle) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            bundle.to_json_line(),
        )
            .into_response()),
        Err(error @ crate::cmd::evidence::ExportError::NotCheckpointed { .. }) => {
            Err(Problem::conflict(error.to_string())
                .in_chinese("该问题的证据尚未被签名检查点覆盖，请稍后再试")
                .at("path.id"))
        }
        Err(error) => Err(Problem::internal(&format!(
            "{:#}",
            anyhow::Error::new(error)
        ))),
    }
}

/// An officer's action on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionRequest {
    /// `"acknowledged"`, `"resolved"`, `{"rectification_ordered": {"due": "2025-10-01"}}` or
    /// `{"penalty": {"penalty": "fine", "fine": 500000}}` (fen).
    pub action: CaseAction,
    /// Why, in a sentence or two.
    pub note: Text,
}

/// Act on a finding (officers of its jurisdiction, or admin). The action is an event in the log;
/// the finding's status changes when the projector applies it.
#[utoipa::path(
    post, path = "/v1/findings/{id}/actions", tag = "findings",
    params(
        ("id" = String, Path, description = "The finding's id (UUID)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body = ActionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The action is in the log", body = Written),
        (status = 202, description = "Accepted; poll /v1/events/{id}", body = Written),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such finding in your jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn act_on_finding(
    State(state): State<AppState>,
    writer: Writer,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Response, Problem> {
    let principal = &writer.principal;
    let officer = match principal {
        Principal::Officer { officer, .. } => officer.clone(),
        Principal::Admin => {
            tutorwatch_events::ids::OfficerId::parse("admin").map_err(|e| Problem::internal(&e))?
        }
        other => {
            return Err(Problem::forbidden(format!(
                "{} principals may not act on findings",
                other.role()
            ))
            .in_chinese("只有执法人员可以处理问题"))
        }
    };
    let stored = visible_finding(&state, principal, &id).await?;
    if let Some((zh, en)) = stored.finding.status.refusal(&request.action) {
        return Err(Problem::conflict(en).in_chinese(zh).at("action"));
    }
    if let CaseAction::RectificationOrdered { due } = &request.action {
        let today = stored.finding.region.local_date(UtcTime::now());
        if *due < today {
            return Err(Problem::invalid(
                "action.due",
                format!("the due date {due} is in the past (today is {today})"),
            )
            .in_chinese(format!("整改期限 {due} 早于今天（{today}）")));
        }
    }
    let event = Event::OfficerActed(OfficerActed {
        finding: stored.finding.id,
        officer: officer.clone(),
        action: request.action,
        note: request.note,
    });
    let producer_principal = Principal::Officer {
        officer,
        region: stored.finding.region,
    };
    let envelope = envelope_for(
        &state,
        event_id_for(&state, principal, &headers)?,
        &producer_principal,
        stored.finding.institution.clone(),
        event,
    )
    .await?;
    submit(&state, &writer, envelope).await
}
