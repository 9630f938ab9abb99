//! The rules, filed by area (one module per [`Area`] of the rule catalogue), behind one
//! interface, [`RuleArea`]:
//!
//! - `time`: training time;
//! - `preschool`: preschool children;
//! - `licence`: licensing, registration and sites (`site_area`: students per square metre);
//! - `staff`: staff;
//! - `funds`: prepaid fees and escrow;
//! - `pricing`: guidance prices and fake original prices;
//! - `advertising`: advertising;
//! - `lists`: the list rule, a black-listed institution selling.
//!
//! `schedule` is not an area: it is the mechanics of plans (a course's plan is judged by every
//! area's course and lesson rules, and a change of plan withdraws what the old plan raised).
//! [`Rules`] runs them all for one event. Each `match` over [`Area`] here is exhaustive, so a new
//! area is wired in where the compiler says.

pub(crate) mod advertising;
pub(crate) mod funds;
pub(crate) mod licence;
pub(crate) mod lists;
pub(crate) mod preschool;
pub(crate) mod pricing;
pub(crate) mod schedule;
pub(crate) mod site_area;
pub(crate) mod staff;
pub(crate) mod time;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{CourseId, LessonId, SiteId, TeacherId};
use tutorwatch_events::{LoggedEvent, UtcTime};

use crate::context::Context;
use crate::facts::{local_time, Course, CourseKey};
use crate::policy::{Level, ParameterSet, Timeline};
use crate::sizes::StatePart;
use tutorwatch_findings::Area;
use tutorwatch_findings::ListStatus;
use tutorwatch_findings::{identity, Evidence, Figure, Finding, FindingChange, RuleId};

/// One interface for every area of rules. An area implements the hooks it judges at; the others
/// find nothing.
pub(crate) trait RuleArea {
    /// Rules judged on the event itself (a registration, a hire, a fee, a price, an ad).
    fn on_event(&mut self, _ctx: &Context<'_>, _event: &LoggedEvent) -> Vec<Finding> {
        Vec::new()
    }

    /// Rules about a course as a whole (its licence, content, audience, site and staff), judged
    /// on each plan of it and on each lesson delivered.
    fn on_course(&self, _check: &CourseCheck<'_>) -> Vec<Finding> {
        Vec::new()
    }

    /// Rules about one lesson's times, planned or delivered.
    fn on_lesson(&self, _check: &LessonCheck<'_>) -> Vec<Finding> {
        Vec::new()
    }

    /// Rules about the gap between two consecutive online lessons of a course: `earlier` ends
    /// and `later` starts at the times given; `other` is the other lesson's delivery when both
    /// were delivered (`None`: both are planned).
    fn on_break(
        &self,
        _ctx: &Context<'_>,
        _event: &LoggedEvent,
        _course: &CourseId,
        _earlier: (UtcTime, &LessonId),
        _later: (UtcTime, &LessonId),
        _other: Option<Evidence>,
    ) -> Option<Finding> {
        None
    }
}

/// Which stage a course or lesson is judged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Plan,
    Delivered,
}

impl Stage {
    /// The stage's name in finding identities.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Plan => "plan",
            Stage::Delivered => "delivered",
        }
    }
}

/// The lesson being judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lesson<'a> {
    pub(crate) course_id: &'a CourseId,
    pub(crate) lesson: &'a LessonId,
    pub(crate) start: UtcTime,
    pub(crate) end: UtcTime,
}

/// A course judged as a whole, at a plan (its first lesson) or a delivered lesson.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CourseCheck<'a> {
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) event: &'a LoggedEvent,
    pub(crate) key: &'a CourseKey,
    pub(crate) course: &'a Course,
    pub(crate) stage: Stage,
    /// When the lesson judged starts.
    pub(crate) at: UtcTime,
    /// The local date of `at`, which the policy values in force are looked up on.
    pub(crate) date: Date,
    /// Where it is taught (the delivered lesson's site, else the course's).
    pub(crate) site: Option<&'a SiteId>,
    pub(crate) teachers: &'a [TeacherId],
}

impl<'a> CourseCheck<'a> {
    /// The lesson judged, when this is a delivered offline one (the rules on who and how many
    /// were in the room judge only those).
    pub(crate) fn delivered_offline(
        &self,
    ) -> Option<&'a tutorwatch_events::schedule::LessonDelivered> {
        match &self.event.envelope.event {
            tutorwatch_events::Event::LessonDelivered(lesson)
                if self.stage == Stage::Delivered
                    && self.course.mode == tutorwatch_events::kinds::Mode::Offline =>
            {
                Some(lesson)
            }
            _ => None,
        }
    }

    /// Whether a yes/no rule is in force on that date in the event's region.
    pub(crate) fn on(&self, get: fn(&ParameterSet) -> Option<&Timeline<bool>>) -> bool {
        self.ctx
            .policy
            .enabled(self.event.envelope.region, self.date, get)
    }

    /// The identity of a course-level finding: the stage and the course.
    pub(crate) fn base(&self) -> String {
        identity(&[&self.stage.name(), &self.key.course])
    }

    /// A course-level finding with one figure and its sentence in Chinese and English.
    pub(crate) fn finding(
        &self,
        rule: RuleId,
        figure: Figure,
        (zh, en): (String, String),
        id: &str,
    ) -> Finding {
        self.ctx
            .draft(self.event, rule, self.at)
            .figure(figure)
            .describe(en)
            .in_chinese(zh)
            .build(id)
    }
}

/// One lesson judged by its times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LessonCheck<'a> {
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) event: &'a LoggedEvent,
    pub(crate) course: &'a Course,
    pub(crate) lesson: &'a Lesson<'a>,
    pub(crate) stage: Stage,
}

/// The local date of `at` in the event's institution's time zone.
pub(crate) fn local_date(ctx: &Context<'_>, event: &LoggedEvent, at: UtcTime) -> Date {
    local_time(ctx.time_zone(&event.envelope.institution), at).date()
}

/// Where and since when a policy figure is in force, for a finding's sentence: "national, from
/// 2021-07-24".
pub(crate) fn since(level: Level, from: Date) -> String {
    format!("{level}, from {from}")
}

/// The same in Chinese: "全国规定，自 2021-07-24 起".
pub(crate) fn since_zh(level: Level, from: Date) -> String {
    match level {
        Level::National => format!("全国规定，自 {from} 起"),
        Level::Region(code) => format!("地区 {code} 规定，自 {from} 起"),
    }
}

/// Wraps raised findings as changes.
pub(crate) fn raise(findings: Vec<Finding>) -> Vec<FindingChange> {
    findings
        .into_iter()
        .map(|f| FindingChange::Raise(Box::new(f)))
        .collect()
}

/// Every course rule of every area.
pub(crate) fn course_rules(check: &CourseCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for area in Area::ALL {
        findings.extend(match area {
            Area::Time => time::TimeRules.on_course(check),
            Area::Preschool => preschool::PreschoolRules.on_course(check),
            Area::Licence => licence::LicenceRules.on_course(check),
            Area::Staff => staff::StaffRules.on_course(check),
            Area::Pricing => pricing::PricingRules.on_course(check),
            Area::Advertising => advertising::AdvertisingRules.on_course(check),
            // Money and the lists are judged on fees and list standing, not on courses.
            Area::Funds | Area::Lists => Vec::new(),
        });
    }
    findings
}

/// Every lesson rule of every area.
pub(crate) fn lesson_rules(check: &LessonCheck<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for area in Area::ALL {
        findings.extend(match area {
            Area::Time => time::TimeRules.on_lesson(check),
            Area::Preschool => preschool::PreschoolRules.on_lesson(check),
            Area::Licence => licence::LicenceRules.on_lesson(check),
            Area::Staff => staff::StaffRules.on_lesson(check),
            Area::Pricing => pricing::PricingRules.on_lesson(check),
            Area::Advertising => advertising::AdvertisingRules.on_lesson(check),
            // Money and the lists are judged on fees and list standing, not on lessons.
            Area::Funds | Area::Lists => Vec::new(),
        });
    }
    findings
}

/// The rules' own state: the plans findings were raised from, and the fund books.
///
/// **Invariant:** the field order is the snapshot's encoding (postcard is positional); changing it
/// changes the state format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    schedule: schedule::Plans,
    funds: funds::FundRules,
}

impl Rules {
    /// The size of each part of the rules' own state.
    pub(crate) fn sizes(&self) -> Vec<StatePart> {
        let mut parts = self.schedule.sizes();
        parts.extend(self.funds.sizes());
        parts
    }

    /// Judges one event by every area; `list_before` is the institution's list status before
    /// the event. Returns the findings to raise or withdraw.
    pub(crate) fn apply(
        &mut self,
        ctx: &Context<'_>,
        event: &LoggedEvent,
        list_before: ListStatus,
    ) -> Vec<FindingChange> {
        let mut changes = Vec::new();
        for area in Area::ALL {
            let found = match area {
                Area::Time => time::TimeRules.on_event(ctx, event),
                Area::Preschool => preschool::PreschoolRules.on_event(ctx, event),
                Area::Licence => licence::LicenceRules.on_event(ctx, event),
                Area::Staff => staff::StaffRules.on_event(ctx, event),
                Area::Funds => self.funds.on_event(ctx, event),
                Area::Pricing => pricing::PricingRules.on_event(ctx, event),
                Area::Advertising => advertising::AdvertisingRules.on_event(ctx, event),
                Area::Lists => lists::ListRules { list_before }.on_event(ctx, event),
            };
            changes.extend(raise(found));
        }
        changes.extend(self.schedule.apply(ctx, event));
        changes
    }

    /// Takes in another partition's rule state (`crate::partition`).
    pub(crate) fn absorb(&mut self, other: Rules) {
        self.schedule.absorb(other.schedule);
        self.funds.absorb(other.funds);
    }

    /// Judges an event about an institution another partition holds (`Projector::pass`): only
    /// what its producer's clock makes overdue among this state's refunds.
    pub(crate) fn pass(&mut self, ctx: &Context<'_>, event: &LoggedEvent) -> Vec<FindingChange> {
        raise(self.funds.pass(ctx, event))
    }
}
