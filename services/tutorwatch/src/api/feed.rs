//! Turning a caller's feed parameters into a store query its role allows: officers see their
//! jurisdiction (a region and the regions below it), institutions only themselves, admins all.
//! Shared by the JSON feed, the CSV export and the live stream, so every cursor they hand out
//! (`next`, a finding's `cursor`, an SSE event id) names a finding the caller may see.

use serde::Deserialize;
use tutorwatch_events::{CreditCode, RegionCode, UtcTime};
use tutorwatch_findings::{RuleId, Severity};
use tutorwatch_projection_store::{
    Cursor, FeedQuery, Scope, StatusTag, StoredFinding, FEED_PAGE_MAX,
};
use utoipa::IntoParams;

use super::offload::blocking;
use super::principal::{within, Principal};
use super::problem::Problem;
use super::state::AppState;

/// The feed's filters, as query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedParams {
    /// Only this region and the regions below it (6 digits; must be within your jurisdiction).
    #[param(value_type = Option<String>, pattern = "^[0-9]{6}$")]
    pub region: Option<RegionCode>,
    /// Only this institution (credit code).
    #[param(value_type = Option<String>)]
    pub institution: Option<CreditCode>,
    /// Only this rule, e.g. `ONLINE_LESSON_MAX_30MIN`.
    pub rule: Option<String>,
    /// Only this severity or worse: `low`, `med`, `high`, `crit`.
    #[param(value_type = Option<String>)]
    pub min_severity: Option<Severity>,
    /// Only this status: `open`, `withdrawn`, `acknowledged`, `rectification_ordered`,
    /// `resolved`, `penalised`.
    pub status: Option<String>,
    /// Only findings that occurred at or after this time (RFC 3339 with an offset; encode `+`
    /// as `%2B`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<UtcTime>,
    /// Only findings that occurred before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<UtcTime>,
    /// Continue after this cursor (a finding's `cursor`, or a page's `next`).
    pub after: Option<String>,
    /// The most findings per page (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// The default page size.
pub(crate) const FEED_PAGE_DEFAULT: usize = 100;

/// A query the caller may run. When the scope alone does not keep to the caller's jurisdiction
/// (an officer asking for one institution), `query.within` does: the store then skips findings
/// outside it, and never hands out a `next` cursor that names one.
#[derive(Debug, Clone)]
pub(crate) struct AllowedQuery {
    pub query: FeedQuery,
}

impl AllowedQuery {
    /// Whether a finding belongs in the caller's results.
    pub(crate) fn keeps(&self, stored: &StoredFinding) -> bool {
        self.query.matches(&stored.finding)
            && match &self.query.scope {
                Scope::Region(region) => within(*region, stored.finding.region),
                Scope::Institution(code) => &stored.finding.institution == code,
                Scope::Rule(rule) => stored.finding.rule == *rule,
                Scope::Status(tag) => StatusTag::of(&stored.finding.status) == *tag,
                Scope::All => true,
            }
    }
}

/// Parses a cursor parameter.
pub(crate) fn parse_cursor(field: &str, text: &str) -> Result<Cursor, Problem> {
    text.parse().map_err(|_| {
        Problem::invalid(
            field,
            "not a cursor: use a finding's `cursor` or a page's `next`",
        )
        .in_chinese("不是游标：请使用问题的 `cursor` 或分页的 `next`")
    })
}

/// Checks the parameters and the caller's role; returns the query to run.
pub(crate) fn allowed_query(
    principal: &Principal,
    params: &FeedParams,
) -> Result<AllowedQuery, Problem> {
    let rule = params
        .rule
        .as_deref()
        .map(|r| {
            RuleId::parse(r).ok_or_else(|| {
                Problem::invalid("query.rule", format!("no rule {r:?}"))
                    .in_chinese(format!("没有规则 {r:?}"))
            })
        })
        .transpose()?;
    let status = params
        .status
        .as_deref()
        .map(|s| {
            StatusTag::parse(s).ok_or_else(|| {
                Problem::invalid("query.status", format!("no status {s:?}"))
                    .in_chinese(format!("没有状态 {s:?}"))
            })
        })
        .transpose()?;
    let after = params
        .after
        .as_deref()
        .map(|a| parse_cursor("query.after", a))
        .transpose()?;
    let limit = params.limit.unwrap_or(FEED_PAGE_DEFAULT);
    if limit == 0 || limit > FEED_PAGE_MAX {
        return Err(
            Problem::invalid("query.limit", format!("must be 1 to {FEED_PAGE_MAX}"))
                .in_chinese(format!("须为 1 至 {FEED_PAGE_MAX}")),
        );
    }
    if let (Some(from), Some(until)) = (params.from, params.until) {
        if until <= from {
            return Err(
                Problem::invalid("query.until", "must be after `from`").in_chinese("须晚于 `from`")
            );
        }
    }
    let mut reach = None;
    let scope =
        match principal {
            Principal::Bank { .. } => return Err(Problem::forbidden(
                "banks post escrow events; the violation feeds are for officers and institutions",
            )
            .in_chinese("银行报送资金事件；问题列表供执法人员和机构查看")),
            Principal::Institution { institution, .. } => {
                if params.region.is_some() {
                    return Err(Problem::forbidden(
                        "institutions read their own findings; omit `region`",
                    )
                    .in_chinese("机构只能查看自身的问题；请去掉 `region`")
                    .at("query.region"));
                }
                if params
                    .institution
                    .as_ref()
                    .is_some_and(|i| i != institution)
                {
                    return Err(
                        Problem::forbidden("institutions read only their own findings")
                            .in_chinese("机构只能查看自身的问题")
                            .at("query.institution"),
                    );
                }
                Scope::Institution(institution.clone())
            }
            Principal::Officer { region: j, .. } | Principal::Registry { region: j } => {
                if let Some(region) = params.region {
                    if !within(*j, region) {
                        return Err(Problem::forbidden(format!(
                            "region {region} is outside your jurisdiction {j}"
                        ))
                        .in_chinese(format!("地区 {region} 不在您的辖区 {j} 内"))
                        .at("query.region"));
                    }
                }
                match (&params.institution, params.region) {
                    (Some(code), region) => {
                        reach = Some(region.unwrap_or(*j));
                        Scope::Institution(code.clone())
                    }
                    (None, region) => Scope::Region(region.unwrap_or(*j)),
                }
            }
            Principal::Admin => match (&params.institution, params.region) {
                (Some(code), region) => {
                    reach = region;
                    Scope::Institution(code.clone())
                }
                (None, Some(region)) => Scope::Region(region),
                (None, None) => match (rule, status) {
                    (Some(rule), _) => Scope::Rule(rule),
                    (None, Some(tag)) => Scope::Status(tag),
                    (None, None) => Scope::All,
                },
            },
        };
    Ok(AllowedQuery {
        query: FeedQuery {
            scope,
            after,
            limit,
            rule,
            min_severity: params.min_severity,
            status,
            occurred_from: params.from,
            occurred_until: params.until,
            within: reach,
        },
    })
}

/// [`allowed_query`], and for an officer or registry asking for one institution, the check that
/// the institution is in their jurisdiction: one outside it is refused exactly like an unknown
/// one (403), so its findings, and the cursors naming them, stay out of reach.
pub(crate) async fn allowed_query_for(
    state: &AppState,
    principal: &Principal,
    params: &FeedParams,
) -> Result<AllowedQuery, Problem> {
    let allowed = allowed_query(principal, params)?;
    if let (Some(jurisdiction), Some(code)) = (principal.jurisdiction(), &params.institution) {
        let store = state.projections.clone();
        let asked = code.clone();
        let region = blocking(move || {
            store
                .institution_profile(&asked)
                .map(|known| known.map(|known| known.region))
        })
        .await?;
        if !region.is_some_and(|region| within(jurisdiction, region)) {
            return Err(Problem::forbidden(format!(
                "no institution {code} in your jurisdiction (or none that you may read)"
            ))
            .in_chinese(format!("您的辖区内没有机构 {code}（或您无权查看）"))
            .at("query.institution"));
        }
    }
    Ok(allowed)
}
