//! The Tutorwatch service and its command line.
//!
//! # Layout
//! - `cli`: the commands (`serve`, `log stats`, `log verify`, `replay`, `findings`, `lists`,
//!   `token`, `nats user add`, `openapi`, `gen`, `check`, `example`, `publish`, `bench`).
//! - `replay`: rebuilding projections from the log, what-if diffs, and reading stored findings.
//! - `config`: typed settings from a TOML file with `TW_*` environment overrides.
//! - `nats`: the `[nats]` settings (credentials, TLS, inbox prefix) and the connect options
//!   `serve`, `publish` and `gen --publish` use; `nats_cmd`: `tutorwatch nats user add`, which
//!   mints NKey users with least-privilege permissions for the server's users file.
//! - `data_dir`: the data directory created owner-only, and refused by `serve` when shared.
//! - `telemetry`: the tracing subscriber.
//! - `token_cmd`: `tutorwatch token issue|list|revoke`.
//! - `serve`: wires the log, ingest and the HTTP endpoints together, and shuts them down.
//! - `listener`: HTTP connections, capped in number and timed while they send a request's head.
//! - `api`: the HTTP API (officers, institutions, banks, the public) and its OpenAPI document.
//! - `console`: the web pages (zh-CN, English on request): the public lists, the officers'
//!   console and the institutions' portal, served beside the API and calling the same code.
//! - `outbound`: new findings published on NATS (`tw.out.findings.<region>.<rule>`).
//! - `bench`: ingest measured against its ceilings; `bench_http`: the query API timed under
//!   that load.
//! - `gen_cmd`, `check_cmd`: a synthetic city with its ground truth, and the stored findings
//!   checked against that truth.

pub mod api;
pub mod bench;
pub mod bench_http;
pub mod check_cmd;
pub mod checkpoints;
pub mod cli;
pub mod config;
pub mod console;
pub mod data_dir;
pub mod evidence_cmd;
pub mod gen_cmd;
pub mod listener;
pub mod nats;
pub mod nats_cmd;
pub mod outbound;
pub mod replay;
pub mod serve;
pub mod telemetry;
pub mod token_cmd;
