//! Who sent an event, as the transport proves it, and the inbound subjects that carry it.
//!
//! A producer publishes on `tw.in.<sender>.<family>.<institution>`. The NATS server lets each
//! producer's credentials publish only under its own `<sender>` prefix, so the subject is the
//! proof of identity, and ingest checks the event's `producer` against it:
//!
//! | `<sender>`                         | who                                                   |
//! |------------------------------------|-------------------------------------------------------|
//! | `inst.<credit code>`               | an institution, for its own events                    |
//! | `bank.<bank id>`                   | an escrow bank                                        |
//! | `registry.<region>`                | a region's registry (education bureau)                |
//! | `officer.<region>.<officer id>`    | an inspector, with their jurisdiction                 |
//! | `admin`                            | the operator's loader (backfills, `gen --publish`)    |
//! | `api.<token id>.<sender>`          | the service itself, for an event written over HTTP by |
//! |                                    | the token `<token id>` standing for `<sender>`         |
//!
//! Identifiers may contain `.`, which separates subject tokens; in a subject every `.` of an id
//! is written `~` (not in the identifier alphabet), so one id is always exactly one token and no
//! producer's prefix can contain another's.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::Family;
use crate::credit_code::CreditCode;
use crate::envelope::Producer;
use crate::ids::{BankId, OfficerId, TokenId};
use crate::region::RegionCode;
use crate::SUBJECT_PREFIX;

/// A proven identity: what a NATS user's credentials or an API token stand for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// A training institution, speaking for itself.
    Institution(CreditCode),
    /// An escrow bank.
    Bank(BankId),
    /// The registry of a region (and every region below it).
    Registry(RegionCode),
    /// An inspector or officer, with the jurisdiction their credentials were issued for.
    Officer {
        officer: OfficerId,
        region: RegionCode,
    },
    /// The operator: may speak as any producer (backfills, the synthetic city).
    Admin,
}

/// How an event reached ingest, and from whom.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Sender {
    pub identity: Identity,
    /// The API token that wrote the event, when it came through the HTTP API (the service
    /// publishes it on the sender's behalf, under `tw.in.api.<token>.…`).
    pub api_token: Option<TokenId>,
}

/// Why a subject is not an inbound event subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject {subject:?}: {reason}")]
pub struct SubjectError {
    pub subject: String,
    pub reason: String,
}

/// Writes an identifier as one subject token (`.` becomes `~`).
fn id_token(id: &str) -> String {
    id.replace('.', "~")
}

/// Reads an identifier back from its subject token.
fn token_id(token: &str) -> String {
    token.replace('~', ".")
}

impl Identity {
    /// The identity's subject tokens, e.g. `bank.icbc~gz` (without the `tw.in.` prefix).
    pub fn subject_part(&self) -> String {
        match self {
            Identity::Institution(code) => format!("inst.{code}"),
            Identity::Bank(bank) => format!("bank.{}", id_token(bank.as_str())),
            Identity::Registry(region) => format!("registry.{region}"),
            Identity::Officer { officer, region } => {
                format!("officer.{region}.{}", id_token(officer.as_str()))
            }
            Identity::Admin => "admin".to_owned(),
        }
    }

    /// The subjects this identity may publish on when it holds its own NATS credentials:
    /// `tw.in.<sender>.>`.
    pub fn publish_permission(&self) -> String {
        format!("{SUBJECT_PREFIX}.{}.>", self.subject_part())
    }

    /// Whether this identity may name `producer` on an event it sends. Everyone speaks only
    /// as themselves; the operator (admin) may speak as anyone.
    pub fn may_speak_as(&self, producer: &Producer) -> bool {
        match (self, producer) {
            (Identity::Admin, _) => true,
            (Identity::Institution(own), Producer::Institution(code)) => own == code,
            (Identity::Bank(own), Producer::Bank(bank)) => own == bank,
            (Identity::Registry(own), Producer::Registry(region)) => own == region,
            (Identity::Officer { officer, .. }, Producer::Officer(named)) => officer == named,
            _ => false,
        }
    }

    /// The identity a producer has when it publishes with its own credentials; an officer's
    /// jurisdiction is not in the event, so it is taken to be `region`.
    pub fn own(producer: &Producer, region: RegionCode) -> Identity {
        match producer {
            Producer::Institution(code) => Identity::Institution(code.clone()),
            Producer::Bank(bank) => Identity::Bank(bank.clone()),
            Producer::Registry(own) => Identity::Registry(*own),
            Producer::Officer(officer) => Identity::Officer {
                officer: officer.clone(),
                region,
            },
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Institution(code) => write!(f, "institution {code}"),
            Identity::Bank(bank) => write!(f, "bank {bank}"),
            Identity::Registry(region) => write!(f, "registry {region}"),
            Identity::Officer { officer, region } => write!(f, "officer {officer} ({region})"),
            Identity::Admin => f.write_str("admin"),
        }
    }
}

impl fmt::Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.api_token {
            Some(token) => write!(f, "{} (API token {token})", self.identity),
            None => write!(f, "{}", self.identity),
        }
    }
}

impl Sender {
    /// A sender that published with its own NATS credentials.
    pub fn direct(identity: Identity) -> Self {
        Self {
            identity,
            api_token: None,
        }
    }

    /// The subject an event of `family` about `institution` from this sender is published on.
    pub fn subject(&self, family: Family, institution: &CreditCode) -> String {
        match &self.api_token {
            None => format!(
                "{SUBJECT_PREFIX}.{}.{}.{institution}",
                self.identity.subject_part(),
                family.as_str()
            ),
            Some(token) => format!(
                "{SUBJECT_PREFIX}.api.{}.{}.{}.{institution}",
                id_token(token.as_str()),
                self.identity.subject_part(),
                family.as_str()
            ),
        }
    }

    /// Reads a subject: who sent it, the family and the institution it names.
    pub fn parse_subject(subject: &str) -> Result<(Sender, Family, CreditCode), SubjectError> {
        let error = |reason: String| SubjectError {
            subject: subject.to_owned(),
            reason,
        };
        let rest = subject
            .strip_prefix(SUBJECT_PREFIX)
            .and_then(|r| r.strip_prefix('.'))
            .ok_or_else(|| error(format!("does not start with {SUBJECT_PREFIX}.")))?;
        let tokens: Vec<&str> = rest.split('.').collect();
        let (api_token, tokens) = match tokens.as_slice() {
            ["api", token, rest @ ..] => {
                let token = TokenId::parse(&token_id(token))
                    .map_err(|e| error(format!("the API token id {e}")))?;
                (Some(token), rest)
            }
            _ => (None, tokens.as_slice()),
        };
        let (identity, rest) = parse_identity(tokens).map_err(&error)?;
        let [family, institution] = rest else {
            return Err(error(
                "expected <sender>.<family>.<institution> after tw.in".to_owned(),
            ));
        };
        let family = Family::from_name(family)
            .ok_or_else(|| error(format!("{family:?} is not an event family")))?;
        let institution = CreditCode::parse(institution)
            .map_err(|e| error(format!("the institution {institution:?}: {e}")))?;
        Ok((
            Sender {
                identity,
                api_token,
            },
            family,
            institution,
        ))
    }
}

fn parse_identity<'t>(tokens: &'t [&'t str]) -> Result<(Identity, &'t [&'t str]), String> {
    let region =
        |text: &str| RegionCode::parse(text).map_err(|e| format!("the region {text:?}: {e}"));
    match tokens {
        ["inst", code, rest @ ..] => {
            let code =
                CreditCode::parse(code).map_err(|e| format!("the institution {code:?}: {e}"))?;
            Ok((Identity::Institution(code), rest))
        }
        ["bank", bank, rest @ ..] => {
            let bank = BankId::parse(&token_id(bank)).map_err(|e| format!("the bank id {e}"))?;
            Ok((Identity::Bank(bank), rest))
        }
        ["registry", code, rest @ ..] => Ok((Identity::Registry(region(code)?), rest)),
        ["officer", code, officer, rest @ ..] => {
            let officer =
                OfficerId::parse(&token_id(officer)).map_err(|e| format!("the officer id {e}"))?;
            Ok((
                Identity::Officer {
                    officer,
                    region: region(code)?,
                },
                rest,
            ))
        }
        ["admin", rest @ ..] => Ok((Identity::Admin, rest)),
        [other, ..] => Err(format!(
            "{other:?} is not a sender kind (inst, bank, registry, officer, admin, api)"
        )),
        [] => Err("names no sender".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> CreditCode {
        CreditCode::parse(crate::examples::SAMPLE_CREDIT_CODE).expect("sample")
    }

    fn every_identity() -> Vec<Identity> {
        vec![
            Identity::Institution(code()),
            Identity::Bank(BankId::parse("icbc.gz").expect("id")),
            Identity::Registry(RegionCode::parse("440200").expect("region")),
            Identity::Officer {
                officer: OfficerId::parse("wang.1").expect("id"),
                region: RegionCode::parse("440203").expect("region"),
            },
            Identity::Admin,
        ]
    }

    #[test]
    fn subjects_read_back_as_they_were_written() {
        for identity in every_identity() {
            for api_token in [None, Some(TokenId::parse("3fa9c1d2e4b5").expect("id"))] {
                let sender = Sender {
                    identity: identity.clone(),
                    api_token,
                };
                for family in Family::ALL {
                    let subject = sender.subject(family, &code());
                    assert_eq!(
                        Sender::parse_subject(&subject),
                        Ok((sender.clone(), family, code())),
                        "{subject}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_id_with_dots_is_one_token_so_no_prefix_holds_another() {
        let short = Identity::Bank(BankId::parse("icbc").expect("id"));
        let long = Identity::Bank(BankId::parse("icbc.gz").expect("id"));
        let subject = Sender::direct(long).subject(Family::Escrow, &code());
        assert_eq!(subject, format!("tw.in.bank.icbc~gz.escrow.{}", code()));
        let prefix = short.publish_permission();
        assert!(!subject.starts_with(prefix.trim_end_matches('>')));
    }

    #[test]
    fn malformed_subjects_are_refused_with_a_reason() {
        for subject in [
            "tw.in.escrow.440200.52440200MJL123454R",
            "tw.in.bank.icbc.escrow",
            "tw.in.bank.icbc.nonsense.52440200MJL123454R",
            "tw.in.registry.99.registry.52440200MJL123454R",
            "tw.in.api.bank.icbc.escrow.52440200MJL123454R",
            "tw.in.inst.52440200MJL123454R.schedule.52440200MJL123454R.extra",
            "tw.out.inst.52440200MJL123454R.schedule.52440200MJL123454R",
        ] {
            assert!(Sender::parse_subject(subject).is_err(), "{subject}");
        }
    }

    #[test]
    fn only_the_operator_speaks_for_others() {
        let bank = BankId::parse("icbc").expect("id");
        let other = BankId::parse("boc").expect("id");
        let identity = Identity::Bank(bank.clone());
        assert!(identity.may_speak_as(&Producer::Bank(bank.clone())));
        assert!(!identity.may_speak_as(&Producer::Bank(other)));
        assert!(!identity.may_speak_as(&Producer::Institution(code())));
        assert!(Identity::Admin.may_speak_as(&Producer::Bank(bank)));
    }
}
