//! NATS connections for `serve`, `publish` and `gen --publish`: the `[nats]` settings (how the
//! client proves who it is, TLS, its inbox prefix) and the one function that turns them into
//! `async_nats::ConnectOptions`.
//!
//! **Invariant:** secrets (seeds, passwords, credentials) are read from files named in the
//! settings, never from the settings themselves, and are never logged or put in an error.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

/// The `[nats]` settings table. Each key can also be set as `TW_NATS_<KEY>` (upper case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct NatsSettings {
    /// A NATS credentials file (a user JWT and its NKey seed), for servers run with accounts.
    pub creds_file: Option<PathBuf>,
    /// A file holding the user's NKey seed (`tutorwatch nats user add` writes one).
    pub nkey_seed_file: Option<PathBuf>,
    /// A user name, with its password in `password_file`.
    pub user: Option<String>,
    /// The file holding the password of `user`.
    pub password_file: Option<PathBuf>,
    /// The CA certificate (PEM) the server's certificate must chain to.
    pub tls_ca_file: Option<PathBuf>,
    /// A client certificate (PEM), for servers that verify clients' certificates.
    pub tls_cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub tls_key_file: Option<PathBuf>,
    /// Refuse to connect without TLS (a `tls://` URL also requires it).
    pub tls_required: bool,
    /// The prefix of the client's reply subjects (`_INBOX` when unset). A server with
    /// permissions lets each user subscribe only to its own prefix: `_INBOX.service` for the
    /// service, `_INBOX.<sender>` for a producer (`tutorwatch nats user add` prints it).
    pub inbox_prefix: Option<String>,
}

/// The `[nats]` keys that `TW_NATS_<KEY>` environment variables override.
pub(crate) const ENV_KEYS: &[&str] = &[
    "creds_file",
    "nkey_seed_file",
    "user",
    "password_file",
    "tls_ca_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_required",
    "inbox_prefix",
];

/// Why the `[nats]` settings cannot make a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NatsSettingsError {
    #[error("nats: set only one way to authenticate, not {0}")]
    ManyAuth(String),
    #[error("nats.password_file is set without nats.user")]
    PasswordWithoutUser,
    #[error("nats.user is set without nats.password_file")]
    UserWithoutPassword,
    #[error("nats.tls_cert_file and nats.tls_key_file must be set together")]
    HalfClientCertificate,
    #[error("nats.{key}: cannot read {path}")]
    Read {
        key: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "nats.nkey_seed_file: {path} does not hold a user NKey seed (a line starting with SU)"
    )]
    NotASeed { path: PathBuf },
    #[error(
        "nats.inbox_prefix: {0:?} is not a subject prefix (dot-separated tokens without spaces, * or >)"
    )]
    InboxPrefix(String),
}

/// Reads a secret file: its first line, trimmed.
fn read_secret(key: &'static str, path: &Path) -> Result<String, NatsSettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| NatsSettingsError::Read {
        key,
        path: path.to_owned(),
        source,
    })?;
    warn_if_readable_by_others(key, path);
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

#[cfg(unix)]
fn warn_if_readable_by_others(key: &str, path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                key,
                path = %path.display(),
                "a NATS secret is readable by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_key: &str, _path: &Path) {}

/// Checks that a file the client will read later exists, naming the key if it does not.
fn readable(key: &'static str, path: &Path) -> Result<PathBuf, NatsSettingsError> {
    std::fs::metadata(path).map_err(|source| NatsSettingsError::Read {
        key,
        path: path.to_owned(),
        source,
    })?;
    Ok(path.to_owned())
}

/// Whether `prefix` can start a subject: non-empty tokens, no whitespace or wildcards.
pub(crate) fn valid_subject_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|token| {
            !token.is_empty()
                && token
                    .chars()
                    .all(|c| !c.is_whitespace() && c != '*' && c != '>')
        })
}

impl NatsSettings {
    /// The ways to authenticate that are set.
    fn auth_methods(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.creds_file.is_some() {
            set.push("creds_file");
        }
        if self.nkey_seed_file.is_some() {
            set.push("nkey_seed_file");
        }
        if self.user.is_some() || self.password_file.is_some() {
            set.push("user");
        }
        set
    }

    /// Checks the settings without reading any secret.
    pub(crate) fn check(&self) -> Result<(), NatsSettingsError> {
        let methods = self.auth_methods();
        if methods.len() > 1 {
            return Err(NatsSettingsError::ManyAuth(methods.join(" and ")));
        }
        match (&self.user, &self.password_file) {
            (None, Some(_)) => return Err(NatsSettingsError::PasswordWithoutUser),
            (Some(_), None) => return Err(NatsSettingsError::UserWithoutPassword),
            _ => {}
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return Err(NatsSettingsError::HalfClientCertificate);
        }
        if let Some(prefix) = &self.inbox_prefix {
            if !valid_subject_prefix(prefix) {
                return Err(NatsSettingsError::InboxPrefix(prefix.clone()));
            }
        }
        Ok(())
    }

    /// The connect options these settings describe: credentials, TLS and inbox prefix. Reads
    /// the secret files now, so a missing or malformed one is reported before connecting.
    pub(crate) async fn connect_options(
        &self,
    ) -> Result<async_nats::ConnectOptions, NatsSettingsError> {
        self.check()?;
        let mut options = async_nats::ConnectOptions::new();
        if let Some(path) = &self.creds_file {
            warn_if_readable_by_others("creds_file", path);
            options =
                options
                    .credentials_file(path)
                    .await
                    .map_err(|source| NatsSettingsError::Read {
                        key: "creds_file",
                        path: path.clone(),
                        source,
                    })?;
        }
        if let Some(path) = &self.nkey_seed_file {
            let seed = read_secret("nkey_seed_file", path)?;
            if !seed.starts_with("SU") || nkeys::KeyPair::from_seed(&seed).is_err() {
                return Err(NatsSettingsError::NotASeed { path: path.clone() });
            }
            options = options.nkey(seed);
        }
        if let (Some(user), Some(path)) = (&self.user, &self.password_file) {
            let password = read_secret("password_file", path)?;
            options = options.user_and_password(user.clone(), password);
        }
        if let Some(path) = &self.tls_ca_file {
            options = options.add_root_certificates(readable("tls_ca_file", path)?);
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert_file, &self.tls_key_file) {
            options = options.add_client_certificate(
                readable("tls_cert_file", cert)?,
                readable("tls_key_file", key)?,
            );
        }
        if self.tls_required {
            options = options.require_tls(true);
        }
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix);
        }
        Ok(options)
    }

    /// What the settings say about authentication, for logs: the method and the file names,
    /// never their contents.
    pub(crate) fn describe(&self) -> String {
        let auth = match (&self.creds_file, &self.nkey_seed_file, &self.user) {
            (Some(path), _, _) => format!("credentials file {}", path.display()),
            (_, Some(path), _) => format!("NKey seed file {}", path.display()),
            (_, _, Some(user)) => format!("user {user}"),
            _ => "no credentials".to_owned(),
        };
        let tls = match &self.tls_ca_file {
            Some(path) => format!("TLS trusting {}", path.display()),
            None if self.tls_required => "TLS required".to_owned(),
            None => "TLS if the server asks".to_owned(),
        };
        let inbox = self.inbox_prefix.as_deref().unwrap_or("_INBOX");
        format!("{auth}, {tls}, inbox prefix {inbox}")
    }
}

/// Connects once (no retries) for a command-line client such as `publish` or `gen --publish`.
pub(crate) async fn connect_once(
    url: &str,
    settings: &NatsSettings,
    name: &str,
) -> anyhow::Result<async_nats::Client> {
    settings
        .connect_options()
        .await?
        .name(name)
        .event_callback(|event| async move {
            if let async_nats::Event::ServerError(error) = event {
                // e.g. a publish outside the key's prefix: the server drops it, and says so here.
                tracing::error!(%error, "NATS refused a request");
            }
        })
        .connect(url)
        .await
        .with_context(|| format!("connecting to NATS at {url} ({})", settings.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_to_authenticate_and_whole_pairs() {
        let both = NatsSettings {
            creds_file: Some("a.creds".into()),
            nkey_seed_file: Some("a.nk".into()),
            ..NatsSettings::default()
        };
        assert!(
            matches!(both.check(), Err(NatsSettingsError::ManyAuth(m)) if m == "creds_file and nkey_seed_file")
        );
        let password_only = NatsSettings {
            password_file: Some("pw".into()),
            ..NatsSettings::default()
        };
        assert!(matches!(
            password_only.check(),
            Err(NatsSettingsError::PasswordWithoutUser)
        ));
        let half = NatsSettings {
            tls_cert_file: Some("c.pem".into()),
            ..NatsSettings::default()
        };
        assert!(matches!(
            half.check(),
            Err(NatsSettingsError::HalfClientCertificate)
        ));
        let inbox = NatsSettings {
            inbox_prefix: Some("_INBOX.>".into()),
            ..NatsSettings::default()
        };
        assert!(matches!(
            inbox.check(),
            Err(NatsSettingsError::InboxPrefix(_))
        ));
        assert!(NatsSettings::default().check().is_ok());
    }

    #[tokio::test]
    async fn a_seed_file_must_hold_a_user_seed_and_errors_never_show_it() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bad.nk");
        std::fs::write(&path, "SUNOTASEED\n").expect("writing the seed file");
        let settings = NatsSettings {
            nkey_seed_file: Some(path.clone()),
            ..NatsSettings::default()
        };
        let error = settings
            .connect_options()
            .await
            .expect_err("a malformed seed is refused");
        assert!(matches!(error, NatsSettingsError::NotASeed { .. }));
        assert!(!error.to_string().contains("SUNOTASEED"));

        let user = nkeys::KeyPair::new_user();
        let seed = user.seed().expect("a new key pair has a seed");
        std::fs::write(&path, format!("{seed}\n")).expect("writing the seed file");
        settings
            .connect_options()
            .await
            .expect("a user seed is accepted");
        let missing = NatsSettings {
            tls_ca_file: Some(dir.path().join("missing-ca.pem")),
            ..NatsSettings::default()
        };
        let error = missing
            .connect_options()
            .await
            .expect_err("a missing CA file");
        assert!(error
            .to_string()
            .starts_with("nats.tls_ca_file: cannot read"));
        assert!(!settings.describe().contains(&seed));
    }
}
