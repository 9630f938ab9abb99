//! The rule catalogue: every rule findings are raised under, with what a reader, the projections,
//! the lists and the synthetic city need to know of it, in one table.
//!
//! **Invariant:** a rule is added here, in one row, and the compiler then points at every other
//! place that must know of it: each `match` over [`RuleId`] or [`Area`] in the workspace is
//! exhaustive (no `_ =>`), and tests check that the policy keys a row names are parameters of the
//! policy and that the city cases it names are planted by the city generator.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::list::ReasonKind;

/// How serious a rule's breach is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Med,
    High,
    Crit,
}

impl Severity {
    /// The severity in words, for readers.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Severity::Low => lang.t("低", "low"),
            Severity::Med => lang.t("中", "medium"),
            Severity::High => lang.t("高", "high"),
            Severity::Crit => lang.t("严重", "critical"),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Low => "LOW",
            Severity::Med => "MED",
            Severity::High => "HIGH",
            Severity::Crit => "CRIT",
        })
    }
}

/// The areas rules are filed by; each is one module of `projections/src/rules/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Training time: lesson length, breaks, the evening cut-offs and the night, barred days.
    Time,
    /// Preschool children.
    Preschool,
    /// Licensing, registration and sites.
    Licence,
    /// Staff.
    Staff,
    /// Prepaid fees and escrow.
    Funds,
    /// Prices.
    Pricing,
    /// Advertising.
    Advertising,
    /// The black and white lists.
    Lists,
}

impl Area {
    /// Every area, in catalogue order.
    pub const ALL: &'static [Area] = &[
        Area::Time,
        Area::Preschool,
        Area::Licence,
        Area::Staff,
        Area::Funds,
        Area::Pricing,
        Area::Advertising,
        Area::Lists,
    ];

    /// The area's name in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.title_zh(),
            Lang::English => self.title_en(),
        }
    }

    /// The area's name in Chinese.
    pub fn title_zh(self) -> &'static str {
        match self {
            Area::Time => "培训时间",
            Area::Preschool => "学龄前",
            Area::Licence => "办学许可与场所",
            Area::Staff => "从业人员",
            Area::Funds => "预收费与资金监管",
            Area::Pricing => "收费价格",
            Area::Advertising => "广告",
            Area::Lists => "黑白名单",
        }
    }

    /// The area's name in English.
    pub fn title_en(self) -> &'static str {
        match self {
            Area::Time => "Training time",
            Area::Preschool => "Preschool",
            Area::Licence => "Licensing and sites",
            Area::Staff => "Staff",
            Area::Funds => "Prepaid fees and escrow",
            Area::Pricing => "Pricing",
            Area::Advertising => "Advertising",
            Area::Lists => "Black and white lists",
        }
    }
}

/// What a rule's standing findings (about what actually happened) mean for the lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListRole {
    /// Puts the institution on the black list, for this reason.
    Black(ReasonKind),
    /// Keeps it off the white list as a category mismatch (it sells what its licence does not
    /// cover).
    Mismatch,
    /// Counts like any finding: towards repeated violations when serious (HIGH or above), and
    /// as a standing critical finding when CRIT.
    Counts,
    /// The list rule itself: its findings are about the list and count towards nothing.
    Own,
}

impl ListRole {
    /// What the rule's standing findings mean for the lists, in words.
    pub fn effect(self, lang: Lang) -> String {
        match self {
            ListRole::Black(reason) => match lang {
                Lang::Zh => format!("列入黑名单（{}）", reason.title(lang)),
                Lang::English => format!("black list ({})", reason.title(lang)),
            },
            ListRole::Mismatch => lang
                .t(
                    "不列入白名单（培训类别与许可不符）",
                    "kept off the white list (category does not match the licence)",
                )
                .to_owned(),
            ListRole::Counts => lang
                .t(
                    "高及以上计入多次违规；严重问题未办结时不列入白名单",
                    "high and above count towards repeated violations; an unresolved critical \
                     finding keeps it off the white list",
                )
                .to_owned(),
            ListRole::Own => lang.t("名单规则本身", "the list rule itself").to_owned(),
        }
    }

    /// A short code for the role (`black`, `mismatch`, `counts`, `own`).
    pub fn code(self) -> &'static str {
        match self {
            ListRole::Black(_) => "black",
            ListRole::Mismatch => "mismatch",
            ListRole::Counts => "counts",
            ListRole::Own => "own",
        }
    }
}

impl RuleSpec {
    /// The rule in plain words, in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        lang.t(self.title_zh, self.title_en)
    }
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSpec {
    /// The catalogue id, e.g. `ONLINE_LESSON_MAX_30MIN`.
    pub id: &'static str,
    /// The module of `projections/src/rules/` that judges it.
    pub area: Area,
    pub severity: Severity,
    /// The policy parameters the rule reads (fields of the policy's `ParameterSet`).
    pub policy_keys: &'static [&'static str],
    /// The policy documents it comes from, as officers cite them.
    pub source: &'static str,
    /// What its findings mean for the black/white list.
    pub list: ListRole,
    /// The rule in plain Chinese.
    pub title_zh: &'static str,
    /// The rule in plain English.
    pub title_en: &'static str,
    /// The synthetic city's cases that plant it (`citygen::cases::CASES`).
    pub city_cases: &'static [&'static str],
}

macro_rules! catalogue {
    ($(
        $variant:ident {
            id: $id:literal,
            area: $area:ident,
            severity: $severity:ident,
            policy: [$($key:literal),* $(,)?],
            source: $source:literal,
            list: $list:expr,
            zh: $zh:literal,
            en: $en:literal,
            city: [$($case:literal),* $(,)?] $(,)?
        }
    )*) => {
        /// The rules findings are raised under (`tutorwatch rules` lists them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum RuleId {
            $( $variant, )*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$( RuleId::$variant, )*];

            /// The rule's row of the catalogue.
            pub fn spec(self) -> &'static RuleSpec {
                match self {
                    $( RuleId::$variant => &RuleSpec {
                        id: $id,
                        area: Area::$area,
                        severity: Severity::$severity,
                        policy_keys: &[$($key),*],
                        source: $source,
                        list: $list,
                        title_zh: $zh,
                        title_en: $en,
                        city_cases: &[$($case),*],
                    }, )*
                }
            }

            /// The rule with this catalogue id.
            pub fn parse(id: &str) -> Option<RuleId> {
                match id { $( $id => Some(RuleId::$variant), )* _ => None }
            }
        }
    };
}

use ListRole::{Black, Counts, Mismatch, Own};
use ReasonKind::{OperatingWithoutLicence, SeriousFundFinding};

catalogue! {
    OnlineLessonMax30Min {
        id: "ONLINE_LESSON_MAX_30MIN", area: Time, severity: Med,
        policy: ["online_lesson_max_seconds"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "线上培训每课时不超过30分钟",
        en: "Online lessons last at most 30 minutes",
        city: ["online_lesson_30m01s_planned", "online_lesson_30m01s_delivered",
               "online_lesson_31m_withdrawn_by_reschedule", "online_lesson_31m_kept_by_reschedule"],
    }
    OnlineBreakMin10Min {
        id: "ONLINE_BREAK_MIN_10MIN", area: Time, severity: Med,
        policy: ["online_break_min_seconds"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "线上培训课程间隔不少于10分钟（同一学生跨课程亦同）",
        en: "At least 10 minutes between online lessons (per student, across courses)",
        city: ["online_break_9m59s_planned", "online_break_9m59s_delivered",
               "online_break_9m59s_same_student_two_courses"],
    }
    OnlineEndBy2100 {
        id: "ONLINE_END_BY_2100", area: Time, severity: High,
        policy: ["online_end_local", "night_ends_local"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "线上培训结束时间不晚于21:00",
        en: "Online training ends by 21:00",
        city: ["online_end_21h00m01s_planned", "online_end_21h00m01s_delivered"],
    }
    OfflineEndBy2030 {
        id: "OFFLINE_END_BY_2030", area: Time, severity: High,
        policy: ["offline_end_local", "night_ends_local"],
        source: "《关于规范校外培训机构发展的意见》（国办发〔2018〕80号）", list: Counts,
        zh: "线下培训结束时间不晚于20:30",
        en: "Offline training ends by 20:30",
        city: ["offline_end_20h30m01s_planned", "offline_end_20h30m01s_delivered"],
    }
    NoConflictSchoolHours {
        id: "NO_CONFLICT_SCHOOL_HOURS", area: Time, severity: Med,
        policy: ["school_hours_start_local", "school_hours_end_local"],
        source: "《国务院办公厅关于规范校外培训机构发展的意见》（国办发〔2018〕80号）", list: Counts,
        zh: "培训时间不得和当地中小学校教学时间相冲突",
        en: "Training may not clash with local school teaching hours",
        city: ["school_hours_lesson_starts_15h59m59s_on_a_school_day"],
    }
    SubjectNoHolidayWeekendVacation {
        id: "SUBJECT_NO_HOLIDAY_WEEKEND_VACATION", area: Time, severity: Crit,
        policy: ["subject_no_holiday_weekend_vacation", "rest_day_rule", "childrens_day_is_holiday"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得在法定节假日、休息日及寒暑假组织学科类培训",
        en: "No subject training on public holidays, rest days or school vacations",
        city: ["subject_on_saturday_planned", "subject_on_holiday_delivered", "subject_in_vacation_planned"],
    }
    UndeclaredTraining {
        id: "UNDECLARED_TRAINING", area: Time, severity: High,
        policy: ["declared_schedule_required"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得在公示的培训安排之外开展培训",
        en: "No training outside the declared schedule",
        city: ["undeclared_lesson_never_published", "undeclared_lesson_after_cancel",
               "undeclared_online_lesson_at_23h"],
    }
    PreschoolNoOnline {
        id: "PRESCHOOL_NO_ONLINE", area: Preschool, severity: Crit,
        policy: ["preschool_no_online"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得面向学龄前儿童开展线上培训",
        en: "No online training for preschool children",
        city: ["preschool_online", "preschool_online_withdrawn_by_cancel"],
    }
    PreschoolNoOfflineSubject {
        id: "PRESCHOOL_NO_OFFLINE_SUBJECT", area: Preschool, severity: Crit,
        policy: ["preschool_no_offline_subject"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "严禁面向学龄前儿童开展线下学科类（含外语）培训",
        en: "No offline subject training (foreign languages included) for preschool children",
        city: ["preschool_offline_subject"],
    }
    SubjectMustBeNonprofit {
        id: "SUBJECT_MUST_BE_NONPROFIT", area: Licence, severity: Crit,
        policy: ["subject_must_be_nonprofit"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "学科类培训机构统一登记为非营利性机构",
        en: "Subject-training institutions must be non-profit",
        city: ["subject_registered_for_profit", "subject_non_profit_enterprise_code"],
    }
    OnlineSubjectLicense {
        id: "ONLINE_SUBJECT_LICENSE", area: Licence, severity: Crit,
        policy: ["online_subject_license"],
        source: "《关于做好现有线上学科类培训机构由备案改为审批工作的通知》（教育部等六部门，2021年9月）", list: Mismatch,
        zh: "线上学科类培训须经审批取得许可",
        en: "Online subject training needs an approval licence",
        city: ["online_subject_without_online_licence"],
    }
    LicenseModeMatch {
        id: "LICENSE_MODE_MATCH", area: Licence, severity: High,
        policy: ["license_mode_match"],
        source: "《中小学生校外培训服务合同（示范文本）》GF—2021—2604", list: Mismatch,
        zh: "培训方式须与许可一致",
        en: "Teaching mode must match the licence",
        city: ["offline_course_online_only_licence", "subject_licensee_non_subject_course",
               "subject_outside_licensed_subjects"],
    }
    NonsubjectNoSubjectContent {
        id: "NONSUBJECT_NO_SUBJECT_CONTENT", area: Licence, severity: Crit,
        policy: ["nonsubject_no_subject_content", "subject_content_terms"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Mismatch,
        zh: "严禁非学科类培训机构从事学科类培训",
        en: "Non-subject institutions may not teach subject content",
        city: ["non_subject_institution_teaches_maths", "non_subject_course_titled_with_english"],
    }
    DisguisedNames {
        id: "DISGUISED_NAMES", area: Licence, severity: Crit,
        policy: ["disguise_labels"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）；《校外培训行政处罚暂行办法》（教育部令第53号）第十八条", list: Counts,
        zh: "不得以托管、研学、夏令营等名义变相开展学科类培训",
        en: "No subject training disguised as day care, study tours, camps and the like",
        city: ["subject_course_titled_summer_camp", "subject_course_described_as_day_care"],
    }
    MultiSiteUnapproved {
        id: "MULTI_SITE_UNAPPROVED", area: Licence, severity: High,
        policy: ["multi_site_unapproved"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得未经审批多址开展培训",
        en: "No teaching at unapproved sites",
        city: ["unapproved_site_planned", "unapproved_site_delivered"],
    }
    FloorAreaPerStudent {
        id: "FLOOR_AREA_PER_STUDENT", area: Licence, severity: Med,
        policy: ["floor_area_min_m2_per_student"],
        source: "《国务院办公厅关于规范校外培训机构发展的意见》（国办发〔2018〕80号）", list: Counts,
        zh: "同一培训时段内生均面积不低于3平方米",
        en: "At least 3 m² per student at a site at any one time",
        city: ["site_of_100_m2_with_34_students_at_once"],
    }
    OperatingUnlicensed {
        id: "OPERATING_UNLICENSED", area: Licence, severity: Crit,
        policy: ["operating_requires_licence"],
        source: "《校外培训行政处罚暂行办法》（教育部令第53号）", list: Black(OperatingWithoutLicence),
        zh: "无证办学",
        en: "Operating without a licence",
        city: ["course_before_approval", "fee_before_approval"],
    }
    OperatingSuspended {
        id: "OPERATING_SUSPENDED", area: Licence, severity: Crit,
        policy: ["operating_requires_licence"],
        source: "《校外培训行政处罚暂行办法》（教育部令第53号）", list: Counts,
        zh: "许可证暂停期间办学",
        en: "Operating while the licence is suspended",
        city: ["course_while_suspended"],
    }
    OperatingRevoked {
        id: "OPERATING_REVOKED", area: Licence, severity: Crit,
        policy: ["operating_requires_licence"],
        source: "《校外培训行政处罚暂行办法》（教育部令第53号）", list: Black(OperatingWithoutLicence),
        zh: "许可证吊销后办学",
        en: "Operating after the licence was revoked",
        city: ["lesson_after_revocation"],
    }
    TeacherQualSubject {
        id: "TEACHER_QUAL_SUBJECT", area: Staff, severity: High,
        policy: ["teacher_qual_subject"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "从事学科类培训的人员须具备相应教师资格",
        en: "Subject teachers need a teaching qualification",
        city: ["teacher_unqualified", "teacher_not_on_staff", "teacher_wrong_subject"],
    }
    NoInserviceTeacher {
        id: "NO_INSERVICE_TEACHER", area: Staff, severity: Crit,
        policy: ["no_inservice_teacher"],
        source: "《校外培训机构从业人员管理办法（试行）》（2021年9月）", list: Counts,
        zh: "不得聘用中小学、幼儿园在职教师",
        en: "No in-service school teachers may be employed",
        city: ["teacher_in_service"],
    }
    ForeignStaff {
        id: "FOREIGN_STAFF", area: Staff, severity: Crit,
        policy: ["foreign_staff_abroad_ban"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "严禁聘请在境外的外籍人员开展培训活动",
        en: "No foreign staff teaching from abroad",
        city: ["teacher_abroad"],
    }
    StaffRatioFulltime {
        id: "STAFF_RATIO_FULLTIME", area: Staff, severity: Med,
        policy: ["staff_full_time_min_bp"],
        source: "《校外培训机构从业人员管理办法（试行）》（教育部等四部门，2021年9月）", list: Counts,
        zh: "专职教学、教研人员原则上不低于从业人员总数的50%",
        en: "Full-time teaching and research staff are at least half of all staff",
        city: ["inspection_full_time_staff_9_of_19"],
    }
    StaffRatioClass {
        id: "STAFF_RATIO_CLASS", area: Staff, severity: Med,
        policy: ["staff_class_min_bp"],
        source: "《校外培训机构从业人员管理办法（试行）》（教育部等四部门，2021年9月）", list: Counts,
        zh: "每班次专职教学人员原则上不低于学生人数的2%（学龄前儿童6%）",
        en: "Each offline class has full-time teachers for at least 2% of its students (6% of preschool children)",
        city: ["offline_class_of_51_with_one_teacher", "offline_class_taught_by_a_part_timer"],
    }
    PrepayMax3m60h {
        id: "PREPAY_MAX_3M_60H", area: Funds, severity: High,
        policy: ["prepay_max_months", "prepay_max_lessons", "prepay_lessons_per_subject"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Counts,
        zh: "预收费不得超过3个月或60课时",
        en: "Prepaid fees cover at most 3 months or 60 lesson-hours",
        city: ["prepay_61_lessons", "prepay_3_months", "prepay_30_and_31_lessons_of_one_subject"],
    }
    PrepayEarliestCollect {
        id: "PREPAY_EARLIEST_COLLECT", area: Funds, severity: Med,
        policy: ["prepay_earliest_months"],
        source: "江苏省校外培训机构预收费监管地方规定（2022年4月；成都、海南有同类规定）", list: Counts,
        zh: "不得早于新课开始前1个月收取费用（地方规定）",
        en: "No fees collected more than a month before the course starts (local rule)",
        city: ["fee_collected_1_month_1_day_early"],
    }
    PrepayMax5000 {
        id: "PREPAY_MAX_5000", area: Funds, severity: High,
        policy: ["prepay_max_fen"],
        source: "《关于规范面向中小学生的非学科类校外培训的意见》（教育部等十三部门，2022年12月）", list: Counts,
        zh: "预收费每次不超过5000元",
        en: "At most ¥5,000 prepaid per charge",
        city: ["prepay_5000_yuan_01"],
    }
    PrepayDedicatedAccount {
        id: "PREPAY_DEDICATED_ACCOUNT", area: Funds, severity: Crit,
        policy: ["prepay_dedicated_account"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Black(SeriousFundFinding),
        zh: "预收费须全部进入培训收费专用账户",
        en: "Prepaid fees go into the dedicated supervised account",
        city: ["fee_outside_supervised_account", "fee_into_unknown_account", "black_listed_sale"],
    }
    ReleasePerLesson {
        id: "RELEASE_PER_LESSON", area: Funds, severity: High,
        policy: ["release_per_lesson"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Counts,
        zh: "监管资金按课时消课拨付（一课一销）",
        en: "Escrow released lesson by lesson",
        city: ["release_ahead_of_lessons"],
    }
    NoTrainingLoan {
        id: "NO_TRAINING_LOAN", area: Funds, severity: Crit,
        policy: ["no_training_loan"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Counts,
        zh: "不得使用培训贷方式缴纳培训费用",
        en: "No training loans",
        city: ["fee_training_loan"],
    }
    RefundProrata {
        id: "REFUND_PRORATA", area: Funds, severity: Med,
        policy: ["refund_days_max"],
        source: "《中小学生校外培训服务合同（示范文本）》GF—2021—2604", list: Counts,
        zh: "退费须按未上课时按比例及时退还",
        en: "Refunds of undelivered lessons paid pro rata and on time",
        city: ["refund_unpaid", "refund_paid_day_15", "refund_paid_day_16",
               "refund_paid_day_9_sent_after_other_banks_day_15", "refund_pro_rata_1_fen_short",
               "refund_pro_rata_paid_in_full"],
    }
    EscrowShortfallWarn {
        id: "ESCROW_SHORTFALL_WARN", area: Funds, severity: Med,
        policy: ["escrow_warn_coverage_bp"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Counts,
        zh: "监管账户余额接近应退家长金额（预警）",
        en: "Escrow balance close to what families are owed (warning)",
        city: ["escrow_coverage_109_99", "escrow_coverage_100_00"],
    }
    EscrowShortfall {
        id: "ESCROW_SHORTFALL", area: Funds, severity: Crit,
        policy: ["escrow_serious_coverage_bp"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Black(SeriousFundFinding),
        zh: "监管账户余额低于应退家长金额",
        en: "Escrow balance below what families are owed",
        city: ["escrow_coverage_99_99"],
    }
    AccountClosedWhileOwed {
        id: "ACCOUNT_CLOSED_WHILE_OWED", area: Funds, severity: Crit,
        policy: ["account_closed_while_owed"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Black(SeriousFundFinding),
        zh: "尚欠家长费用时关闭监管账户",
        en: "Supervised account closed while families are owed",
        city: ["account_closed_while_owed"],
    }
    GovGuidePrice {
        id: "GOV_GUIDE_PRICE", area: Pricing, severity: High,
        policy: ["guide_prices"],
        source: "《关于加强义务教育阶段学科类校外培训收费监管的通知》（发改价格〔2021〕1279号）", list: Counts,
        zh: "学科类培训收费不得超过政府指导价",
        en: "Subject-training prices within the government guide price",
        city: ["guide_price_8801_per_45min", "guide_price_8800_rescheduled_to_44min",
               "guide_price_8800_raised_to_8801"],
    }
    PriceDisclosure {
        id: "PRICE_DISCLOSURE", area: Pricing, severity: Med,
        policy: ["price_disclosure"],
        source: "《关于加强校外培训机构预收费监管工作的通知》（教监管函〔2021〕2号）", list: Counts,
        zh: "收费项目与标准须公示，不得在公示之外收费",
        en: "Fees only as posted: no charge above the published price",
        city: ["fee_above_posted_price_by_1_fen", "fee_at_old_price_after_price_cut"],
    }
    NoFakeOriginalPrice {
        id: "NO_FAKE_ORIGINAL_PRICE", area: Pricing, severity: High,
        policy: ["no_fake_original_price", "discount_tolerance_fen"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得以虚构原价、虚假折扣进行宣传",
        en: "No invented original prices or fake discounts",
        city: ["ad_former_price_never_charged", "ad_discount_off_by_101_fen"],
    }
    AdChannelBan {
        id: "AD_CHANNEL_BAN", area: Advertising, severity: High,
        policy: ["ad_channel_ban", "ad_banned_channels"],
        source: "《关于做好校外培训广告管控的通知》（市场监管总局等八部门，2021年11月）", list: Counts,
        zh: "不得在主流媒体、新媒体、公共场所等刊播校外培训广告",
        en: "No off-campus training ads in banned channels",
        city: ["ad_public_place", "ad_transit"],
    }
    AdSchoolSupplies {
        id: "AD_SCHOOL_SUPPLIES", area: Advertising, severity: High,
        policy: ["ad_school_supplies"],
        source: "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "不得在学校、教材、教辅、文具等上刊登广告",
        en: "No ads in schools or on school supplies",
        city: ["ad_on_workbook", "ad_inside_school"],
    }
    AdContent {
        id: "AD_CONTENT", area: Advertising, severity: High,
        policy: ["ad_banned_phrases"],
        source: "《中华人民共和国广告法》第二十四条；《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（中办发〔2021〕40号）", list: Counts,
        zh: "培训广告不得承诺效果、借用命题人员名义或制造焦虑",
        en: "Training ads must not promise results, invoke examiners or stoke anxiety",
        city: ["ad_promises_results", "ad_examiner_claim"],
    }
    BlackWhiteList {
        id: "BLACK_WHITE_LIST", area: Lists, severity: High,
        policy: ["blacklist_repeat_count", "blacklist_repeat_window_days"],
        source: "《全国校外教育培训监管与服务综合平台应用管理办法》（教育部，2025年3月）", list: Own,
        zh: "黑名单机构不得收费招生",
        en: "A black-listed institution may not sell",
        city: ["black_listed_sale"],
    }
}

impl RuleId {
    /// The catalogue id, e.g. `ONLINE_LESSON_MAX_30MIN`.
    pub fn as_str(self) -> &'static str {
        self.spec().id
    }

    /// The rule's severity from the catalogue.
    pub fn severity(self) -> Severity {
        self.spec().severity
    }

    /// The module of `projections/src/rules/` that judges it.
    pub fn area(self) -> Area {
        self.spec().area
    }
}

impl From<RuleId> for &'static str {
    fn from(rule: RuleId) -> Self {
        rule.as_str()
    }
}

/// A string that is not a known rule id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule id {0:?}")]
pub struct UnknownRule(pub String);

impl TryFrom<String> for RuleId {
    type Error = UnknownRule;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RuleId::parse(&value).ok_or(UnknownRule(value))
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RuleId::ALL {
            assert!(seen.insert(rule.as_str()));
            assert_eq!(RuleId::parse(rule.as_str()), Some(*rule));
        }
        assert_eq!(
            RuleId::OnlineLessonMax30Min.as_str(),
            "ONLINE_LESSON_MAX_30MIN"
        );
    }

    #[test]
    fn every_area_has_a_rule_and_every_rule_a_title_source_and_case() {
        for area in Area::ALL {
            assert!(
                RuleId::ALL.iter().any(|r| r.area() == *area),
                "{area:?} has no rule"
            );
        }
        for rule in RuleId::ALL {
            let spec = rule.spec();
            assert!(!spec.title_zh.is_empty() && !spec.title_en.is_empty());
            assert!(!spec.source.is_empty(), "{rule} names no source");
            assert!(!spec.city_cases.is_empty(), "{rule} has no city case");
        }
    }
}
