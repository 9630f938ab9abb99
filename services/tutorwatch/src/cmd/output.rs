//! Printing a command's result: one line of JSON on stdout (progress and errors go to stderr).

use std::io::Write;

pub(crate) fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}
