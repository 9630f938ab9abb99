//! `tutorwatch nats user add`: mints a NATS user (an NKey pair, with the `nkeys` crate) for a
//! producer, the service, the admin loader or a findings reader. It writes the user's seed to a
//! file only its owner can read, and appends the user's public key with its least-privilege
//! permissions to the nats-server users file (`deploy/nats/nats-server.conf` includes it).
//!
//! **Invariant:** a producer's user may publish only under its own sender prefix
//! (`tw.in.<sender>.>`, from `tutorwatch_events::Identity`, whose rule ingest reads the sender
//! back with) and subscribe only to its own inbox prefix (for PubAcks). Only the service may use
//! the JetStream API, ack, publish `tw.in.api.>`, dead letters, `tw.out.>` and `tw.checkpoints`.
//! The seed is never printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use tutorwatch_events::ids::{BankId, OfficerId};
use tutorwatch_events::{CreditCode, Identity, RegionCode, SUBJECT_PREFIX};

/// The users file, relative to the data directory, that `deploy/run.sh` gives nats-server.
pub(crate) const USERS_FILE: &str = "nats/users.conf";

/// The inbox prefix of the service's user (`[nats] inbox_prefix` of `serve`).
pub(crate) const SERVICE_INBOX_PREFIX: &str = "_INBOX.service";

/// `tutorwatch nats ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum NatsCommand {
    /// NATS users (NKeys) for producers, the service, the admin loader and findings readers.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

/// `tutorwatch nats user ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Mint a user: write its NKey seed to --out (mode 0600) and append its public key and
    /// permissions to the server's users file. Reload nats-server afterwards.
    Add(AddArgs),
}

/// Who a NATS user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Role {
    /// An institution, publishing its own events (`--institution CODE`).
    Institution,
    /// An escrow bank (`--bank ID`).
    Bank,
    /// A region's registry (`--region R`).
    Registry,
    /// An inspector (`--officer ID --region R`, the jurisdiction).
    Officer,
    /// The operator's loader (`gen --publish`, backfills): may send any producer's events.
    Admin,
    /// `tutorwatch serve` itself: the JetStream API, acks, API writes, dead letters, findings.
    Service,
    /// A downstream system that reads new findings (`tw.out.findings.>`) (`--name NAME`).
    Reader,
}

/// The flags of `tutorwatch nats user add`.
#[derive(Debug, clap::Args)]
pub(crate) struct AddArgs {
    #[arg(long, value_enum)]
    role: Role,
    /// The institution's credit code (role institution).
    #[arg(long)]
    institution: Option<String>,
    /// The bank's id (role bank).
    #[arg(long)]
    bank: Option<String>,
    /// The officer's id (role officer).
    #[arg(long)]
    officer: Option<String>,
    /// The region (roles registry and officer), 6 digits.
    #[arg(long)]
    region: Option<String>,
    /// A name for a reader (letters, digits, `_` and `-`).
    #[arg(long)]
    name: Option<String>,
    /// Where the seed file goes (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The nats-server users file to append to; defaults to DATA_DIR/nats/users.conf.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
}

/// What a minted user may do on NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The user's name in the users file and its seed file's name: the sender (`bank.icbc~gz`),
    /// `service` or `reader.<name>`.
    pub name: String,
    /// The inbox prefix the client must use (`[nats] inbox_prefix`); empty for a reader, which
    /// makes no requests.
    pub inbox_prefix: Option<String>,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
}

fn required<'a>(value: &'a Option<String>, flag: &str, role: &str) -> anyhow::Result<&'a str> {
    match value {
        Some(value) => Ok(value),
        None => bail!("--role {role} needs --{flag}"),
    }
}

fn region(args: &AddArgs, role: &str) -> anyhow::Result<RegionCode> {
    let text = required(&args.region, "region", role)?;
    RegionCode::parse(text).map_err(|e| anyhow::anyhow!("--region {text:?}: {e}"))
}

/// The identity a producer role's user proves (`None` for the service and readers).
fn identity(args: &AddArgs) -> anyhow::Result<Option<Identity>> {
    Ok(Some(match args.role {
        Role::Institution => {
            let text = required(&args.institution, "institution", "institution")?;
            Identity::Institution(
                CreditCode::parse(text)
                    .map_err(|e| anyhow::anyhow!("--institution {text:?}: {e}"))?,
            )
        }
        Role::Bank => {
            let text = required(&args.bank, "bank", "bank")?;
            Identity::Bank(
                BankId::parse(text).map_err(|e| anyhow::anyhow!("--bank {text:?}: {e}"))?,
            )
        }
        Role::Registry => Identity::Registry(region(args, "registry")?),
        Role::Officer => {
            let text = required(&args.officer, "officer", "officer")?;
            Identity::Officer {
                officer: OfficerId::parse(text)
                    .map_err(|e| anyhow::anyhow!("--officer {text:?}: {e}"))?,
                region: region(args, "officer")?,
            }
        }
        Role::Admin => Identity::Admin,
        Role::Service | Role::Reader => return Ok(None),
    }))
}

/// The permissions of the user `args` describe.
pub(crate) fn grant(args: &AddArgs) -> anyhow::Result<Grant> {
    let flags = [
        (
            "institution",
            args.institution.is_some(),
            args.role == Role::Institution,
        ),
        ("bank", args.bank.is_some(), args.role == Role::Bank),
        (
            "officer",
            args.officer.is_some(),
            args.role == Role::Officer,
        ),
        (
            "region",
            args.region.is_some(),
            matches!(args.role, Role::Registry | Role::Officer),
        ),
        ("name", args.name.is_some(), args.role == Role::Reader),
    ];
    for (flag, given, wanted) in flags {
        if given && !wanted {
            bail!("--{flag} does not apply to this --role");
        }
    }
    if let Some(identity) = identity(args)? {
        // The same prefix rule ingest reads the sender back with (`Identity`).
        let sender = identity.subject_part();
        let inbox = format!("_INBOX.{sender}");
        return Ok(Grant {
            publish: vec![identity.publish_permission()],
            subscribe: vec![format!("{inbox}.>")],
            inbox_prefix: Some(inbox),
            name: sender,
        });
    }
    Ok(match args.role {
        Role::Service => Grant {
            name: "service".to_owned(),
            inbox_prefix: Some(SERVICE_INBOX_PREFIX.to_owned()),
            publish: vec![
                "$JS.API.>".to_owned(),
                "$JS.ACK.>".to_owned(),
                format!("{SUBJECT_PREFIX}.api.>"),
                format!("{}.>", tutorwatch_events::DLQ_PREFIX),
                "tw.out.>".to_owned(),
                crate::checkpoints::CHECKPOINT_SUBJECT.to_owned(),
            ],
            subscribe: vec![format!("{SERVICE_INBOX_PREFIX}.>")],
        },
        _ => {
            let name = required(&args.name, "name", "reader")?;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                bail!("--name {name:?}: use letters, digits, `_` and `-`");
            }
            Grant {
                name: format!("reader.{name}"),
                inbox_prefix: None,
                publish: Vec::new(),
                subscribe: vec![format!("{}.>", crate::outbound::FINDINGS_SUBJECT_PREFIX)],
            }
        }
    })
}

/// A list of subjects in nats-server's configuration syntax.
fn subjects(list: &[String]) -> String {
    let quoted: Vec<String> = list.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The user's line in the users file.
pub(crate) fn user_line(public_key: &str, grant: &Grant) -> String {
    // An empty allow list would allow everything: a user that may publish nothing is denied ">".
    let publish = if grant.publish.is_empty() {
        "{ deny: [\">\"] }".to_owned()
    } else {
        format!("{{ allow: {} }}", subjects(&grant.publish))
    };
    format!(
        "  {{ nkey: \"{public_key}\", permissions: {{ publish: {publish}, subscribe: {{ allow: {} }} }} }}  # {}",
        subjects(&grant.subscribe),
        grant.name
    )
}

const USERS_HEADER: &str = "\
# The NATS users of Tutorwatch, included by nats-server.conf. `tutorwatch nats user add` appends
# one user per line: an NKey public key and what it may publish and subscribe to. Delete a line to
# revoke that key. Reload nats-server after a change (nats-server --signal reload=PIDFILE, or
# kill -HUP its pid).
";

/// The comment that marks the placeholder user.
const PLACEHOLDER: &str = "# placeholder: an empty list would let anyone in";

/// A new users file. nats-server treats an empty user list as "no authentication", so the list
/// starts with a user that may do nothing, whose password is random and thrown away.
fn new_users_file() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{USERS_HEADER}users = [\n  {{ user: \"nobody\", password: \"{password}\", permissions: \
         {{ publish: {{ deny: [\">\"] }}, subscribe: {{ deny: [\">\"] }} }} }}  {PLACEHOLDER}\n]\n"
    ))
}

/// Adds `line` as the last user in the users file (creating it if missing); returns how many
/// users named `name` it now holds.
fn append_user(path: &Path, line: &str, name: &str) -> anyhow::Result<usize> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_users_file()?,
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut lines: Vec<&str> = text.lines().collect();
    let Some(close) = lines.iter().rposition(|l| l.trim() == "]") else {
        bail!(
            "{} has no line holding just `]` closing `users = [`: it was not written by \
             `tutorwatch nats user add`; add the user by hand",
            path.display()
        );
    };
    let suffix = format!("# {name}");
    let same = lines
        .iter()
        .filter(|l| l.trim_end().ends_with(&suffix))
        .count();
    lines.insert(close, line);
    let mut new_text = lines.join("\n");
    new_text.push('\n');
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let temp = path.with_extension("conf.tmp");
    std::fs::write(&temp, new_text).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(same + 1)
}

/// Writes the seed to a new file only its owner can read.
fn write_seed(path: &Path, seed: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} (an existing seed file is never overwritten)",
            path.display()
        )
    })?;
    writeln!(file, "{seed}").with_context(|| format!("writing {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Runs `tutorwatch nats ...`.
pub(crate) fn run(command: NatsCommand, data_dir: &Path) -> anyhow::Result<ExitCode> {
    let NatsCommand::User {
        command: UserCommand::Add(args),
    } = command;
    let grant = grant(&args)?;
    let users = args
        .users
        .clone()
        .unwrap_or_else(|| data_dir.join(USERS_FILE));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let seed_file = args.out.join(format!("{}.nk", grant.name));
    let key = nkeys::KeyPair::new_user();
    let seed = key
        .seed()
        .map_err(|e| anyhow::anyhow!("the new NKey has no seed: {e}"))?;
    let public_key = key.public_key();
    write_seed(&seed_file, &seed)?;
    let count = append_user(&users, &user_line(&public_key, &grant), &grant.name)?;
    crate::cmd::output::print_json(&json!({
        "user": grant.name,
        "public_key": public_key,
        "seed_file": seed_file.display().to_string(),
        "inbox_prefix": grant.inbox_prefix,
        "publish": grant.publish,
        "subscribe": grant.subscribe,
        "users_file": users.display().to_string(),
    }))?;
    eprintln!(
        "added {} to {}; reload nats-server to let it in: \
         nats-server --signal reload=<its pid file> (deploy/run.sh: {}), or kill -HUP <pid>",
        grant.name,
        users.display(),
        data_dir.join("nats/nats-server.pid").display()
    );
    if count > 1 {
        eprintln!(
            "{} now has {count} keys in {}; delete the old lines to revoke them",
            grant.name,
            users.display()
        );
    }
    eprintln!(
        "keep {} secret: it is the user's identity (give it to its owner over a safe channel)",
        seed_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(role: Role) -> AddArgs {
        AddArgs {
            role,
            institution: None,
            bank: None,
            officer: None,
            region: None,
            name: None,
            out: PathBuf::from("keys"),
            users: None,
        }
    }

    #[test]
    fn producers_publish_only_under_their_own_sender() {
        let mut bank = args(Role::Bank);
        bank.bank = Some("icbc.gz".into());
        let bank = grant(&bank).expect("a bank");
        assert_eq!(bank.name, "bank.icbc~gz");
        assert_eq!(bank.publish, vec!["tw.in.bank.icbc~gz.>"]);
        assert_eq!(bank.subscribe, vec!["_INBOX.bank.icbc~gz.>"]);
        assert_eq!(bank.inbox_prefix.as_deref(), Some("_INBOX.bank.icbc~gz"));

        let mut officer = args(Role::Officer);
        officer.officer = Some("sg-001".into());
        officer.region = Some("440200".into());
        assert_eq!(
            grant(&officer).expect("an officer").publish,
            vec!["tw.in.officer.440200.sg-001.>"]
        );
        assert_eq!(
            grant(&args(Role::Admin)).expect("admin").publish,
            vec!["tw.in.admin.>"]
        );
        let service = grant(&args(Role::Service)).expect("the service");
        assert!(service.publish.contains(&"tw.in.api.>".to_owned()));
        assert!(service.publish.contains(&"tw.checkpoints".to_owned()));
        assert!(!service.publish.iter().any(|s| s == "tw.in.>"));
    }

    #[test]
    fn wrong_or_missing_flags_are_refused() {
        assert!(grant(&args(Role::Bank)).is_err());
        let mut bank = args(Role::Bank);
        bank.bank = Some("ICBC01".into());
        bank.region = Some("440200".into());
        assert!(grant(&bank).is_err());
        let mut inst = args(Role::Institution);
        inst.institution = Some("not-a-code".into());
        assert!(grant(&inst).is_err());
        let mut reader = args(Role::Reader);
        reader.name = Some("a.b".into());
        assert!(grant(&reader).is_err());
    }

    #[test]
    fn users_are_appended_inside_the_list() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let users = dir.path().join("users.conf");
        let mut reader = args(Role::Reader);
        reader.name = Some("press".into());
        let reader = grant(&reader).expect("a reader");
        let line = user_line("UKEY1", &reader);
        assert!(line.contains("publish: { deny: [\">\"] }"));
        assert_eq!(append_user(&users, &line, &reader.name).expect("first"), 1);
        assert_eq!(append_user(&users, &line, &reader.name).expect("second"), 2);
        let text = std::fs::read_to_string(&users).expect("the users file");
        let body: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("users"))
            .collect();
        assert_eq!(body.len(), 5, "{text}");
        assert!(body[1].contains("user: \"nobody\"") && body[1].ends_with(PLACEHOLDER));
        assert!(body[2].ends_with("# reader.press") && body[3].ends_with("# reader.press"));
        assert_eq!(body[4], "]");
        std::fs::write(&users, "users = [ ]\n").expect("a hand-written file");
        assert!(append_user(&users, &line, &reader.name).is_err());
    }
}
