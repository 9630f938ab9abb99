//! An institution's file, for officers of its jurisdiction: registration, licence, sites and
//! teachers, list status with its reasons, its standing findings and the officers' actions on
//! them. Read through the API's `get_institution` with the session's principal, so an
//! institution outside the jurisdiction is refused exactly as the API refuses it.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use maud::html;

use super::feed::row;
use super::i18n;
use super::{fresh, page, problem_page, region_cell, Area, Console, Session};
use crate::api::institutions::get_institution;

/// `/console/institutions/{code}`.
pub async fn institution_page(
    State(console): State<Console>,
    session: Session,
    Path(code): Path<String>,
) -> Response {
    let lang = session.lang;
    let record =
        match get_institution(State(console.state.clone()), session.caller(), Path(code)).await {
            Ok(Json(record)) => record,
            Err(problem) => return problem_page(lang, Some(&session), problem),
        };
    let name = record
        .registration
        .as_ref()
        .map_or(record.credit_code.to_string(), |r| r.name.clone());
    let names: HashMap<_, _> = [(record.credit_code.clone(), name.clone())].into();
    let list_status = record
        .list
        .as_ref()
        .map_or("unlisted", |l| l.status.as_str());
    let body = html! {
        p.crumbs { a href="/console/feed" { (lang.t("违规线索", "Findings")) } " › " (lang.t("机构档案", "Institution")) }
        h1 id="institution-name" { (name) }
        p { span.code id="credit-code" { (record.credit_code) } " · " (region_cell(record.region)) }
        h2 { (lang.t("登记与许可", "Registration and licence")) }
        dl.facts id="registration" {
            @if let Some(r) = &record.registration {
                dt { (lang.t("办学许可证号", "Licence no.")) } dd { (r.licence_no) }
                dt { (lang.t("培训类别", "Category")) } dd { (i18n::category(lang, &r.category)) }
                dt { (lang.t("营利性质", "Profit status")) } dd { (if r.non_profit { lang.t("非营利性", "non-profit") } else { lang.t("营利性", "for-profit") }) }
                dt { (lang.t("批准日期", "Approved on")) } dd { (r.approved_on.parse::<jiff::civil::Date>().map_or(r.approved_on.clone(), |d| i18n::date(lang, d))) }
            } @else {
                dt { (lang.t("登记", "Registration")) } dd { (lang.t("未登记", "not registered")) }
            }
            dt { (lang.t("许可证状态", "Licence")) } dd id="licence" { (i18n::licence(lang, &record.licence)) }
            dt { (lang.t("培训场所", "Sites")) } dd { (record.sites) }
            dt { (lang.t("教师", "Teachers")) } dd { (record.teachers) }
            dt { (lang.t("预收费监管账户", "Supervised accounts")) } dd { (record.open_supervised_accounts) }
        }
        h2 { (lang.t("名单状态", "List status")) }
        p id="list-status" class={ "list-" (list_status) } { (i18n::list_status(lang, list_status))
            @if let Some(list) = &record.list { " · " (lang.t("自 ", "since ")) (i18n::local_day(lang, list.since, Some(record.region))) }
        }
        @if let Some(list) = &record.list { @if !list.reasons.is_empty() {
            ul.reasons id="reasons" { @for reason in &list.reasons {
                li { (i18n::reason(lang, &reason.kind))
                    @if reason.findings_total > 0 { " （" (reason.findings_total) (lang.t(" 条违规）", " findings)")) }
                }
            } }
        } }
        h2 { (lang.t("未办结的违规线索", "Standing findings")) }
        table.feed id="standing" {
            tbody {
                @for view in &record.standing_findings { (row(lang, view, &names, false)) }
                @if record.standing_findings.is_empty() { tr.empty { td colspan="6" { (lang.t("无", "None")) } } }
            }
        }
        p { a id="all-findings" href={ "/console/feed?institution=" (record.credit_code) } { (lang.t("查看该机构全部线索", "All its findings")) } }
        h2 { (lang.t("处理记录", "Officers' actions")) }
        @if record.actions.is_empty() { p.none { (lang.t("尚无处理记录。", "No action yet.")) } }
        @else { ol.timeline { @for a in &record.actions { li {
            (i18n::local_time(lang, a.occurred_at, Some(record.region))) " · "
            strong { (i18n::action(lang, a.action.as_str().or_else(|| a.action.as_object().and_then(|o| o.keys().next()).map(String::as_str)).unwrap_or(""))) } " · "
            (lang.t("执法人员 ", "officer ")) (a.officer) " · " q { (a.note) } " · "
            a href={ "/console/findings/" (a.finding) } { (lang.t("线索", "finding")) }
        } } } }
    };
    fresh(page(lang, &name, Area::Feed, Some(&session), body))
}
