//! The jurisdiction at a glance, for officers: how many findings stand (all but withdrawn ones)
//! and how many are still open, by county, by rule and by week, as bar charts drawn on the
//! server in SVG (no script, no chart library).
//!
//! The counts come from the projection store's count rows (standing findings per region, ISO
//! week, status and rule, which the follower keeps in step with every finding it writes), read
//! within the session's jurisdiction (`Principal::jurisdiction`, the region rule of
//! `Principal::may_read`; everything for an admin). A request reads one row per region, week,
//! status and rule that has findings, never the findings themselves, so its cost does not grow
//! with their number. The trend shows the latest [`WEEKS_SHOWN`] weeks that have findings.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use tutorwatch_events::region::RegionLevel;
use tutorwatch_events::RegionCode;
use tutorwatch_findings::RuleId;
use tutorwatch_projection_store::{CountKey, StatusTag};

use super::i18n::Lang;
use super::rules::rule_text;
use super::{fresh, page, problem_page, regions, Area, Console, Session};
use crate::api::principal::Principal;
use crate::api::problem::Problem;

/// How many weeks the trend shows.
pub(super) const WEEKS_SHOWN: usize = 26;

/// The counts the page draws.
#[derive(Debug, Default)]
struct Counts {
    standing: usize,
    open: usize,
    by_region: BTreeMap<RegionCode, usize>,
    by_rule: BTreeMap<&'static str, usize>,
    by_week: BTreeMap<(i16, i8), usize>,
}

/// Folds the store's count rows (already within the jurisdiction) into the page's counts.
fn count(rows: &[(CountKey, u64)]) -> Counts {
    let mut counts = Counts::default();
    for (key, n) in rows {
        let n = usize::try_from(*n).unwrap_or(usize::MAX);
        counts.standing = counts.standing.saturating_add(n);
        if key.status == StatusTag::Open {
            counts.open = counts.open.saturating_add(n);
        }
        *counts.by_region.entry(key.region).or_default() += n;
        *counts.by_rule.entry(key.rule.as_str()).or_default() += n;
        *counts.by_week.entry(key.week).or_default() += n;
    }
    counts
}

/// Horizontal bars, one per row, labelled on the left, the count at the bar's end.
fn bars(id: &str, rows: &[(String, usize)]) -> Markup {
    const LABEL: usize = 300;
    const BAR: usize = 420;
    const ROW: usize = 24;
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let height = rows.len() * ROW + 8;
    let width = LABEL + BAR + 60;
    html! {
        svg id=(id) class="chart" xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } role="img" {
            @for (i, (label, n)) in rows.iter().enumerate() {
                @let y = i * ROW;
                @let w = (n * BAR / max).max(1);
                text x=(LABEL - 8) y=(y + 17) text-anchor="end" font-size="13" { (label) }
                rect x=(LABEL) y=(y + 5) width=(w) height="16" fill="#15457a" {}
                text x=(LABEL + w + 6) y=(y + 17) font-size="13" { (n) }
            }
        }
    }
}

/// Vertical bars per week, oldest on the left.
fn weeks(lang: Lang, rows: &[((i16, i8), usize)]) -> Markup {
    const HEIGHT: usize = 160;
    const COLUMN: usize = 30;
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let width = rows.len() * COLUMN + 20;
    html! {
        svg id="by-week" class="chart" xmlns="http://www.w3.org/2000/svg" width=(width) height=(HEIGHT + 50)
            viewBox={ "0 0 " (width) " " (HEIGHT + 50) } role="img" {
            @for (i, ((year, week), n)) in rows.iter().enumerate() {
                @let h = (n * HEIGHT / max).max(1);
                @let x = 10 + i * COLUMN;
                rect x=(x) y=(HEIGHT + 15 - h) width=(COLUMN - 6) height=(h) fill="#3b78b8" {
                    title { (year) (lang.t("年第", "-W")) (week) (lang.t("周", "")) ": " (n) }
                }
                text x=(x + (COLUMN - 6) / 2) y=(HEIGHT + 12 - h) text-anchor="middle" font-size="11" { (n) }
                text x=(x + (COLUMN - 6) / 2) y=(HEIGHT + 30) text-anchor="middle" font-size="10" { "W" (week) }
                @if i == 0 || rows[i - 1].0 .0 != *year {
                    text x=(x) y=(HEIGHT + 45) font-size="10" { (year) }
                }
            }
        }
    }
}

/// The label of a region in the county chart: its name and code.
fn region_label(region: RegionCode, jurisdiction: Option<RegionCode>) -> String {
    let name = match (region.level(), jurisdiction.map(|j| j.level())) {
        // Within a prefecture, the county's own name is enough.
        (RegionLevel::County, Some(RegionLevel::Prefecture)) => {
            regions::name(region.as_str()).map_or_else(|| regions::full_name(region), str::to_owned)
        }
        _ => regions::full_name(region),
    };
    format!("{name} {region}")
}

/// `/console/overview`.
pub(super) async fn overview_page(State(console): State<Console>, session: Session) -> Response {
    let lang = session.lang;
    match session.principal {
        Principal::Institution { .. } => return Redirect::to("/portal").into_response(),
        Principal::Bank { .. } => {
            return problem_page(
                lang,
                Some(&session),
                Problem::forbidden("banks read no findings").in_chinese("银行不查看问题"),
            )
        }
        _ => {}
    }
    let started = Instant::now();
    // Officers and registries read their jurisdiction; an admin reads everything.
    let within = session.principal.jurisdiction();
    let store = console.state.projections.clone();
    let counts = match tokio::task::spawn_blocking(move || store.counts(within)).await {
        Ok(Ok(rows)) => count(&rows),
        Ok(Err(e)) => return problem_page(lang, Some(&session), Problem::internal(&e)),
        Err(e) => return problem_page(lang, Some(&session), Problem::internal(&e)),
    };
    let jurisdiction = session.principal.jurisdiction();
    let mut by_region: Vec<(String, usize)> = counts
        .by_region
        .iter()
        .map(|(region, n)| (region_label(*region, jurisdiction), *n))
        .collect();
    by_region.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut by_rule: Vec<(String, usize)> = counts
        .by_rule
        .iter()
        .map(|(rule, n)| {
            let name = RuleId::parse(rule)
                .map_or((*rule).to_owned(), |r| rule_text(r).name(lang).to_owned());
            (name, *n)
        })
        .collect();
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let skip = counts.by_week.len().saturating_sub(WEEKS_SHOWN);
    let by_week: Vec<((i16, i8), usize)> = counts
        .by_week
        .iter()
        .skip(skip)
        .map(|(week, n)| (*week, *n))
        .collect();
    tracing::info!(
        standing = counts.standing,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "overview"
    );
    let body = html! {
        h1 { (lang.t("辖区概况", "Overview")) }
        p.totals {
            (lang.t("现存违规线索 ", "Standing findings: ")) strong id="standing" { (counts.standing) }
            (lang.t(" 条，其中待处理 ", "; open: ")) strong id="open" { (counts.open) }
            (lang.t(" 条（不含已撤回）。", " (withdrawn ones not counted).")) " "
            a href="/console/feed?status=open" { (lang.t("查看待处理线索", "See the open findings")) }
        }
        @if counts.standing == 0 {
            p.none { (lang.t("辖区内暂无违规线索。", "No findings in your jurisdiction.")) }
        } @else {
            h2 { (lang.t("按地区", "By region")) }
            (bars("by-region", &by_region))
            h2 { (lang.t("按违规规则", "By rule")) }
            (bars("by-rule", &by_rule))
            h2 { (lang.t("按周（违规发生时间，北京时间）", "By week (when the breach happened, Beijing time)")) }
            (weeks(lang, &by_week))
        }
    };
    fresh(page(
        lang,
        lang.t("辖区概况", "Overview"),
        Area::Overview,
        Some(&session),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(region: &str, week: (i16, i8), status: StatusTag, rule: RuleId) -> CountKey {
        CountKey {
            region: RegionCode::parse(region).expect("a region"),
            week,
            status,
            rule,
        }
    }

    #[test]
    fn count_rows_fold_into_totals_by_region_rule_and_week() {
        let rows = vec![
            (
                key(
                    "440203",
                    (2025, 36),
                    StatusTag::Open,
                    RuleId::OnlineEndBy2100,
                ),
                3,
            ),
            (
                key(
                    "440203",
                    (2025, 37),
                    StatusTag::Resolved,
                    RuleId::OnlineEndBy2100,
                ),
                2,
            ),
            (
                key("440204", (2025, 37), StatusTag::Open, RuleId::RefundProrata),
                5,
            ),
        ];
        let counts = count(&rows);
        assert_eq!(counts.standing, 10);
        assert_eq!(counts.open, 8);
        assert_eq!(
            counts
                .by_region
                .get(&RegionCode::parse("440203").expect("a region")),
            Some(&5)
        );
        assert_eq!(counts.by_rule.get("ONLINE_END_BY_2100"), Some(&5));
        assert_eq!(counts.by_rule.get("REFUND_PRORATA"), Some(&5));
        assert_eq!(counts.by_week.get(&(2025, 37)), Some(&7));
        assert_eq!(counts.by_week.get(&(2025, 36)), Some(&3));
    }
}
