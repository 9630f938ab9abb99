//! Settings: defaults, then a TOML file, then the `TW_NATS_URL`, `TW_DATA_DIR` and `TW_HTTP_ADDR`
//! environment variables (and `TW_NATS_<KEY>` for the `[nats]` table, `TW_CHECKPOINT_KEY_FILE`
//! for `[checkpoints] key_file`, `TW_CONSOLE_SECURE_COOKIE` for `[api] console_secure_cookie`),
//! each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;
use tutorwatch_events::{CreditCode, ValidationContext};
use tutorwatch_follower::FollowSettings;
use tutorwatch_ingest::IngestSettings;
use tutorwatch_projections::Policy;
use tutorwatch_trust::TrustSettings;

use crate::api::ApiSettings;

/// The file read when `--config` is not given, if it exists.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "tutorwatch.toml";

/// Everything `tutorwatch serve` needs to know.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Where NATS listens.
    pub nats_url: String,
    /// How to authenticate to NATS, TLS and the inbox prefix (`crate::nats`).
    pub nats: crate::nats::NatsSettings,
    /// Where the log (and, later, projection state) lives.
    pub data_dir: PathBuf,
    /// Where the HTTP endpoints listen.
    pub http_addr: SocketAddr,
    /// Credit codes that fail the checksum but are legally valid (rule USCC_LEGACY_EXCEPTIONS).
    pub legacy_credit_codes: Vec<String>,
    /// The policy (rule figures, regional overrides, calendars) as TOML; the national policy
    /// shipped with Tutorwatch when unset.
    pub policy_file: Option<PathBuf>,
    pub ingest: IngestSettings,
    pub projector: FollowSettings,
    /// The HTTP API's limits and configured tokens.
    pub api: ApiSettings,
    /// The trust policy's settings (`[trust]`: the clock skew allowed).
    pub trust: TrustSettings,
    /// Signed checkpoints of the log (`[checkpoints]`; off without a key file).
    pub checkpoints: crate::checkpoints::CheckpointSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats: crate::nats::NatsSettings::default(),
            data_dir: PathBuf::from("./data"),
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            legacy_credit_codes: Vec::new(),
            policy_file: None,
            ingest: IngestSettings::default(),
            projector: FollowSettings::default(),
            api: ApiSettings::default(),
            trust: TrustSettings::default(),
            checkpoints: crate::checkpoints::CheckpointSettings::default(),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("the config file {0} does not exist")]
    Missing(PathBuf),
    #[error("invalid settings: {0}")]
    Invalid(String),
    #[error(transparent)]
    Nats(#[from] crate::nats::NatsSettingsError),
    #[error(transparent)]
    Ingest(#[from] tutorwatch_ingest::IngestSettingsError),
    #[error("legacy_credit_codes: {code:?} is not a well-formed credit code: {reason}")]
    LegacyCode { code: String, reason: String },
    #[error("reading the policy file {path}: {reason}")]
    PolicyFile { path: PathBuf, reason: String },
    #[error("the policy in {path} is invalid: {reason}")]
    Policy { path: String, reason: String },
}

/// Loads a policy from a TOML file, or the shipped national policy when `file` is `None`.
pub(crate) fn load_policy(file: Option<&Path>) -> Result<Policy, ConfigError> {
    match file {
        None => Policy::national().map_err(|e| ConfigError::Policy {
            path: "(national policy)".into(),
            reason: e.to_string(),
        }),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::PolicyFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
            Policy::from_toml(&text).map_err(|e| ConfigError::Policy {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    }
}

impl Settings {
    /// Loads settings from `file` (or `tutorwatch.toml` if present) and the environment.
    pub(crate) fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        match file {
            Some(path) if !path.exists() => return Err(ConfigError::Missing(path.to_owned())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        figment = figment.merge(Env::prefixed("TW_").only(&["nats_url", "data_dir", "http_addr"]));
        figment = figment.merge(
            Env::prefixed("TW_NATS_")
                .only(crate::nats::ENV_KEYS)
                .map(|key| format!("nats.{key}").into()),
        );
        figment = figment.merge(
            Env::raw()
                .only(&["TW_CHECKPOINT_KEY_FILE"])
                .map(|_| "checkpoints.key_file".into()),
        );
        figment = figment.merge(
            Env::raw()
                .only(&["TW_CONSOLE_SECURE_COOKIE"])
                .map(|_| "api.console_secure_cookie".into()),
        );
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.validation_context()?;
        settings.policy()?;
        settings.nats.check()?;
        settings.ingest.check()?;
        Ok(settings)
    }

    /// The policy the settings name.
    pub(crate) fn policy(&self) -> Result<Policy, ConfigError> {
        load_policy(self.policy_file.as_deref())
    }

    /// The validation configuration the settings describe.
    pub(crate) fn validation_context(&self) -> Result<ValidationContext, ConfigError> {
        let codes = self
            .legacy_credit_codes
            .iter()
            .map(|code| {
                CreditCode::parse(code).map_err(|e| ConfigError::LegacyCode {
                    code: code.clone(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ValidationContext::with_legacy_codes(codes))
    }
}

#[cfg(test)]
// figment's Jail dictates the closure's error type, which clippy finds large.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn the_console_cookie_is_secure_only_when_the_file_or_the_environment_says_so() {
        figment::Jail::expect_with(|jail| {
            let defaults = Settings::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(!defaults.api.console_secure_cookie);
            jail.create_file("tw.toml", "[api]\nconsole_secure_cookie = true\n")?;
            let from_file = Settings::load(Some(Path::new("tw.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(from_file.api.console_secure_cookie);
            jail.set_env("TW_CONSOLE_SECURE_COOKIE", "true");
            let from_env = Settings::load(None).map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(from_env.api.console_secure_cookie);
            Ok(())
        });
    }

    #[test]
    fn a_file_then_the_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                r#"
                    nats_url = "nats://10.0.0.1:4222"
                    data_dir = "/var/lib/tutorwatch"
                    legacy_credit_codes = ["91350100M0001TGQXM"]
                    [ingest]
                    batch_max = 50
                "#,
            )?;
            jail.set_env("TW_DATA_DIR", "/srv/tw");
            let settings = Settings::load(Some(Path::new("custom.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(settings.nats_url, "nats://10.0.0.1:4222");
            assert_eq!(settings.data_dir, PathBuf::from("/srv/tw"));
            assert_eq!(settings.ingest.batch_max, 50);
            assert_eq!(settings.http_addr.port(), 8080);
            Ok(())
        });
    }

    #[test]
    fn the_checkpoint_key_file_comes_from_the_file_or_tw_checkpoint_key_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "cp.toml",
                r#"
                    [checkpoints]
                    key_file = "/etc/tw/checkpoint.key"
                    every_events = 500
                "#,
            )?;
            let settings = Settings::load(Some(Path::new("cp.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(
                settings.checkpoints.key_file,
                Some(PathBuf::from("/etc/tw/checkpoint.key"))
            );
            assert_eq!(settings.checkpoints.every_events, 500);
            assert_eq!(settings.checkpoints.every_secs, 60);
            assert_eq!(
                settings.checkpoints.file_in(Path::new("/srv/tw")),
                PathBuf::from("/srv/tw/checkpoints.jsonl")
            );
            jail.set_env("TW_CHECKPOINT_KEY_FILE", "/run/keys/cp.key");
            let settings = Settings::load(Some(Path::new("cp.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(
                settings.checkpoints.key_file,
                Some(PathBuf::from("/run/keys/cp.key"))
            );
            Ok(())
        });
    }

    #[test]
    fn the_nats_table_comes_from_the_file_and_tw_nats_variables() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "nats.toml",
                r#"
                    [nats]
                    nkey_seed_file = "/etc/tw/service.nk"
                    tls_ca_file = "/etc/tw/ca.pem"
                    inbox_prefix = "_INBOX.service"
                "#,
            )?;
            jail.set_env("TW_NATS_URL", "tls://127.0.0.1:4223");
            jail.set_env("TW_NATS_TLS_REQUIRED", "true");
            jail.set_env("TW_NATS_TLS_CA_FILE", "/srv/ca.pem");
            let settings = Settings::load(Some(Path::new("nats.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(settings.nats_url, "tls://127.0.0.1:4223");
            assert_eq!(
                settings.nats.nkey_seed_file,
                Some(PathBuf::from("/etc/tw/service.nk"))
            );
            assert_eq!(
                settings.nats.tls_ca_file,
                Some(PathBuf::from("/srv/ca.pem"))
            );
            assert!(settings.nats.tls_required);
            assert_eq!(
                settings.nats.inbox_prefix.as_deref(),
                Some("_INBOX.service")
            );
            jail.set_env("TW_NATS_CREDS_FILE", "/etc/tw/service.creds");
            assert!(matches!(
                Settings::load(Some(Path::new("nats.toml"))),
                Err(ConfigError::Nats(crate::nats::NatsSettingsError::ManyAuth(
                    _
                )))
            ));
            Ok(())
        });
    }

    #[test]
    fn api_tokens_and_limits_come_from_the_file() {
        figment::Jail::expect_with(|jail| {
            let (token, record) = crate::api::tokens::issue(
                crate::api::principal::Principal::Registry {
                    region: tutorwatch_events::RegionCode::parse("440200")
                        .map_err(|e| figment::Error::from(e.to_string()))?,
                },
                "bureau",
            )
            .map_err(|e| figment::Error::from(e.to_string()))?;
            jail.create_file(
                "api.toml",
                &format!(
                    r#"
                    [api]
                    write_wait_ms = 500
                    [[api.tokens]]
                    id = "{}"
                    hash = "{}"
                    label = "bureau"
                    principal = {{ role = "registry", region = "440200" }}
                "#,
                    record.id, record.hash
                ),
            )?;
            let settings = Settings::load(Some(Path::new("api.toml")))
                .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(settings.api.write_wait_ms, 500);
            assert_eq!(settings.api.tokens, vec![record.clone()]);
            let store = crate::api::tokens::TokenStore::open(
                PathBuf::from("tokens.jsonl"),
                settings.api.tokens.clone(),
            )
            .map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(store.principal(&token), Some(record.principal));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_legacy_codes_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "nats_ulr = \"x\"")?;
            assert!(matches!(
                Settings::load(Some(Path::new("a.toml"))),
                Err(ConfigError::Invalid(_))
            ));
            jail.create_file("b.toml", "legacy_credit_codes = [\"nope\"]")?;
            assert!(matches!(
                Settings::load(Some(Path::new("b.toml"))),
                Err(ConfigError::LegacyCode { .. })
            ));
            assert!(matches!(
                Settings::load(Some(Path::new("missing.toml"))),
                Err(ConfigError::Missing(_))
            ));
            jail.create_file("c.toml", "[ingest]\nbatch_max = 0")?;
            assert!(matches!(
                Settings::load(Some(Path::new("c.toml"))),
                Err(ConfigError::Ingest(
                    tutorwatch_ingest::IngestSettingsError::BatchMax(0)
                ))
            ));
            Ok(())
        });
    }
}
