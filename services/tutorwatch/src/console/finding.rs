//! One finding, for officers of its jurisdiction (and the institution it concerns): the rule in
//! plain words with its source document, the figures, the local (Beijing) time, the evidence
//! events read back from the log, the timeline of officers' actions, and, for officers, the
//! actions its status allows. Acting posts the API's `act_on_finding` with the session's token
//! (so the log records the officer and the token) and waits until the projector has applied it.

use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use tutorwatch_events::ids::{OfficerId, Text};
use tutorwatch_events::supervision::{CaseAction, PenaltyKind};
use tutorwatch_events::{Event, Fen, UtcTime};
use tutorwatch_findings::{FindingStatus, RuleId};
use tutorwatch_projection_store::StoredFinding;

use super::i18n::{self, Lang};
use super::rules::rule_text;
use super::{fresh, institution_names, page, problem_page, region_cell, Area, Console, Session};
use crate::api::extract::ApiJson;
use crate::api::findings::{act_on_finding, visible_finding, ActionRequest};
use crate::api::offload::{blocking, logged_at};
use crate::api::problem::Problem;
use crate::api::views::FindingView;

/// The most evidence events a page reads from the log (a finding names a handful).
const EVIDENCE_SHOWN_MAX: usize = 50;

/// How long acting waits for the projector to apply the action before showing the page.
const APPLY_WAIT: Duration = Duration::from_secs(3);

/// An evidence event as the page shows it.
struct EvidenceRow {
    seq: u64,
    event_id: String,
    event_type: &'static str,
    occurred_at: UtcTime,
}

/// An officer's action as the timeline shows it.
struct ActionRow {
    occurred_at: UtcTime,
    officer: OfficerId,
    action: CaseAction,
    note: String,
}

fn event_label(lang: Lang, dotted: &str) -> &'static str {
    match dotted {
        "registry.institution_registered" => lang.t("机构登记", "institution registered"),
        "registry.licence_suspended" => lang.t("许可证暂停", "licence suspended"),
        "registry.licence_revoked" => lang.t("许可证吊销", "licence revoked"),
        "registry.licence_restored" => lang.t("许可证恢复", "licence restored"),
        "registry.site_added" => lang.t("新增培训场所", "site added"),
        "registry.teacher_hired" => lang.t("聘用教师", "teacher hired"),
        "registry.teacher_left" => lang.t("教师离职", "teacher left"),
        "registry.inspection_recorded" => lang.t("检查记录", "inspection recorded"),
        "schedule.course_published" => lang.t("发布课程排课", "course published"),
        "schedule.course_rescheduled" => lang.t("调整排课", "course rescheduled"),
        "schedule.course_cancelled" => lang.t("取消课程", "course cancelled"),
        "schedule.course_price_changed" => lang.t("调整课程价格", "course price changed"),
        "schedule.lesson_delivered" => lang.t("完成授课", "lesson delivered"),
        "escrow.account_opened" => lang.t("开立监管账户", "account opened"),
        "escrow.account_closed" => lang.t("关闭监管账户", "account closed"),
        "escrow.fee_collected" => lang.t("收取费用", "fee collected"),
        "escrow.funds_released" => lang.t("拨付资金", "funds released"),
        "escrow.refund_requested" => lang.t("申请退费", "refund requested"),
        "escrow.refund_paid" => lang.t("退费到账", "refund paid"),
        "escrow.daily_balance" => lang.t("账户日余额", "daily balance"),
        "escrow.risk_reserve_deposited" => lang.t("缴存风险准备金", "risk reserve deposited"),
        "advertising.ad_observed" => lang.t("发现广告", "advertisement observed"),
        "supervision.officer_acted" => lang.t("执法处理", "officer's action"),
        _ => lang.t("其他事件", "other event"),
    }
}

fn action_name(action: &CaseAction) -> &'static str {
    match action {
        CaseAction::Acknowledged => "acknowledged",
        CaseAction::RectificationOrdered { .. } => "rectification_ordered",
        CaseAction::Resolved => "resolved",
        CaseAction::Penalty { .. } => "penalty",
    }
}

fn penalty_name(kind: &PenaltyKind) -> String {
    crate::api::views::json_name(kind)
}

fn action_detail(lang: Lang, action: &CaseAction) -> String {
    match action {
        CaseAction::RectificationOrdered { due } => {
            format!("{}{}", lang.t("整改期限：", "due "), i18n::date(lang, *due))
        }
        CaseAction::Penalty { penalty, fine } => {
            let mut text = i18n::penalty(lang, &penalty_name(penalty)).to_owned();
            if let Some(fine) = fine {
                text.push_str(&format!(" {fine}"));
            }
            text
        }
        _ => String::new(),
    }
}

fn status_detail(lang: Lang, status: &FindingStatus) -> String {
    match status {
        FindingStatus::RectificationOrdered { due } => {
            format!("{}{}", lang.t("整改期限：", "due "), i18n::date(lang, *due))
        }
        FindingStatus::Penalised { .. } => {
            let value = serde_json::to_value(status).unwrap_or_default();
            let penalty = value
                .pointer("/penalised/penalty")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            i18n::penalty(lang, &penalty).to_owned()
        }
        _ => String::new(),
    }
}

/// The log entries a finding names, read off the async threads.
async fn read_log(
    console: &Console,
    stored: &StoredFinding,
) -> Result<(Vec<EvidenceRow>, Vec<ActionRow>), Problem> {
    let evidence: Vec<u64> = stored
        .finding
        .evidence
        .iter()
        .take(EVIDENCE_SHOWN_MAX)
        .map(|e| e.seq)
        .collect();
    let actions: Vec<u64> = stored.finding.status_events.iter().map(|e| e.seq).collect();
    let log = console.state.log.clone();
    blocking(
        move || -> anyhow::Result<(Vec<EvidenceRow>, Vec<ActionRow>)> {
            let mut evidence_rows = Vec::new();
            for seq in evidence {
                if let Some(logged) = logged_at(&log, seq)? {
                    evidence_rows.push(EvidenceRow {
                        seq,
                        event_id: logged.envelope.event_id.to_string(),
                        event_type: logged.envelope.event.event_type(),
                        occurred_at: logged.envelope.occurred_at,
                    });
                }
            }
            let mut action_rows = Vec::new();
            for seq in actions {
                if let Some(logged) = logged_at(&log, seq)? {
                    if let Event::OfficerActed(acted) = &logged.envelope.event {
                        action_rows.push(ActionRow {
                            occurred_at: logged.envelope.occurred_at,
                            officer: acted.officer.clone(),
                            action: acted.action.clone(),
                            note: acted.note.as_str().to_owned(),
                        });
                    }
                }
            }
            Ok((evidence_rows, action_rows))
        },
    )
    .await
}

/// What the page was told after acting.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Acted {
    #[serde(default)]
    acted: String,
}

fn action_forms(lang: Lang, stored: &StoredFinding, today: jiff::civil::Date) -> Markup {
    let id = stored.finding.id;
    let status = &stored.finding.status;
    let may = |action: &CaseAction| status.refuses(action).is_none();
    let key = || uuid::Uuid::new_v4().to_string();
    let note = |required: bool| {
        html! {
            label { (lang.t("处理意见", "Note"))
                input type="text" name="note" required[required] maxlength="500" placeholder=(lang.t("简要说明", "a sentence or two"));
            }
        }
    };
    let any = [
        CaseAction::Acknowledged,
        CaseAction::RectificationOrdered { due: today },
        CaseAction::Penalty {
            penalty: PenaltyKind::Warning,
            fine: None,
        },
        CaseAction::Resolved,
    ]
    .iter()
    .any(may);
    html! {
        section.actions id="actions" {
            h2 { (lang.t("可执行的处理", "Actions")) }
            @if !any {
                p.none id="no-actions" { (lang.t("当前状态下无可执行的处理。", "No action is possible in this status.")) }
            }
            @if may(&CaseAction::Acknowledged) {
                form.act id="act-acknowledged" method="post" action={ "/console/findings/" (id) "/act" } {
                    input type="hidden" name="action" value="acknowledged";
                    input type="hidden" name="key" value=(key());
                    (note(true))
                    button type="submit" { (i18n::action(lang, "acknowledged")) }
                }
            }
            @if may(&CaseAction::RectificationOrdered { due: today }) {
                form.act id="act-rectification" method="post" action={ "/console/findings/" (id) "/act" } {
                    input type="hidden" name="action" value="rectification_ordered";
                    input type="hidden" name="key" value=(key());
                    label { (lang.t("整改期限", "Due"))
                        input type="date" name="due" required min=(today.to_string()) value=(today.to_string());
                    }
                    (note(true))
                    button type="submit" { (i18n::action(lang, "rectification_ordered")) }
                }
            }
            @if may(&CaseAction::Penalty { penalty: PenaltyKind::Warning, fine: None }) {
                form.act id="act-penalty" method="post" action={ "/console/findings/" (id) "/act" } {
                    input type="hidden" name="action" value="penalty";
                    input type="hidden" name="key" value=(key());
                    label { (lang.t("处罚种类", "Penalty"))
                        select name="penalty" {
                            @for p in i18n::PENALTIES { option value=(p) { (i18n::penalty(lang, p)) } }
                        }
                    }
                    label { (lang.t("罚款金额（元）", "Fine (yuan)")) input type="number" name="fine" min="0" step="0.01"; }
                    (note(true))
                    button type="submit" { (i18n::action(lang, "penalty")) }
                }
            }
            @if may(&CaseAction::Resolved) {
                form.act id="act-resolved" method="post" action={ "/console/findings/" (id) "/act" } {
                    input type="hidden" name="action" value="resolved";
                    input type="hidden" name="key" value=(key());
                    (note(true))
                    button type="submit" { (i18n::action(lang, "resolved")) }
                }
            }
        }
    }
}

/// `/console/findings/{id}`.
pub(super) async fn finding_page(
    State(console): State<Console>,
    session: Session,
    Path(id): Path<String>,
    Query(acted): Query<Acted>,
) -> Response {
    let lang = session.lang;
    let stored = match visible_finding(&console.state, &session.principal, &id).await {
        Ok(stored) => stored,
        Err(problem) => return problem_page(lang, Some(&session), problem),
    };
    let (evidence, actions) = match read_log(&console, &stored).await {
        Ok(read) => read,
        Err(problem) => return problem_page(lang, Some(&session), problem),
    };
    let view = FindingView::from(&stored);
    let names = institution_names(&console.state, [&view.institution]).await;
    let rule = RuleId::parse(&view.rule).map(rule_text);
    let region = stored.finding.region;
    let today = region.local_date(UtcTime::now());
    let title = rule.map_or(view.rule.as_str(), |r| r.name(lang));
    let body = html! {
        p.crumbs { a href="/console/feed" { (lang.t("违规线索", "Findings")) } " › " (lang.t("线索详情", "Finding")) }
        h1 id="rule-name" { (title) }
        p.rule-id { span.code { (view.rule) } " · " span class={ "sev sev-" (view.severity) } { (i18n::severity(lang, &view.severity)) } }
        @if !acted.acted.is_empty() {
            p.flash id="acted" { (lang.t("处理已记录：", "Recorded: ")) (i18n::action(lang, &acted.acted)) }
        }
        dl.facts {
            dt { (lang.t("依据文件", "Source")) } dd id="rule-source" { (rule.map_or("—", |r| r.source)) }
            dt { (lang.t("处理状态", "Status")) } dd id="status" { (i18n::status(lang, &view.status)) " " (status_detail(lang, &stored.finding.status)) }
            dt { (lang.t("培训机构", "Institution")) }
            dd { a id="institution-link" href={ "/console/institutions/" (view.institution) } { (names.get(&view.institution).map_or(view.institution.as_str(), String::as_str)) } " " span.code { (view.institution) } }
            dt { (lang.t("所在地区", "Region")) } dd { (region_cell(region)) }
            dt { (lang.t("发生时间", "When")) } dd id="when" { (i18n::local_time(lang, view.occurred_at, Some(region))) " " (lang.t("（北京时间）", "(Beijing time)")) }
            dt { (lang.t("认定依据", "Basis")) } dd { (i18n::basis(lang, &view.basis)) }
            dt { (lang.t("说明", "Description")) } dd id="description" { (lang.t_owned(&view.description_zh, &view.description)) }
            dt { (lang.t("政策版本", "Policy version")) } dd { span.code { (view.policy_version) } }
        }
        h2 { (lang.t("违规数据", "Figures")) }
        table.figures id="figures" {
            tbody { @for figure in &view.figures { tr { th { (i18n::figure(lang, &figure.name)) } td { (i18n::figure_value(lang, figure)) } } } }
        }
        h2 { (lang.t("证据事件", "Evidence events")) }
        table.evidence id="evidence" {
            thead { tr { th { (lang.t("日志序号", "Log entry")) } th { (lang.t("事件", "Event")) } th { (lang.t("发生时间", "When")) } th { (lang.t("事件编号", "Event id")) } } }
            tbody { @for e in &evidence { tr {
                td { (e.seq) }
                td { (event_label(lang, e.event_type)) " " span.code { (e.event_type) } }
                td { (i18n::local_time(lang, e.occurred_at, Some(region))) }
                td.code { (e.event_id) }
            } } }
        }
        h2 { (lang.t("处理记录", "Officers' actions")) }
        @if actions.is_empty() {
            p.none id="no-timeline" { (lang.t("尚无处理记录。", "No action yet.")) }
        } @else {
            ol.timeline id="timeline" { @for a in &actions { li {
                span.when { (i18n::local_time(lang, a.occurred_at, Some(region))) } " "
                strong { (i18n::action(lang, action_name(&a.action))) } " "
                (action_detail(lang, &a.action)) " · "
                (lang.t("执法人员 ", "officer ")) (a.officer) " · " q { (a.note) }
            } } }
        }
        @if session.acts() { (action_forms(lang, &stored, today)) }
    };
    fresh(page(lang, title, Area::Feed, Some(&session), body))
}

/// The action form as posted.
#[derive(Debug, Deserialize)]
pub(super) struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    due: String,
    #[serde(default)]
    penalty: String,
    #[serde(default)]
    fine: String,
    #[serde(default)]
    key: String,
}

/// Yuan as typed (`500`, `500.5`, `500.05`) in fen.
fn parse_yuan(text: &str) -> Option<Fen> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if fraction.len() > 2 || whole.is_empty() {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let cents: u64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(cents).map(Fen::new)
}

impl ActForm {
    fn request(&self) -> Result<ActionRequest, Problem> {
        let action = match self.action.as_str() {
            "acknowledged" => CaseAction::Acknowledged,
            "resolved" => CaseAction::Resolved,
            "rectification_ordered" => CaseAction::RectificationOrdered {
                due: self.due.parse().map_err(|_| {
                    Problem::invalid("due", "not a date (YYYY-MM-DD)")
                        .in_chinese("不是日期（年-月-日）")
                })?,
            },
            "penalty" => CaseAction::Penalty {
                penalty: serde_json::from_value(serde_json::Value::String(self.penalty.clone()))
                    .map_err(|_| {
                        Problem::invalid("penalty", "not a penalty").in_chinese("不是处罚种类")
                    })?,
                fine: match self.fine.trim() {
                    "" => None,
                    text => Some(parse_yuan(text).ok_or_else(|| {
                        Problem::invalid("fine", "not an amount in yuan")
                            .in_chinese("不是以元为单位的金额")
                    })?),
                },
            },
            _ => return Err(Problem::invalid("action", "not an action").in_chinese("不是处理方式")),
        };
        let note = Text::parse(self.note.trim()).map_err(|e| {
            Problem::invalid("note", e.to_string()).in_chinese(format!("说明无效（{e}）"))
        })?;
        Ok(ActionRequest { action, note })
    }
}

/// `POST /console/findings/{id}/act`: the API's `act_on_finding` with the session's token.
pub(super) async fn act(
    State(console): State<Console>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Response {
    let lang = session.lang;
    let state = &console.state;
    let result = async {
        let request = form.request()?;
        let writer = session.writer(state)?;
        let mut headers = HeaderMap::new();
        if let Ok(key) = HeaderValue::from_str(form.key.trim()) {
            if !form.key.trim().is_empty() {
                headers.insert("idempotency-key", key);
            }
        }
        act_on_finding(
            State(state.clone()),
            writer,
            Path(id.clone()),
            headers,
            ApiJson(request),
        )
        .await
    }
    .await;
    let response = match result {
        Ok(response) => response,
        Err(problem) => return problem_page(lang, Some(&session), problem),
    };
    let seq = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64)),
        Err(_) => None,
    };
    // Show the page once the projector has applied the action (or after a short wait).
    if let Some(seq) = seq {
        let deadline = Instant::now() + APPLY_WAIT;
        while Instant::now() < deadline {
            let store = state.projections.clone();
            match blocking(move || store.applied_seq()).await {
                Ok(applied) if applied >= seq => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
                Err(_) => break,
            }
        }
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("acted", &form.action)
        .finish();
    Redirect::to(&format!("/console/findings/{id}?{query}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_a_name_in_both_languages() {
        for info in tutorwatch_events::EVENT_TYPES {
            for lang in [Lang::Zh, Lang::En] {
                assert_ne!(
                    event_label(lang, info.name),
                    event_label(lang, "no.such_type"),
                    "{} has no {lang:?} name",
                    info.name
                );
            }
        }
    }
}
