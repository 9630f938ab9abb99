//! The vocabularies events share: subjects and their category, grade bands, teaching modes.
//!
//! The subject list follows the 2021 scope notice (rule SCOPE_SUBJECT_LIST): the nine school
//! subjects are managed as subject training (学科类), everything else as non-subject (非学科类).

use serde::{Deserialize, Serialize};

/// The wire name of a vocabulary value (`foreign_language`, `online_only`): what the JSON format
/// and the API say, and what findings' texts show (never the Rust name).
macro_rules! wire_names {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            /// The value's wire name, as in the JSON format.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $ty::$variant => $name, )*
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_names;

wire_names!(Category {
    Subject => "subject",
    NonSubject => "non_subject",
});

wire_names!(Subject {
    MoralityAndLaw => "morality_and_law",
    Chinese => "chinese",
    History => "history",
    Geography => "geography",
    Mathematics => "mathematics",
    ForeignLanguage => "foreign_language",
    Physics => "physics",
    Chemistry => "chemistry",
    Biology => "biology",
    Sports => "sports",
    Music => "music",
    FineArts => "fine_arts",
    InformationTechnology => "information_technology",
    LabourAndTechnology => "labour_and_technology",
    OtherNonSubject => "other_non_subject",
});

wire_names!(GradeBand {
    Preschool => "preschool",
    Primary => "primary",
    Junior => "junior",
    Senior => "senior",
});

wire_names!(Mode {
    Online => "online",
    Offline => "offline",
});

wire_names!(LicensedModes {
    OnlineOnly => "online_only",
    OfflineOnly => "offline_only",
    Both => "both",
});

/// Subject (学科类) or non-subject (非学科类) training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Subject,
    NonSubject,
}

/// What a course teaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// 道德与法治
    MoralityAndLaw,
    /// 语文
    Chinese,
    /// 历史
    History,
    /// 地理
    Geography,
    /// 数学
    Mathematics,
    /// 外语 (英语, 日语, 俄语)
    ForeignLanguage,
    /// 物理
    Physics,
    /// 化学
    Chemistry,
    /// 生物
    Biology,
    /// 体育
    Sports,
    /// 艺术: 音乐
    Music,
    /// 艺术: 美术
    FineArts,
    /// 综合实践: 信息技术
    InformationTechnology,
    /// 综合实践: 劳动与技术
    LabourAndTechnology,
    /// Any other non-subject training (e.g. science outreach, chess).
    OtherNonSubject,
}

impl Subject {
    /// The subject's name in Chinese, as the scope notice words it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Subject::MoralityAndLaw => "道德与法治",
            Subject::Chinese => "语文",
            Subject::History => "历史",
            Subject::Geography => "地理",
            Subject::Mathematics => "数学",
            Subject::ForeignLanguage => "外语",
            Subject::Physics => "物理",
            Subject::Chemistry => "化学",
            Subject::Biology => "生物",
            Subject::Sports => "体育",
            Subject::Music => "音乐",
            Subject::FineArts => "美术",
            Subject::InformationTechnology => "信息技术",
            Subject::LabourAndTechnology => "劳动与技术",
            Subject::OtherNonSubject => "其他非学科类",
        }
    }

    /// The category the scope notice puts this subject in.
    pub fn category(self) -> Category {
        match self {
            Subject::MoralityAndLaw
            | Subject::Chinese
            | Subject::History
            | Subject::Geography
            | Subject::Mathematics
            | Subject::ForeignLanguage
            | Subject::Physics
            | Subject::Chemistry
            | Subject::Biology => Category::Subject,
            Subject::Sports
            | Subject::Music
            | Subject::FineArts
            | Subject::InformationTechnology
            | Subject::LabourAndTechnology
            | Subject::OtherNonSubject => Category::NonSubject,
        }
    }
}

/// The students a course is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GradeBand {
    /// 学龄前, ages 3 to 6.
    Preschool,
    /// Grades 1 to 6.
    Primary,
    /// Grades 7 to 9.
    Junior,
    /// 普通高中, grades 10 to 12.
    Senior,
}

/// How one course or lesson is taught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Online,
    Offline,
}

/// What a licence allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LicensedModes {
    OnlineOnly,
    OfflineOnly,
    Both,
}

impl Category {
    /// 学科类 or 非学科类.
    pub fn name_zh(self) -> &'static str {
        match self {
            Category::Subject => "学科类",
            Category::NonSubject => "非学科类",
        }
    }
}

impl Mode {
    /// 线上 or 线下.
    pub fn name_zh(self) -> &'static str {
        match self {
            Mode::Online => "线上",
            Mode::Offline => "线下",
        }
    }
}

impl LicensedModes {
    /// What the licence allows, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            LicensedModes::OnlineOnly => "仅线上",
            LicensedModes::OfflineOnly => "仅线下",
            LicensedModes::Both => "线上和线下",
        }
    }

    /// Whether the licence covers teaching in `mode`.
    pub fn allows(self, mode: Mode) -> bool {
        matches!(
            (self, mode),
            (LicensedModes::Both, _)
                | (LicensedModes::OnlineOnly, Mode::Online)
                | (LicensedModes::OfflineOnly, Mode::Offline)
        )
    }
}
