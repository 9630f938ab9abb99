//! The policy's parameters: every figure a rule uses, each as a timeline of values with the date
//! each value took effect, so an event is judged by the value in force on its local date.
//!
//! **Invariant:** a [`Timeline`] is sorted by `from` with no two entries on one date: it cannot be
//! deserialised otherwise, so every parameter, present or added later, is checked without a list
//! of them to keep.

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use tutorwatch_events::advertising::AdChannel;
use tutorwatch_events::kinds::{Category, GradeBand, Mode};

/// One value of a parameter and the day it took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dated<T> {
    pub from: Date,
    pub value: T,
}

/// The values a parameter took over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Timeline<T>(pub Vec<Dated<T>>);

/// The deserialisation error of a timeline out of order (`PolicyError::Unordered` names its key).
pub(crate) const UNORDERED: &str = "entries must be in increasing `from` order, one per date";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Timeline<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let timeline = Timeline(Vec::<Dated<T>>::deserialize(deserializer)?);
        if !timeline.is_ordered() {
            return Err(serde::de::Error::custom(UNORDERED));
        }
        Ok(timeline)
    }
}

impl<T> Timeline<T> {
    /// The entry in force on `date`: the latest one that took effect on or before it.
    pub fn at(&self, date: Date) -> Option<&Dated<T>> {
        self.0.iter().rev().find(|entry| entry.from <= date)
    }

    /// Whether the entries are in strictly increasing date order.
    pub fn is_ordered(&self) -> bool {
        self.0.windows(2).all(|pair| pair[0].from < pair[1].from)
    }
}

/// STAFF_RATIO_CLASS's two figures, in basis points of a class's attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassStaffRatio {
    /// For primary and secondary pupils (2%: one teacher per 50).
    pub school_bp: u32,
    /// For preschool children (6%: one teacher per 17 or fewer).
    pub preschool_bp: u32,
}

/// A parameter that can differ between subject and non-subject training.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerCategory<T> {
    pub subject: Option<Timeline<T>>,
    pub non_subject: Option<Timeline<T>>,
}

impl<T> PerCategory<T> {
    /// The timeline for one category, if this level sets one.
    pub fn get(&self, category: Category) -> Option<&Timeline<T>> {
        match category {
            Category::Subject => self.subject.as_ref(),
            Category::NonSubject => self.non_subject.as_ref(),
        }
    }
}

/// What counts as a "rest day" (休息日) for the subject-training ban (CAL_REST_DAY_SEMANTICS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestDayRule {
    /// National wording: a Saturday or Sunday that is not a make-up working day (调休).
    RestDay,
    /// 江苏 wording (周末): every Saturday and Sunday, make-up working days included.
    Weekend,
}

/// Which advertisements the channel ban covers (AD_CHANNEL_BAN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdBanScope {
    /// Subject and non-subject training alike (the 2021 eight-department notice).
    All,
    /// Subject training only (as seed 001 words it).
    SubjectOnly,
    /// No ban.
    Off,
}

/// One band of a government guidance price table (GOV_GUIDE_PRICE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidePriceBand {
    pub mode: Mode,
    /// The largest class this band covers; `None` for "any larger class".
    pub class_size_max: Option<u32>,
    /// The base price per person per standard lesson, in fen.
    pub price_fen: u64,
    /// The standard lesson length the price is for (45 offline, 30 online nationally).
    pub unit_minutes: u32,
}

/// A region's guidance price table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidePriceTable {
    /// How far above the base price a course may go, in basis points (1000 = 10 %).
    pub markup_bp: u32,
    /// The grade bands the table applies to (compulsory education: primary and junior).
    pub grade_bands: Vec<GradeBand>,
    /// Bands in order; the first whose mode matches and whose `class_size_max` admits the class
    /// applies.
    pub bands: Vec<GuidePriceBand>,
    /// Where the figures come from.
    #[serde(default)]
    pub source: String,
}

/// Every parameter the rules read. A level (national, province, prefecture, county) sets the
/// ones it needs; an unset parameter is inherited from the level above.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParameterSet {
    // Training time.
    pub online_lesson_max_seconds: Option<Timeline<u32>>,
    pub online_break_min_seconds: Option<Timeline<u32>>,
    pub online_end_local: Option<Timeline<Time>>,
    pub offline_end_local: Option<Timeline<Time>>,
    /// When the night after the cut-offs ends: no training between a cut-off and this local time.
    pub night_ends_local: Option<Timeline<Time>>,
    /// The local schools' teaching hours on a school day (NO_CONFLICT_SCHOOL_HOURS): training for
    /// school-age students may not overlap them. Regional (each region's timetable); the rule
    /// applies where both are set.
    pub school_hours_start_local: Option<Timeline<Time>>,
    pub school_hours_end_local: Option<Timeline<Time>>,
    pub subject_no_holiday_weekend_vacation: Option<Timeline<bool>>,
    pub rest_day_rule: Option<Timeline<RestDayRule>>,
    pub childrens_day_is_holiday: Option<Timeline<bool>>,
    /// Whether a lesson outside any published schedule (a course never published, or after its
    /// cancellation) is itself a finding (UNDECLARED_TRAINING).
    pub declared_schedule_required: Option<Timeline<bool>>,
    // Preschool.
    pub preschool_no_online: Option<Timeline<bool>>,
    pub preschool_no_offline_subject: Option<Timeline<bool>>,
    // Licensing and sites.
    pub operating_requires_licence: Option<Timeline<bool>>,
    pub subject_must_be_nonprofit: Option<Timeline<bool>>,
    pub online_subject_license: Option<Timeline<bool>>,
    pub license_mode_match: Option<Timeline<bool>>,
    pub nonsubject_no_subject_content: Option<Timeline<bool>>,
    /// Words that name subject content (NONSUBJECT_NO_SUBJECT_CONTENT): a non-subject
    /// institution's course declared non-subject whose title carries one teaches subject content
    /// under a non-subject label.
    pub subject_content_terms: Option<Timeline<Vec<String>>>,
    /// Labels subject training is disguised under (DISGUISED_NAMES): a subject course whose
    /// title carries one is found.
    pub disguise_labels: Option<Timeline<Vec<String>>>,
    pub multi_site_unapproved: Option<Timeline<bool>>,
    // Staff.
    pub teacher_qual_subject: Option<Timeline<bool>>,
    pub no_inservice_teacher: Option<Timeline<bool>>,
    pub foreign_staff_abroad_ban: Option<Timeline<bool>>,
    /// The least share of an institution's staff that teaches or does research full time
    /// (STAFF_RATIO_FULLTIME), in basis points, judged on each inspection.
    pub staff_full_time_min_bp: Option<Timeline<u32>>,
    /// The least teachers per student of an offline class (STAFF_RATIO_CLASS), in basis points
    /// of its attendance: one figure for school pupils, one for preschool children.
    pub staff_class_min_bp: Option<Timeline<ClassStaffRatio>>,
    /// The least teaching floor area per student present at a site at one time
    /// (FLOOR_AREA_PER_STUDENT), in square metres, against the site's inspected area.
    pub floor_area_min_m2_per_student: Option<Timeline<u32>>,
    // Prepaid funds.
    pub prepay_dedicated_account: Option<Timeline<bool>>,
    pub no_training_loan: Option<Timeline<bool>>,
    pub prepay_max_months: Option<PerCategory<u32>>,
    pub prepay_max_lessons: Option<PerCategory<u32>>,
    pub prepay_max_fen: Option<PerCategory<u64>>,
    /// A local rule (江苏, 成都, 海南): a fee may not be collected earlier than this many months
    /// before the service it pays for starts (PREPAY_EARLIEST_COLLECT). Unset nationally.
    pub prepay_earliest_months: Option<Timeline<u32>>,
    /// A local rule (浙江, 江苏): PREPAY_MAX_3M_60H's lesson cap counts a student's prepaid,
    /// undelivered lessons of one subject across all its contracts with the institution, not one
    /// contract's. Unset nationally.
    pub prepay_lessons_per_subject: Option<Timeline<bool>>,
    pub release_per_lesson: Option<Timeline<bool>>,
    pub escrow_warn_coverage_bp: Option<Timeline<u32>>,
    pub escrow_serious_coverage_bp: Option<Timeline<u32>>,
    pub account_closed_while_owed: Option<Timeline<bool>>,
    pub refund_days_max: Option<Timeline<u32>>,
    // Pricing.
    pub guide_prices: Option<Timeline<GuidePriceTable>>,
    pub no_fake_original_price: Option<Timeline<bool>>,
    /// No charges beyond the posted prices (PRICE_DISCLOSURE): a fee for a published course
    /// may not charge more per lesson than the price the course was last published at.
    pub price_disclosure: Option<Timeline<bool>>,
    pub discount_tolerance_fen: Option<Timeline<u64>>,
    // Advertising.
    pub ad_channel_ban: Option<Timeline<AdBanScope>>,
    pub ad_banned_channels: Option<Timeline<Vec<AdChannel>>>,
    pub ad_school_supplies: Option<Timeline<bool>>,
    /// Phrases a training ad must not use (AD_CONTENT): promised results, examiners' names,
    /// endorsements, anxiety. Matched in the ad's text as written (NFC).
    pub ad_banned_phrases: Option<Timeline<Vec<String>>>,
    // Lists.
    pub blacklist_repeat_count: Option<Timeline<u32>>,
    pub blacklist_repeat_window_days: Option<Timeline<u32>>,
}
