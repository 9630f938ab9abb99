//! Tracing: human-readable logs on stderr, filtered by `RUST_LOG` (default `info` for `serve`,
//! `warn` for the one-shot commands, whose output is their result), or JSON lines when
//! `TW_LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber with `default_filter` unless `RUST_LOG` is set. Call once,
/// from `main`.
pub(crate) fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("TW_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests that call main twice) is harmless; ignore it.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
