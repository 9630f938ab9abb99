//! Registry events: what the education bureau's registry and inspectors say about an institution
//! (registration, licence changes, sites, teachers).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{CertificateNo, LicenceNo, SiteId, TeacherId, Text};
use crate::kinds::{Category, LicensedModes, Subject};
use crate::region::RegionCode;
use crate::validate::{
    display_text, list_len, positive, Problem, Validate, Validation, ValidationError,
    LIST_ITEMS_MAX,
};

/// The time zone institutions are judged in unless their registration says otherwise.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// A teaching site as approved by the licensing authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub id: SiteId,
    pub address: Text,
}

/// An institution was registered and licensed. The envelope's `institution` is its credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstitutionRegistered {
    pub name: Text,
    /// Where the institution is registered and supervised.
    pub region: RegionCode,
    pub category: Category,
    /// The subjects (or non-subject kinds) the licence covers.
    pub subjects: Vec<Subject>,
    pub modes: LicensedModes,
    pub non_profit: bool,
    pub licence: LicenceNo,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub approved_on: Date,
    pub approved_sites: Vec<Site>,
    /// The IANA time zone the institution declares; it must be its region's civil time
    /// (Asia/Shanghai on the mainland). Lessons are judged in the region's civil time.
    #[serde(default = "default_time_zone")]
    pub time_zone: Text,
}

fn default_time_zone() -> Text {
    Text::parse(DEFAULT_TIME_ZONE)
        .unwrap_or_else(|_| unreachable!("a short constant is valid text"))
}

impl Validate for InstitutionRegistered {
    fn validate(&self) -> Validation {
        if self.name.as_str().trim().is_empty() {
            return Err(ValidationError::new("data.name", Problem::Empty));
        }
        display_text("data.name", &self.name)?;
        list_len("data.subjects", &self.subjects, LIST_ITEMS_MAX, true)?;
        list_len(
            "data.approved_sites",
            &self.approved_sites,
            LIST_ITEMS_MAX,
            false,
        )?;
        for (i, site) in self.approved_sites.iter().enumerate() {
            display_text(&format!("data.approved_sites[{i}].address"), &site.address)?;
        }
        if let Some(subject) = self.subjects.iter().find(|s| s.category() != self.category) {
            return Err(ValidationError::new(
                "data.subjects",
                Problem::inconsistent(
                    format!(
                        "{}不属于登记的类别{}",
                        subject.name_zh(),
                        self.category.name_zh()
                    ),
                    format!(
                        "{subject} is not in the registered category {}",
                        self.category
                    ),
                ),
            ));
        }
        if jiff::tz::TimeZone::get(self.time_zone.as_str()).is_err() {
            return Err(ValidationError::new(
                "data.time_zone",
                Problem::inconsistent(
                    format!("{:?} 不是 IANA 时区", self.time_zone.as_str()),
                    format!("{:?} is not an IANA time zone", self.time_zone.as_str()),
                ),
            ));
        }
        if !self.region.keeps_time_zone(self.time_zone.as_str()) {
            return Err(ValidationError::new(
                "data.time_zone",
                Problem::inconsistent(
                    format!(
                        "地区 {} 使用 {} 时间，{:?} 与之不符（省略该字段或填写 {:?}）",
                        self.region,
                        self.region.civil_time_zone(),
                        self.time_zone.as_str(),
                        self.region.civil_time_zone()
                    ),
                    format!(
                        "region {} keeps {} time; {:?} contradicts it (omit the field or send {:?})",
                        self.region,
                        self.region.civil_time_zone(),
                        self.time_zone.as_str(),
                        self.region.civil_time_zone()
                    ),
                ),
            ));
        }
        Ok(())
    }
}

/// The licence was suspended (e.g. pending rectification).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenceSuspended {
    pub reason: Text,
    /// The day the suspension ends, when one was set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub until: Option<Date>,
}

impl Validate for LicenceSuspended {
    fn validate(&self) -> Validation {
        display_text("data.reason", &self.reason)
    }
}

/// Why a licence ended: as a penalty, or because the institution gave it up or it lapsed. Only a
/// penalty puts the institution on the black list; the others leave it unlisted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RevocationGrounds {
    /// Revoked as an administrative penalty (吊销办学许可证).
    Penalty,
    /// Given up by the institution (主动注销).
    Surrendered,
    /// Lapsed: not renewed, or the institution stopped operating (到期未延续、终止办学).
    Lapsed,
}

/// The licence ended (吊销 as a penalty, or 注销). Version 2 added `grounds`; a version-1 event
/// was a revocation (吊销), so it is read as a penalty (`upcast`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenceRevoked {
    pub reason: Text,
    pub grounds: RevocationGrounds,
}

impl Validate for LicenceRevoked {
    fn validate(&self) -> Validation {
        display_text("data.reason", &self.reason)
    }
}

/// A suspended licence was restored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenceRestored {
    pub note: Text,
}

impl Validate for LicenceRestored {
    fn validate(&self) -> Validation {
        display_text("data.note", &self.note)
    }
}

/// Another teaching site was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteAdded {
    pub site: Site,
}

impl Validate for SiteAdded {
    fn validate(&self) -> Validation {
        display_text("data.site.address", &self.site.address)
    }
}

/// What an inspection found (registry or education-department inspectors): the institution's
/// staff, and the teaching floor area of the site inspected. Counts only, never who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InspectionRecorded {
    /// Everyone the institution employs (从业人员总数).
    pub staff_total: u32,
    /// Of them, full-time teaching and research staff (专职教学、教研人员).
    pub full_time_teaching_staff: u32,
    /// The teaching site inspected, if the inspection measured one.
    pub site: Option<SiteId>,
    /// That site's teaching floor area, in whole square metres; given with `site` only.
    pub floor_area_m2: Option<u32>,
}

impl Validate for InspectionRecorded {
    fn validate(&self) -> Validation {
        positive("data.staff_total", u64::from(self.staff_total))?;
        if self.full_time_teaching_staff > self.staff_total {
            return Err(ValidationError::new(
                "data.full_time_teaching_staff",
                Problem::inconsistent(
                    format!(
                        "专职教学人员 {} 人多于从业人员总数 {} 人",
                        self.full_time_teaching_staff, self.staff_total
                    ),
                    format!(
                        "{} full-time teaching staff out of {} staff in all",
                        self.full_time_teaching_staff, self.staff_total
                    ),
                ),
            ));
        }
        match (&self.site, self.floor_area_m2) {
            (Some(_), Some(area)) => positive("data.floor_area_m2", u64::from(area)),
            (None, None) => Ok(()),
            (Some(_), None) => Err(ValidationError::new(
                "data.floor_area_m2",
                Problem::inconsistent(
                    "检查的场所须填写其面积",
                    "an inspected site needs its floor area",
                ),
            )),
            (None, Some(_)) => Err(ValidationError::new(
                "data.site",
                Problem::inconsistent(
                    "面积须注明所属场所",
                    "a floor area needs the site it measures",
                ),
            )),
        }
    }
}

/// A teacher joined the institution. No personal data: the id is the institution's own token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeacherHired {
    pub teacher: TeacherId,
    pub subjects: Vec<Subject>,
    /// The teacher qualification certificate (教师资格证), if the teacher holds one.
    pub qualification: Option<CertificateNo>,
    /// Currently employed as a teacher at a primary or secondary school (在职中小学教师).
    pub in_service_school_teacher: bool,
    /// Located outside mainland China (在境外).
    pub located_abroad: bool,
    /// Employed full time for teaching or research (专职教学、教研人员), as STAFF_RATIO_CLASS
    /// counts teachers. Version 2; a version-1 hire said nothing and is read as full time (the
    /// lenient reading). May be omitted in JSON, meaning full time.
    #[serde(default = "full_time_unless_said")]
    pub full_time: bool,
}

/// What an omitted `full_time` means: full time.
fn full_time_unless_said() -> bool {
    true
}

impl Validate for TeacherHired {
    fn validate(&self) -> Validation {
        list_len("data.subjects", &self.subjects, LIST_ITEMS_MAX, false)
    }
}

/// A teacher left the institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeacherLeft {
    pub teacher: TeacherId,
}
