//! Who is calling: the principals bearer tokens stand for, and what each may see and do.
//!
//! An institution reads only itself; an officer (and a registry) reads within a jurisdiction (a
//! region code and every region below it); an admin reads everything; banks read no feed.
//! Callers without a token see only the public lists. What a principal may *write* is the trust
//! policy's to decide (`tutorwatch_trust`), from the identity a principal proves.

use std::fmt;

use serde::{Deserialize, Serialize};
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{CreditCode, Identity, Producer, RegionCode};
use utoipa::ToSchema;

/// What a token stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "role", rename_all = "snake_case", deny_unknown_fields)]
pub enum Principal {
    /// A training institution, supervised in `region`.
    Institution {
        institution: CreditCode,
        region: RegionCode,
    },
    /// An escrow bank.
    Bank { bank: BankId },
    /// A market-supervision or education officer with a jurisdiction.
    Officer {
        officer: OfficerId,
        region: RegionCode,
    },
    /// The registry (education bureau) of a region: registrations, licences, sites, staff.
    Registry { region: RegionCode },
    /// Operators: everything.
    Admin,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Institution { institution, .. } => write!(f, "institution:{institution}"),
            Principal::Bank { bank } => write!(f, "bank:{bank}"),
            Principal::Officer { officer, region } => write!(f, "officer:{officer}@{region}"),
            Principal::Registry { region } => write!(f, "registry:{region}"),
            Principal::Admin => f.write_str("admin"),
        }
    }
}

/// Whether `region` is `jurisdiction` or below it.
pub fn within(jurisdiction: RegionCode, region: RegionCode) -> bool {
    jurisdiction.contains(&region)
}

impl Principal {
    /// The region whose findings the principal may read, if it reads by region (`None` for
    /// admin: everything). Institutions and banks do not read by region.
    pub fn jurisdiction(&self) -> Option<RegionCode> {
        match self {
            Principal::Officer { region, .. } | Principal::Registry { region } => Some(*region),
            _ => None,
        }
    }

    /// Whether the principal may read what concerns `institution` in `region`.
    pub fn may_read(&self, institution: &CreditCode, region: RegionCode) -> bool {
        match self {
            Principal::Admin => true,
            Principal::Institution {
                institution: own, ..
            } => own == institution,
            Principal::Officer { region: j, .. } | Principal::Registry { region: j } => {
                within(*j, region)
            }
            Principal::Bank { .. } => false,
        }
    }

    /// The producer an event this principal sends must name.
    pub fn producer(&self) -> Option<Producer> {
        match self {
            Principal::Institution { institution, .. } => {
                Some(Producer::Institution(institution.clone()))
            }
            Principal::Bank { bank } => Some(Producer::Bank(bank.clone())),
            Principal::Officer { officer, .. } => Some(Producer::Officer(officer.clone())),
            Principal::Registry { region } => Some(Producer::Registry(*region)),
            Principal::Admin => None,
        }
    }

    /// The identity the principal proves: what the trust policy judges its writes by.
    pub fn identity(&self) -> Identity {
        match self {
            Principal::Institution { institution, .. } => {
                Identity::Institution(institution.clone())
            }
            Principal::Bank { bank } => Identity::Bank(bank.clone()),
            Principal::Officer { officer, region } => Identity::Officer {
                officer: officer.clone(),
                region: *region,
            },
            Principal::Registry { region } => Identity::Registry(*region),
            Principal::Admin => Identity::Admin,
        }
    }

    /// The role's name.
    pub fn role(&self) -> &'static str {
        match self {
            Principal::Institution { .. } => "institution",
            Principal::Bank { .. } => "bank",
            Principal::Officer { .. } => "officer",
            Principal::Registry { .. } => "registry",
            Principal::Admin => "admin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> RegionCode {
        RegionCode::parse(code).expect("region")
    }

    #[test]
    fn a_province_officer_reads_its_cities_and_a_district_only_itself() {
        let code =
            CreditCode::parse(tutorwatch_events::examples::SAMPLE_CREDIT_CODE).expect("code");
        let province = Principal::Officer {
            officer: OfficerId::parse("p").expect("id"),
            region: region("440000"),
        };
        let district = Principal::Officer {
            officer: OfficerId::parse("d").expect("id"),
            region: region("440203"),
        };
        assert!(province.may_read(&code, region("440203")));
        assert!(province.may_read(&code, region("440200")));
        assert!(!province.may_read(&code, region("450100")));
        assert!(district.may_read(&code, region("440203")));
        assert!(!district.may_read(&code, region("440200")));
        assert!(!district.may_read(&code, region("440204")));
    }
}
