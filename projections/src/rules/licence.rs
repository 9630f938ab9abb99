//! Licensing, registration and sites (area `licence` of the rule catalogue): SUBJECT_MUST_BE_NONPROFIT at
//! registration and as a standing fact at each activity; operating while unlicensed, suspended or
//! revoked (OPERATING_*), judged on each plan, lesson and fee; and, for a course, its licence
//! scope (ONLINE_SUBJECT_LICENSE, LICENSE_MODE_MATCH), its content (NONSUBJECT_NO_SUBJECT_CONTENT,
//! and DISGUISED_NAMES: a subject course under a label from the policy's list), its students per
//! square metre (FLOOR_AREA_PER_STUDENT, in `site_area`) and its site
//! (MULTI_SITE_UNAPPROVED).

use tutorwatch_events::ids::CourseId;
use tutorwatch_events::kinds::{Category, Mode};
use tutorwatch_events::registry::InstitutionRegistered;
use tutorwatch_events::{Event, LoggedEvent, UtcTime};

use crate::context::Context;
use crate::facts::Standing;
use crate::policy::{ParameterSet, Timeline};
use crate::rules::{local_date, CourseCheck, RuleArea, Stage};
use tutorwatch_findings::{identity, Figure, Finding, Measure, RuleId, Severity};

/// The licensing rules (stateless).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LicenceRules;

impl RuleArea for LicenceRules {
    fn on_event(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<Finding> {
        match &event.envelope.event {
            Event::InstitutionRegistered(r) => registration(ctx, event, r),
            Event::CoursePublished(_)
            | Event::CourseRescheduled(_)
            | Event::CoursePriceChanged(_)
            | Event::LessonDelivered(_) => standing_registration(ctx, event).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    fn on_course(&self, check: &CourseCheck<'_>) -> Vec<Finding> {
        let mut findings: Vec<Finding> = course_standing(
            check.ctx,
            check.event,
            &check.key.course,
            check.stage,
            check.at,
        )
        .into_iter()
        .collect();
        findings.extend(licence_scope(check));
        findings.extend(crate::rules::site_area::floor_area(check));
        findings
    }
}

/// The words of a policy list (in force on the check's date in its region) that the course's
/// title or description carries.
fn described_with<'c>(
    check: &CourseCheck<'c>,
    list: fn(&ParameterSet) -> Option<&Timeline<Vec<String>>>,
) -> Vec<&'c str> {
    let (title, description) = (&check.course.title, &check.course.description);
    check
        .ctx
        .policy
        .lookup(check.event.envelope.region, check.date, list)
        .map(|words| {
            words
                .value
                .iter()
                .map(String::as_str)
                .filter(|word| {
                    !word.is_empty() && (title.contains(word) || description.contains(word))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How a course was published, as a finding quotes it: its title, and its description if any.
fn as_published(course: &crate::facts::Course) -> String {
    if course.description.is_empty() {
        format!("titled “{}”", course.title)
    } else {
        format!(
            "titled “{}” and described as “{}”",
            course.title, course.description
        )
    }
}

/// The same in Chinese.
fn as_published_zh(course: &crate::facts::Course) -> String {
    if course.description.is_empty() {
        format!("名为“{}”", course.title)
    } else {
        format!("名为“{}”，介绍为“{}”", course.title, course.description)
    }
}

/// The course against the institution's registration: content, licence scope and site.
fn licence_scope(check: &CourseCheck<'_>) -> Vec<Finding> {
    let CourseCheck {
        ctx,
        key,
        course,
        site,
        ..
    } = *check;
    let mut findings = Vec::new();
    let institution = ctx.facts.institution(&key.institution);
    let Some(reg) = institution.and_then(|i| i.registration.as_ref()) else {
        return findings;
    };
    let base = check.base();
    let category = course.category();
    let mut add = |rule: RuleId, figure: Figure, description: (String, String), id: &str| {
        findings.push(check.finding(rule, figure, description, id));
    };
    let subject_text = Measure::Text(course.subject.to_string());
    if reg.category == Category::NonSubject
        && category == Category::Subject
        && check.on(|p| p.nonsubject_no_subject_content.as_ref())
    {
        add(
            RuleId::NonsubjectNoSubjectContent,
            Figure::new("subject", subject_text.clone()),
            (
                format!(
                    "非学科类机构开设学科类课程 {}（{}）",
                    key.course,
                    course.subject.name_zh()
                ),
                format!(
                    "non-subject institution teaches subject course {} ({})",
                    key.course, course.subject
                ),
            ),
            &base,
        );
    }
    if reg.category == Category::NonSubject
        && category == Category::NonSubject
        && check.on(|p| p.nonsubject_no_subject_content.as_ref())
    {
        let terms = described_with(check, |p| p.subject_content_terms.as_ref());
        if !terms.is_empty() {
            let terms = terms.join("、");
            add(
                RuleId::NonsubjectNoSubjectContent,
                Figure::new("terms", Measure::Text(terms.clone())),
                (
                    format!(
                        "非学科类机构的课程 {}（{}）{}，含学科内容：{terms}",
                        key.course,
                        course.subject.name_zh(),
                        as_published_zh(course)
                    ),
                    format!(
                        "non-subject institution's course {} ({}) is {}, which names subject content: {terms}",
                        key.course,
                        course.subject,
                        as_published(course)
                    ),
                ),
                &base,
            );
        }
    }
    if category == Category::Subject {
        let found = described_with(check, |p| p.disguise_labels.as_ref());
        if !found.is_empty() {
            let labels = found.join("、");
            add(
                RuleId::DisguisedNames,
                Figure::new("labels", Measure::Text(labels.clone())),
                (
                    format!(
                        "学科类课程 {}（{}）{}，使用变相名称：{labels}",
                        key.course,
                        course.subject.name_zh(),
                        as_published_zh(course)
                    ),
                    format!(
                        "subject course {} ({}) is {}, under the label {labels}",
                        key.course,
                        course.subject,
                        as_published(course)
                    ),
                ),
                &base,
            );
        }
    }
    let online_subject = course.mode == Mode::Online && category == Category::Subject;
    let licensed_online_subject =
        reg.category == Category::Subject && reg.modes.allows(Mode::Online);
    if online_subject && !licensed_online_subject && check.on(|p| p.online_subject_license.as_ref())
    {
        add(
            RuleId::OnlineSubjectLicense,
            Figure::new(
                "licence",
                Measure::Text(format!("{} {}", reg.category, reg.modes)),
            ),
            (
                format!("线上学科类课程 {} 未取得线上学科类培训许可", key.course),
                format!(
                    "online subject course {} without a licence for online subject training",
                    key.course
                ),
            ),
            &base,
        );
    } else if check.on(|p| p.license_mode_match.as_ref()) {
        let mismatch = if !reg.modes.allows(course.mode) {
            Some((
                format!(
                    "{}课程 {} 超出许可范围（{}）",
                    course.mode.name_zh(),
                    key.course,
                    reg.modes.name_zh()
                ),
                format!(
                    "{} course {} under a {} licence",
                    course.mode, key.course, reg.modes
                ),
            ))
        } else if reg.category == Category::Subject && category == Category::NonSubject {
            Some((
                format!(
                    "学科类机构开设非学科类课程 {}（{}）",
                    key.course,
                    course.subject.name_zh()
                ),
                format!(
                    "subject licensee runs non-subject course {} ({})",
                    key.course, course.subject
                ),
            ))
        } else if reg.category == category && !reg.subjects.contains(&course.subject) {
            Some((
                format!(
                    "课程 {} 教授{}，不在许可的学科范围内",
                    key.course,
                    course.subject.name_zh()
                ),
                format!(
                    "course {} teaches {}, not among the licensed subjects",
                    key.course, course.subject
                ),
            ))
        } else {
            None
        };
        if let Some(description) = mismatch {
            add(
                RuleId::LicenseModeMatch,
                Figure::new("mode", Measure::Text(course.mode.to_string())),
                description,
                &base,
            );
        }
    }
    if course.mode == Mode::Offline && check.on(|p| p.multi_site_unapproved.as_ref()) {
        if let Some(site) = site.filter(|s| institution.is_some_and(|i| !i.sites.contains(*s))) {
            add(
                RuleId::MultiSiteUnapproved,
                Figure::new("site", Measure::Text(site.to_string())),
                (
                    format!("课程 {} 在未经审批的场所 {site} 授课", key.course),
                    format!("course {} taught at unapproved site {site}", key.course),
                ),
                &identity(&[&base, site]),
            );
        }
    }
    findings
}

/// SUBJECT_MUST_BE_NONPROFIT as a standing fact, judged again at each activity of the
/// institution: a subject institution registered for-profit before the rule took effect breaks it
/// from the day the rule took effect. The finding has the registration's id (so it is raised once,
/// whether at registration or later) and is dated to when the breach began.
fn standing_registration(ctx: &Context<'_>, event: &LoggedEvent) -> Option<Finding> {
    let institution = ctx.facts.institution(&event.envelope.institution)?;
    let registration = institution.registration.as_ref()?;
    if registration.category != Category::Subject || registration.non_profit {
        return None;
    }
    let region = institution.region;
    let today = local_date(ctx, event, event.envelope.occurred_at);
    let rule = ctx
        .policy
        .lookup(region, today, |p| p.subject_must_be_nonprofit.as_ref())?;
    if !*rule.value {
        return None;
    }
    let began = UtcTime::from_timestamp(
        rule.from
            .max(registration.approved_on)
            .in_tz(institution.time_zone())
            .ok()?
            .timestamp(),
    );
    Some(
        ctx.draft(event, RuleId::SubjectMustBeNonprofit, began)
            .figure(Figure::new(
                "registered",
                Measure::Text("for-profit".into()),
            ))
            .with_evidence(registration.evidence)
            .describe(format!(
                "subject-training institution registered as for-profit (must be non-profit since {}), still operating",
                rule.from
            ))
            .in_chinese(format!(
                "学科类培训机构登记为营利性（自 {} 起须为非营利性），仍在经营",
                rule.from
            ))
            .build(&identity(&[&"reg", &registration.evidence.event_id])),
    )
}

/// SUBJECT_MUST_BE_NONPROFIT, judged when an institution registers.
fn registration(ctx: &Context<'_>, event: &LoggedEvent, r: &InstitutionRegistered) -> Vec<Finding> {
    let at = event.envelope.occurred_at;
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    if r.category != Category::Subject
        || !ctx
            .policy
            .enabled(region, date, |p| p.subject_must_be_nonprofit.as_ref())
    {
        return Vec::new();
    }
    let id = identity(&[&"reg", &event.envelope.event_id]);
    let code = &event.envelope.institution;
    if !r.non_profit {
        return vec![ctx
            .draft(event, RuleId::SubjectMustBeNonprofit, at)
            .figure(Figure::new(
                "registered",
                Measure::Text("for-profit".into()),
            ))
            .describe(
                "subject-training institution registered as for-profit (must be non-profit)".into(),
            )
            .in_chinese("学科类培训机构登记为营利性（须为非营利性）".into())
            .build(&id)];
    }
    if !code.is_civil_affairs_non_enterprise() {
        // The prefix cross-check is an inference, not a stated rule, so it is only MED.
        let prefix: String = code.as_str().chars().take(2).collect();
        return vec![ctx
            .draft(event, RuleId::SubjectMustBeNonprofit, at)
            .severity(Severity::Med)
            .figure(Figure::new("credit_code_prefix", Measure::Text(prefix.clone())))
            .describe(format!(
                "registered non-profit, but credit code starts {prefix} (expected 52, 民办非企业单位)"
            ))
            .in_chinese(format!(
                "登记为非营利性，但统一社会信用代码以 {prefix} 开头（民办非企业单位应为 52）"
            ))
            .build(&identity(&[&"reg-prefix", &event.envelope.event_id]))];
    }
    Vec::new()
}

/// Operating without a licence, while suspended or after revocation: `what` the institution did
/// at `at`, in Chinese and English, e.g. ("发布课程 c-1", "published course c-1"); `id`
/// identifies the act.
pub(crate) fn standing_finding(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    at: UtcTime,
    (what_zh, what): (&str, &str),
    id: &str,
) -> Option<Finding> {
    let date = local_date(ctx, event, at);
    let region = event.envelope.region;
    if !ctx
        .policy
        .enabled(region, date, |p| p.operating_requires_licence.as_ref())
    {
        return None;
    }
    let institution = ctx.facts.institution(&event.envelope.institution)?;
    let (rule, why_zh, why, extra) = match institution.standing_at(at, date) {
        Standing::Licensed => return None,
        Standing::Unlicensed => (
            RuleId::OperatingUnlicensed,
            "未取得办学许可",
            "without a licence",
            None,
        ),
        Standing::Suspended(by) => (
            RuleId::OperatingSuspended,
            "办学许可暂停期间",
            "while its licence is suspended",
            Some(by),
        ),
        Standing::Revoked(by) => (
            RuleId::OperatingRevoked,
            "办学许可被吊销后",
            "after its licence was revoked",
            Some(by),
        ),
    };
    let mut draft = ctx
        .draft(event, rule, at)
        .figure(Figure::new("date", Measure::Date(date)))
        .describe(format!("{what} on {date} {why}"))
        .in_chinese(format!("{why_zh}，于 {date} {what_zh}"));
    let mut id = id.to_owned();
    if let Some(by) = extra {
        draft = draft.with_evidence(by);
        id = identity(&[&id, &by.event_id]);
    }
    Some(draft.build(&id))
}

pub(crate) fn course_standing(
    ctx: &Context<'_>,
    event: &LoggedEvent,
    course: &CourseId,
    stage: Stage,
    at: UtcTime,
) -> Option<Finding> {
    let (what_zh, what) = match stage {
        Stage::Plan => (
            format!("发布课程 {course}"),
            format!("published course {course}"),
        ),
        Stage::Delivered => (
            format!("开展课程 {course} 的培训"),
            format!("delivered a lesson of course {course}"),
        ),
    };
    standing_finding(
        ctx,
        event,
        at,
        (&what_zh, &what),
        &identity(&[&stage.name(), course]),
    )
}
