//! Supervision events: what officers do about findings. Their work is in the log like any other
//! fact, so a replay shows who acknowledged, ordered, resolved or penalised what, and when.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{FindingId, OfficerId, Text};
use crate::money::Fen;
use crate::validate::{display_text, Validate, Validation};

/// The penalty types of the 2023 administrative penalty measures (处罚办法, Art. 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PenaltyKind {
    Warning,
    Fine,
    ConfiscateGains,
    StopEnrolling,
    StopOperating,
    RevokeLicence,
}

/// What an officer did about a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    Acknowledged,
    RectificationOrdered {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        due: Date,
    },
    Resolved,
    Penalty {
        penalty: PenaltyKind,
        fine: Option<Fen>,
    },
}

/// An officer acted on a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfficerActed {
    pub finding: FindingId,
    pub officer: OfficerId,
    pub action: CaseAction,
    pub note: Text,
}

impl Validate for OfficerActed {
    fn validate(&self) -> Validation {
        display_text("data.note", &self.note)
    }
}
