//! The Tutorwatch service and its command line. Its public surface is `cli::main` (the binary),
//! `api` (which the benchmark, `tools/bench`, serves beside the ingest it measures) and `memory`
//! (which the benchmark calls as the binary does); every other module is private to the crate
//! (`unreachable_pub` keeps it so).
//!
//! # Layout
//! - `cli`: the command line's definition, and the dispatch to a command.
//! - `cmd`: the commands, one module each (`log`, `checkpoint`, `evidence`, `token`, `nats`,
//!   `example`, `publish`, `replay`, `gen`, `check`).
//! - `serve`: `tutorwatch serve`: wires the log, ingest, the follower and HTTP together, and
//!   shuts them down; `checkpoints`: its checkpoint task; `listener`: HTTP connections, capped in
//!   number and timed while they send a request's head; `outbound`: new findings published on
//!   NATS (`tw.out.findings.<region>.<rule>`).
//! - `api`: the HTTP API (officers, institutions, banks, the public) and its OpenAPI document.
//! - `console`: the web pages (zh-CN, English on request): the public lists, the officers'
//!   console and the institutions' portal, served beside the API and calling the same code.
//! - `catalogue`: the rule catalogue with the policy figures in force on a date in a region
//!   (`tutorwatch rules`, `GET /v1/rules`).
//! - `config`: typed settings from a TOML file with `TW_*` environment overrides; `nats`: the
//!   `[nats]` settings (credentials, TLS, inbox prefix) and the connect options `serve`,
//!   `publish` and `gen --publish` use; `data_dir`: the data directory created owner-only, and
//!   refused by `serve` when shared; `telemetry`: the tracing subscriber; `memory`: transparent
//!   huge pages off for the process.

#![warn(unreachable_pub)]

pub mod api;
mod catalogue;
mod checkpoints;
pub mod cli;
mod cmd;
mod config;
mod console;
mod data_dir;
mod listener;
pub mod memory;
mod nats;
mod outbound;
mod serve;
mod telemetry;
