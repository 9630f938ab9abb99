//! `tutorwatch token issue|list|revoke`: provisioning API tokens in `<data_dir>/tokens.jsonl`.
//! Works while `serve` runs (it reloads the file), and any number of these commands may run at
//! once (writers take turns on a lock file, see `api::tokens`). The token is printed once and
//! never stored; a token may be issued with an expiry.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{CreditCode, RegionCode};

use crate::api::principal::Principal;
use crate::api::tokens::{self, TOKEN_FILE};
use crate::cmd::output::print_json;
use tutorwatch_events::UtcTime;

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Role {
    /// A training institution (needs --institution and --region).
    Institution,
    /// An escrow bank (needs --bank).
    Bank,
    /// An officer (needs --officer and --region: the jurisdiction).
    Officer,
    /// A region's registry (needs --region).
    Registry,
    /// Operators: everything.
    Admin,
}

/// The token subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a token and print it (once: only its hash is kept).
    Issue {
        #[arg(long, value_enum)]
        role: Role,
        /// The institution's credit code (role institution).
        #[arg(long)]
        institution: Option<String>,
        /// The region: the institution's, the officer's jurisdiction, the registry's.
        #[arg(long)]
        region: Option<String>,
        /// The bank's id (role bank).
        #[arg(long)]
        bank: Option<String>,
        /// The officer's id (role officer).
        #[arg(long)]
        officer: Option<String>,
        /// Who it is for, to recognise it in `token list`.
        #[arg(long, default_value = "")]
        label: String,
        /// The token stops working this long after it is issued: a number and a unit up to
        /// weeks, e.g. `90d`, `12h`, `2w`, `1h30m`, `P30D`.
        #[arg(long, value_name = "DURATION", conflicts_with = "expires_at")]
        expires_in: Option<String>,
        /// The token stops working at this time (RFC 3339 with an offset, e.g.
        /// `2026-03-31T18:00:00+08:00`).
        #[arg(long, value_name = "TIME")]
        expires_at: Option<String>,
        /// The data directory; defaults to the settings' `data_dir`.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// List the issued tokens (ids, roles, labels; never the tokens).
    List {
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Revoke a token by its id (from `token list`).
    Revoke {
        id: String,
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

fn required<'a>(value: &'a Option<String>, flag: &str, role: &str) -> anyhow::Result<&'a str> {
    match value {
        Some(v) => Ok(v),
        None => bail!("--{flag} is required for role {role}"),
    }
}

fn region(value: &Option<String>, role: &str) -> anyhow::Result<RegionCode> {
    let text = required(value, "region", role)?;
    RegionCode::parse(text).with_context(|| format!("--region {text:?}"))
}

fn principal_of(
    role: Role,
    institution: &Option<String>,
    region_code: &Option<String>,
    bank: &Option<String>,
    officer: &Option<String>,
) -> anyhow::Result<Principal> {
    Ok(match role {
        Role::Institution => {
            let code = required(institution, "institution", "institution")?;
            Principal::Institution {
                institution: CreditCode::parse(code)
                    .with_context(|| format!("--institution {code:?}"))?,
                region: region(region_code, "institution")?,
            }
        }
        Role::Bank => {
            let id = required(bank, "bank", "bank")?;
            Principal::Bank {
                bank: BankId::parse(id).with_context(|| format!("--bank {id:?}"))?,
            }
        }
        Role::Officer => {
            let id = required(officer, "officer", "officer")?;
            Principal::Officer {
                officer: OfficerId::parse(id).with_context(|| format!("--officer {id:?}"))?,
                region: region(region_code, "officer")?,
            }
        }
        Role::Registry => Principal::Registry {
            region: region(region_code, "registry")?,
        },
        Role::Admin => Principal::Admin,
    })
}

/// When a token issued `now` with these flags expires (none: never).
fn expiry(
    expires_in: Option<&str>,
    expires_at: Option<&str>,
    now: UtcTime,
) -> anyhow::Result<Option<UtcTime>> {
    let at = match (expires_in, expires_at) {
        (None, None) => return Ok(None),
        (Some(text), _) => {
            let span: jiff::Span = text.parse().with_context(|| {
                format!("--expires-in {text:?}: expected a duration such as 90d, 12h or 2w")
            })?;
            let duration = span
                .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                .with_context(|| {
                    format!("--expires-in {text:?}: use units up to weeks (months and years vary)")
                })?;
            if duration <= jiff::SignedDuration::ZERO {
                bail!("--expires-in {text:?} must be more than zero");
            }
            let at = now
                .timestamp()
                .checked_add(duration)
                .with_context(|| format!("--expires-in {text:?} is too far in the future"))?;
            UtcTime::from_timestamp(at)
        }
        (None, Some(text)) => UtcTime::parse(text).with_context(|| {
            format!("--expires-at {text:?}: expected an RFC 3339 time with an offset")
        })?,
    };
    if at <= now {
        bail!("the token would expire at {at}, which is not in the future");
    }
    Ok(Some(at))
}

/// Runs a token subcommand against the data directory `default_data` unless one is given.
pub(crate) fn run(command: TokenCommand, default_data: PathBuf) -> anyhow::Result<()> {
    let file = |data: Option<PathBuf>| -> anyhow::Result<PathBuf> {
        let dir = data.unwrap_or_else(|| default_data.clone());
        crate::data_dir::create(&dir)?;
        Ok(dir.join(TOKEN_FILE))
    };
    match command {
        TokenCommand::Issue {
            role,
            institution,
            region,
            bank,
            officer,
            label,
            expires_in,
            expires_at,
            data,
        } => {
            let principal = principal_of(role, &institution, &region, &bank, &officer)?;
            let expires_at = expiry(expires_in.as_deref(), expires_at.as_deref(), UtcTime::now())?;
            let path = file(data)?;
            let (token, mut record) = tokens::issue(principal, &label)?;
            record.expires_at = expires_at;
            tokens::append(&path, &record)?;
            let until = match record.expires_at {
                Some(at) => format!("valid until {at}"),
                None => "valid until revoked".to_owned(),
            };
            eprintln!(
                "issued token {} ({}, {until}) into {}; it is shown once, store it now",
                record.id,
                record.principal,
                path.display()
            );
            print_json(&json!({
                "id": record.id,
                "token": token,
                "principal": record.principal,
                "expires_at": record.expires_at,
                "tokens_file": path,
            }))
        }
        TokenCommand::List { data } => {
            let records = tokens::read_file(&file(data)?)?;
            let now = UtcTime::now();
            print_json(&json!({
                "tokens": records
                    .iter()
                    .map(|r| json!({
                        "id": r.id,
                        "principal": r.principal,
                        "label": r.label,
                        "expires_at": r.expires_at,
                        "expired": r.expires_at.is_some_and(|at| at <= now),
                    }))
                    .collect::<Vec<_>>(),
            }))
        }
        TokenCommand::Revoke { id, data } => {
            let path = file(data)?;
            let removed = tokens::revoke(&path, &id)?;
            eprintln!(
                "revoked token {} ({}) in {}",
                removed.id,
                removed.principal,
                path.display()
            );
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_takes_a_duration_or_a_time_in_the_future() {
        let now = UtcTime::parse("2026-01-01T00:00:00Z").expect("a time");
        let at = |text: &str| UtcTime::parse(text).expect("a time");
        assert_eq!(expiry(None, None, now).expect("none"), None);
        assert_eq!(
            expiry(Some("90d"), None, now).expect("a duration"),
            Some(at("2026-04-01T00:00:00Z"))
        );
        assert_eq!(
            expiry(Some("1h30m"), None, now).expect("a duration"),
            Some(at("2026-01-01T01:30:00Z"))
        );
        assert_eq!(
            expiry(Some("2w"), None, now).expect("a duration"),
            Some(at("2026-01-15T00:00:00Z"))
        );
        assert_eq!(
            expiry(None, Some("2026-03-31T18:00:00+08:00"), now).expect("a time"),
            Some(at("2026-03-31T10:00:00Z"))
        );
        for (expires_in, expires_at) in [
            (Some("3 months"), None),
            (Some("soon"), None),
            (Some("0s"), None),
            (None, Some("2025-12-31T00:00:00Z")),
            (None, Some("2026-03-31 18:00")),
        ] {
            assert!(
                expiry(expires_in, expires_at, now).is_err(),
                "{expires_in:?} {expires_at:?}"
            );
        }
    }
}
