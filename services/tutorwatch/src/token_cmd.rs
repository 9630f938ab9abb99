//! `tutorwatch token issue|list|revoke`: provisioning API tokens in `<data_dir>/tokens.jsonl`.
//! Works while `serve` runs (it reloads the file). The token is printed once and never stored.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{CreditCode, RegionCode};

use crate::api::principal::Principal;
use crate::api::tokens::{self, TOKEN_FILE};
use crate::cli::print_json;

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
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
pub enum TokenCommand {
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

/// Runs a token subcommand against the data directory `default_data` unless one is given.
pub fn run(command: TokenCommand, default_data: PathBuf) -> anyhow::Result<()> {
    let file = |data: Option<PathBuf>| -> anyhow::Result<PathBuf> {
        let dir = data.unwrap_or_else(|| default_data.clone());
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the data directory {}", dir.display()))?;
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
            data,
        } => {
            let principal = principal_of(role, &institution, &region, &bank, &officer)?;
            let path = file(data)?;
            let (token, record) = tokens::issue(principal, &label)?;
            tokens::append(&path, &record)?;
            eprintln!(
                "issued token {} ({}); it is shown once, store it now",
                record.id, record.principal
            );
            print_json(&json!({
                "id": record.id,
                "token": token,
                "principal": record.principal,
            }))
        }
        TokenCommand::List { data } => {
            let records = tokens::read_file(&file(data)?)?;
            print_json(&json!({
                "tokens": records
                    .iter()
                    .map(|r| json!({"id": r.id, "principal": r.principal, "label": r.label}))
                    .collect::<Vec<_>>(),
            }))
        }
        TokenCommand::Revoke { id, data } => {
            let removed = tokens::revoke(&file(data)?, &id)?;
            eprintln!("revoked token {} ({})", removed.id, removed.principal);
            Ok(())
        }
    }
}
