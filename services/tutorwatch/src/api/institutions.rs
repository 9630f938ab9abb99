//! One institution's full record, for officers of its jurisdiction and for the institution
//! itself: registration, licence, list status with its reasons, standing findings, and the
//! history of officers' actions (read back from the log, which is the record of them). Every
//! part is read from committed rows (the projection store's profile, list entry and findings,
//! and the log), never from the running projector.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use tutorwatch_events::supervision::CaseAction;
use tutorwatch_events::{CreditCode, Event, EventId, LoggedEvent, RegionCode, UtcTime};
use tutorwatch_findings::ListEntry;
use tutorwatch_projection_store::{FeedQuery, Scope};
use utoipa::ToSchema;

use super::caller::Caller;
use super::findings::run_query;
use super::offload::{blocking, logged_at};
use super::principal::Principal;
use super::problem::Problem;
use super::state::AppState;
use super::views::{json_name, FindingView, ReasonView};

/// What the registry recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct RegistrationView {
    pub name: String,
    pub licence_no: String,
    /// `subject` or `non_subject`.
    pub category: String,
    pub subjects: Vec<String>,
    pub non_profit: bool,
    pub approved_on: String,
    pub time_zone: String,
}

/// One officer's action, as the log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct ActionView {
    pub event_id: EventId,
    pub seq: u64,
    pub occurred_at: UtcTime,
    pub officer: String,
    pub finding: String,
    #[schema(value_type = Object)]
    pub action: serde_json::Value,
    pub note: String,
}

/// The list entry, with every reason (also the reasons an institution is not white).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub(crate) struct ListView {
    /// `black`, `white` or `unlisted`.
    pub status: String,
    pub since: UtcTime,
    pub since_event: EventId,
    pub reasons: Vec<ReasonView>,
}

/// An institution's record.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub(crate) struct InstitutionRecord {
    pub credit_code: CreditCode,
    pub region: RegionCode,
    /// `None` when the registry never registered it.
    pub registration: Option<RegistrationView>,
    /// `active`, `suspended` or `revoked`.
    pub licence: String,
    pub sites: usize,
    pub teachers: usize,
    pub open_supervised_accounts: usize,
    pub list: Option<ListView>,
    /// Findings that still count against it (not withdrawn or resolved), oldest first (at most
    /// 1,000; the feed has them all).
    pub standing_findings: Vec<FindingView>,
    /// Officers' actions on its findings, in log order.
    pub actions: Vec<ActionView>,
}

fn list_view(entry: &ListEntry) -> ListView {
    ListView {
        status: json_name(&entry.status),
        since: entry.since_at,
        since_event: entry.since.event_id,
        reasons: entry.reasons.iter().map(ReasonView::of).collect(),
    }
}

/// The most findings a record reads (its standing findings and the actions on them).
const RECORD_FINDINGS_MAX: usize = 1_000;

/// Read an institution's record.
#[utoipa::path(
    get, path = "/v1/institutions/{code}", tag = "institutions",
    params(("code" = String, Path, description = "The credit code")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = InstitutionRecord),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not yours, or no such institution in your jurisdiction", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get_institution(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(code): Path<String>,
) -> Result<Json<InstitutionRecord>, Problem> {
    let code = CreditCode::parse(&code).map_err(|e| {
        Problem::invalid("path.code", e.to_string())
            .in_chinese(format!("不是有效的统一社会信用代码（{e}）"))
    })?;
    if matches!(principal, Principal::Bank { .. }) {
        return Err(Problem::forbidden("banks do not read institution records")
            .in_chinese("银行不能查看机构档案"));
    }
    let refused = || match &principal {
        Principal::Institution { .. } => {
            Problem::forbidden("institutions may read only their own record")
                .in_chinese("机构只能查看自身的档案")
        }
        _ => Problem::forbidden(format!(
            "no institution {code} in your jurisdiction (or none that you may read)"
        ))
        .in_chinese(format!("您的辖区内没有机构 {code}（或您无权查看）")),
    };
    let store = state.projections.clone();
    let profile_code = code.clone();
    let known = blocking(move || store.institution_profile(&profile_code)).await?;
    let Some(known) = known else {
        return Err(refused());
    };
    if !principal.may_read(&code, known.region) {
        return Err(refused());
    }
    let mut query = FeedQuery::new(Scope::Institution(code.clone()));
    query.limit = RECORD_FINDINGS_MAX;
    // Its findings filed under a region outside an officer's jurisdiction stay out of reach.
    query.within = principal.jurisdiction();
    let page = run_query(&state, query).await?;
    let store = state.projections.clone();
    let list_code = code.clone();
    let entry = blocking(move || store.list_entry(&list_code)).await?;
    let mut action_seqs: Vec<u64> = page
        .findings
        .iter()
        .flat_map(|f| f.finding.status_events.iter().map(|e| e.seq))
        .collect();
    action_seqs.sort_unstable();
    action_seqs.dedup();
    let log = state.log.clone();
    let actions = blocking(move || -> anyhow::Result<Vec<ActionView>> {
        let mut actions = Vec::new();
        for seq in action_seqs {
            let Some(LoggedEvent { envelope, .. }) = logged_at(&log, seq)? else {
                continue;
            };
            if let Event::OfficerActed(acted) = &envelope.event {
                actions.push(ActionView {
                    event_id: envelope.event_id,
                    seq,
                    occurred_at: envelope.occurred_at,
                    officer: acted.officer.to_string(),
                    finding: acted.finding.to_string(),
                    action: action_json(&acted.action),
                    note: acted.note.as_str().to_owned(),
                });
            }
        }
        Ok(actions)
    })
    .await?;
    let registration = known.registration.map(|r| RegistrationView {
        name: r.name,
        licence_no: r.licence_no,
        category: json_name(&r.category),
        subjects: r.subjects.iter().map(json_name).collect(),
        non_profit: r.non_profit,
        approved_on: r.approved_on.to_string(),
        time_zone: r.time_zone,
    });
    Ok(Json(InstitutionRecord {
        credit_code: code,
        region: known.region,
        registration,
        licence: json_name(&known.licence),
        sites: known.sites as usize,
        teachers: known.teachers as usize,
        open_supervised_accounts: known.open_supervised_accounts as usize,
        list: entry.as_ref().map(list_view),
        standing_findings: page
            .findings
            .iter()
            .filter(|f| f.finding.status.is_standing())
            .map(FindingView::from)
            .collect(),
        actions,
    }))
}

fn action_json(action: &CaseAction) -> serde_json::Value {
    serde_json::to_value(action).unwrap_or_default()
}
