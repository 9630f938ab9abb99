//! The command line. Each subcommand prints its result on stdout (JSON where a program may read
//! it) and its progress and errors on stderr, and exits non-zero on failure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tutorwatch_events::{Identity, Sender};

use crate::config::Settings;

/// Tutorwatch: supervision of off-campus training institutions, event-sourced.
#[derive(Debug, Parser)]
#[command(name = "tutorwatch", version, about)]
pub struct Cli {
    /// Settings file (TOML). Defaults to ./tutorwatch.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service: ingest from NATS JetStream into the log, and the HTTP endpoints.
    Serve,
    /// Inspect the log (stop `serve` first: the data directory is locked while it runs).
    Log {
        #[command(subcommand)]
        command: crate::cmd::log::LogCommand,
    },
    /// Evidence bundles: a finding with its evidence events, their inclusion proofs and the
    /// signed checkpoint, as one file anyone with the public key can check offline.
    Evidence {
        #[command(subcommand)]
        command: crate::cmd::evidence::EvidenceCommand,
    },
    /// Signed snapshots of the public lists (`GET /v1/lists/{black,white}/snapshot`).
    Snapshot {
        #[command(subcommand)]
        command: crate::cmd::evidence::SnapshotCommand,
    },
    /// The key that signs checkpoints of the log.
    Checkpoint {
        #[command(subcommand)]
        command: crate::cmd::checkpoint::CheckpointCommand,
    },
    /// Issue, list and revoke API tokens (kept as hashes in DATA_DIR/tokens.jsonl; works while
    /// `serve` runs).
    Token {
        #[command(subcommand)]
        command: crate::cmd::token::TokenCommand,
    },
    /// NATS users for a secured nats-server: mint a producer's, the service's or the admin
    /// loader's NKey and append it, with least-privilege permissions, to the users file.
    Nats {
        #[command(subcommand)]
        command: crate::cmd::nats::NatsCommand,
    },
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Print a well-formed JSON example of an event type (or list the types).
    Example {
        /// An event type, e.g. `schedule.course_published`. Omit to list them all.
        event_type: Option<String>,
    },
    /// Validate JSON events (one per line, or one per file) and publish them to JetStream.
    /// Credentials, TLS and the inbox prefix come from the `[nats]` settings or `TW_NATS_*`.
    Publish {
        /// Files with JSON events; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// NATS URL; defaults to the settings' `nats_url`.
        #[arg(long)]
        nats: Option<String>,
        /// Publish as the admin loader (`tw.in.admin.…`, its NKey's only prefix), which may send
        /// any producer's events; by default each event goes on its producer's own prefix.
        #[arg(long)]
        admin: bool,
    },
    /// Rebuild every projection from the log and print a digest (counts per rule, a hash of all
    /// findings and list entries). Stop `serve` first.
    Replay {
        /// The data directory (the log is in DIR/log).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// A policy file to judge the log by, instead of the configured one.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Also replay under the configured policy and print what --policy adds, removes and
        /// changes, and which institutions it moves on or off the black and white lists.
        #[arg(long, requires = "policy")]
        diff: bool,
        /// Compare the replay with the stored projections (DIR/projections); exit 1 if they differ.
        #[arg(long, conflicts_with = "diff")]
        check: bool,
        /// Split the fold by institution into this many partitions, one thread each (1 to 64;
        /// default: one per core). The result is the same for every number.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=64))]
        partitions: Option<u8>,
    },
    /// Print stored findings, oldest first, as JSON: `{"findings": [...], "next": CURSOR}`.
    /// Stop `serve` first.
    Findings {
        /// The data directory (the projections are in DIR/projections).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Only findings in this region or below it (6-digit code).
        #[arg(long, conflicts_with_all = ["institution"])]
        region: Option<String>,
        /// Only findings about this institution (credit code).
        #[arg(long)]
        institution: Option<String>,
        /// Only this rule, e.g. ONLINE_LESSON_MAX_30MIN.
        #[arg(long)]
        rule: Option<String>,
        /// Only this status: open, withdrawn, acknowledged, rectification_ordered, resolved, penalised.
        #[arg(long)]
        status: Option<String>,
        /// Continue after this cursor (the `next` of the previous page).
        #[arg(long)]
        after: Option<String>,
        /// The most findings to print.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Print the black and white lists as JSON. Stop `serve` first.
    Lists {
        /// The data directory (the projections are in DIR/projections).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
    /// List every rule: id, area, severity, source document, what it means for the lists, and
    /// the policy figures in force on a date in a region (Chinese; `--lang en` for English).
    Rules(crate::cmd::rules::RulesArgs),
    /// Generate a seeded synthetic city with planted violations and their expected findings.
    Gen(crate::cmd::gen::GenArgs),
    /// Compare stored findings with a generated city's truth: precision and recall per rule.
    Check(crate::cmd::check::CheckArgs),
}

/// Parses the command line, runs the command, and turns errors into a message and exit code 1.
pub fn main() -> ExitCode {
    // First, before the process allocates much (see `memory`).
    let huge_pages = crate::memory::without_transparent_huge_pages();
    let cli = Cli::parse();
    crate::telemetry::init(match cli.command {
        Command::Serve => "info",
        _ => "warn",
    });
    if let Err(error) = huge_pages {
        tracing::warn!(%error, "transparent huge pages stay on for this process: it may hold more memory");
    }
    match run(cli) {
        Ok(code) => code,
        // The reader of stdout went away (`tutorwatch rules | head`): it has what it wanted.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has closed it.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::runtime()?
                .block_on(crate::serve::run(settings, crate::serve::shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Log { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::log::run(command, &settings)
        }
        Command::Snapshot { command } => crate::cmd::evidence::run_snapshot(command),
        Command::Evidence { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::evidence::run(command, &settings)
        }
        Command::Checkpoint { command } => crate::cmd::checkpoint::run(command),
        Command::Token { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::token::run(command, settings.data_dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Nats { command } => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::nats::run(command, &settings.data_dir)
        }
        Command::Openapi => {
            let doc = crate::api::openapi();
            crate::cmd::output::print_json(&serde_json::to_value(&doc)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Example { event_type } => {
            crate::cmd::example::print_example(event_type.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay {
            data,
            policy,
            diff,
            check,
            partitions,
        } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let partitions =
                partitions.map_or_else(tutorwatch_follower::replay_partitions_default, usize::from);
            let options = crate::cmd::replay::ReplayOptions {
                policy_file: policy.as_deref(),
                show_diff: diff,
                check,
                partitions,
            };
            crate::cmd::replay::run(&settings, &data, &options)
        }
        Command::Findings {
            data,
            region,
            institution,
            rule,
            status,
            after,
            limit,
        } => {
            let filter = crate::cmd::replay::FindingsFilter {
                region,
                institution,
                rule,
                status,
                after,
                limit,
            };
            crate::cmd::replay::print_findings(&data, &filter)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Lists { data } => {
            crate::cmd::replay::print_lists(&data)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen(args) => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::gen::run(&args, &settings.validation_context()?, &settings.nats)
        }
        Command::Check(args) => crate::cmd::check::run(&args),
        Command::Rules(args) => {
            let settings = Settings::load(cli.config.as_deref())?;
            crate::cmd::rules::run(&args, &settings)
        }
        Command::Publish { files, nats, admin } => {
            let settings = Settings::load(cli.config.as_deref())?;
            let url = nats.unwrap_or_else(|| settings.nats_url.clone());
            let validation = settings.validation_context()?;
            let sender = admin.then(|| Sender::direct(Identity::Admin));
            crate::cmd::runtime()?.block_on(crate::cmd::publish::publish(
                &url,
                &settings.nats,
                &files,
                &validation,
                sender.as_ref(),
            ))
        }
    }
}
