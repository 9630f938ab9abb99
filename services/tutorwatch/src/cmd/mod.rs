//! The commands, one module each; `crate::cli` parses the command line and calls them. A command
//! module uses `data` and `output` and the library's other modules, never `cli`.
//!
//! - `log`: `log stats|verify|prove|check-proof|reingest`, and `salvage`: `log salvage`;
//!   `checkpoint`: `checkpoint keygen`;
//! - `evidence`: `evidence export|verify` and `snapshot verify`;
//! - `token`: `token issue|list|revoke`; `nats`: `nats user add`;
//! - `example`, `publish`: example events, and publishing event files to JetStream;
//! - `replay`: `replay` (with `--check` and `--diff`), `findings` and `lists`;
//! - `rules`: the rule catalogue with the policy figures in force;
//! - `gen`, `check`: a synthetic city with its ground truth, and the stored findings checked
//!   against it;
//! - `data`, `output`: finding the stores in a data directory, and printing results.
//!
//! `serve` is `crate::serve`, which wires the service together.

pub(crate) mod check;
pub(crate) mod checkpoint;
pub(crate) mod data;
pub(crate) mod evidence;
pub(crate) mod example;
pub(crate) mod gen;
pub(crate) mod log;
pub(crate) mod nats;
pub(crate) mod output;
pub(crate) mod publish;
pub(crate) mod replay;
pub(crate) mod rules;
pub(crate) mod salvage;
pub(crate) mod token;

use anyhow::Context as _;

/// The async runtime the async commands (`serve`, `publish`, `gen --publish`) run on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
