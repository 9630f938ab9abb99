//! Advertising events: advertisements that inspectors observed.

use serde::{Deserialize, Serialize};

use crate::ids::{AdId, CourseId, Text};
use crate::money::Fen;
use crate::validate::{display_text, positive, Problem, Validate, Validation, ValidationError};

/// Where an advertisement was placed (rule AD_CHANNEL_BAN names the banned ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdChannel {
    /// Mainstream media (主流媒体).
    MainstreamMedia,
    /// Mainstream media's new-media outlets (新媒体).
    NewMedia,
    /// Online platforms (网络平台).
    OnlinePlatform,
    /// Public places (公共场所).
    PublicPlace,
    /// Billboards in residential areas (居民区各类广告牌).
    ResidentialBillboard,
    /// Rail, metro, bus and bus-stop advertising slots.
    Transit,
    /// Inside a school or kindergarten.
    School,
    /// The institution's own premises or website.
    OwnPremises,
    /// Anything else.
    Other,
}

/// A school item that carried the advertisement (rule AD_SCHOOL_SUPPLIES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SchoolCarrier {
    Textbook,
    SupplementaryMaterial,
    Workbook,
    Stationery,
    TeachingAid,
    Uniform,
    SchoolBus,
}

crate::kinds::wire_names!(AdChannel {
    MainstreamMedia => "mainstream_media",
    NewMedia => "new_media",
    OnlinePlatform => "online_platform",
    PublicPlace => "public_place",
    ResidentialBillboard => "residential_billboard",
    Transit => "transit",
    School => "school",
    OwnPremises => "own_premises",
    Other => "other",
});

crate::kinds::wire_names!(SchoolCarrier {
    Textbook => "textbook",
    SupplementaryMaterial => "supplementary_material",
    Workbook => "workbook",
    Stationery => "stationery",
    TeachingAid => "teaching_aid",
    Uniform => "uniform",
    SchoolBus => "school_bus",
});

/// An inspector observed an advertisement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdvertisementObserved {
    pub ad: AdId,
    pub channel: AdChannel,
    /// Advertises subject training (学科类).
    pub subject_training: bool,
    /// Aimed at primary and secondary pupils or kindergarten children.
    pub aimed_at_minors: bool,
    /// The school item that carried it, if any.
    pub carrier: Option<SchoolCarrier>,
    /// The course it advertises, if known.
    pub course: Option<CourseId>,
    /// A "former price" (原价) the ad claims, per lesson.
    pub claimed_former_price: Option<Fen>,
    /// The price the ad offers, per lesson.
    pub advertised_price: Option<Fen>,
    /// A discount the ad claims, in percent off.
    pub claimed_percent_off: Option<u8>,
    pub description: Text,
}

impl Validate for AdvertisementObserved {
    fn validate(&self) -> Validation {
        display_text("data.description", &self.description)?;
        if let Some(price) = self.claimed_former_price {
            positive("data.claimed_former_price", price.get())?;
        }
        if let Some(percent) = self.claimed_percent_off {
            if percent == 0 || percent >= 100 {
                return Err(ValidationError::new(
                    "data.claimed_percent_off",
                    Problem::inconsistent(
                        format!("减 {percent}% 不是折扣"),
                        format!("{percent}% off is not a discount"),
                    ),
                ));
            }
        }
        Ok(())
    }
}
