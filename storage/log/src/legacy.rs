//! Logs written in layout 1 (three trees: `log`, one value per entry under its big-endian
//! sequence; `event_ids`; `facts`) are rewritten into layout 2 (see `keys`) the first time this
//! code opens them, in place, in the same sled database.
//!
//! The entries are copied as stored, without judging them, in runs of consecutive sequences (a
//! gap starts a new batch), so whatever `verify` would have reported before it reports after.
//! The layout key is written last, in the same atomic batch as the last copied values: until it
//! is there, a crash leaves the old trees whole and the next open starts the copy again from an
//! empty `chain`; once it is, the old trees are dropped (again, if a crash interrupted that).

use crate::batch;
use crate::error::LogError;
use crate::keys;
use crate::log::EVENTS_PER_APPEND_MAX;

const LEGACY_LOG_TREE: &str = "log";
const LEGACY_EVENT_IDS_TREE: &str = "event_ids";
const LEGACY_FACTS_TREE: &str = "facts";
const LEGACY_TREES: [&str; 3] = [LEGACY_LOG_TREE, LEGACY_EVENT_IDS_TREE, LEGACY_FACTS_TREE];

/// Index and fact values copied per sled batch while upgrading, and the entries copied between
/// two progress lines.
const COPY_CHUNK: usize = 100_000;

/// Brings `chain` to the current layout: records the layout in a new log, rewrites a layout-1
/// log into it, and drops what an interrupted upgrade left behind.
pub(crate) fn upgrade(db: &sled::Db, chain: &sled::Tree) -> Result<(), LogError> {
    let names = db.tree_names();
    let has = |name: &str| names.iter().any(|n| n.as_ref() == name.as_bytes());
    match chain.get(keys::LAYOUT_KEY)? {
        Some(layout) if layout.as_ref() == [keys::LAYOUT] => {}
        Some(layout) => {
            return Err(LogError::Corrupt {
                seq: 0,
                reason: format!(
                "the log is in layout {:?}, which this version does not know (it writes layout {})",
                layout.as_ref(),
                keys::LAYOUT
            ),
            })
        }
        None => {
            chain.clear()?;
            if has(LEGACY_LOG_TREE) {
                copy_legacy(db, chain)?;
            }
            chain.insert(keys::LAYOUT_KEY, &[keys::LAYOUT])?;
            db.flush()?;
        }
    }
    for name in LEGACY_TREES {
        if has(name) {
            db.drop_tree(name)?;
        }
    }
    db.flush()?;
    Ok(())
}

/// Copies the three legacy trees into `chain` (not yet marked with the layout).
fn copy_legacy(db: &sled::Db, chain: &sled::Tree) -> Result<(), LogError> {
    let entries = db.open_tree(LEGACY_LOG_TREE)?;
    let total = entries.len();
    if total > 0 {
        tracing::info!(
            entries = total,
            "the log is in the layout of an earlier version: rewriting it, one value per batch"
        );
    }
    let mut run: Vec<(u64, sled::IVec)> = Vec::new();
    let (mut copied, mut next_report) = (0usize, COPY_CHUNK);
    for item in entries.iter() {
        let (key, value) = item?;
        let seq = legacy_seq(&key)?;
        let continues = run.last().is_none_or(|(last, _)| seq == last + 1);
        if !continues || run.len() >= EVENTS_PER_APPEND_MAX {
            copied += store_run(chain, &run)?;
            run.clear();
            if copied >= next_report {
                tracing::info!(copied, of = total, "rewriting the log");
                next_report += COPY_CHUNK;
            }
        }
        run.push((seq, value));
    }
    store_run(chain, &run)?;
    for (tree, prefix) in [
        (LEGACY_EVENT_IDS_TREE, keys::id_prefix()),
        (LEGACY_FACTS_TREE, keys::fact(&[])),
    ] {
        let tree = db.open_tree(tree)?;
        let mut writes = sled::Batch::default();
        let mut pending = 0;
        for item in tree.iter() {
            let (key, value) = item?;
            let mut prefixed = prefix.clone();
            prefixed.extend_from_slice(&key);
            writes.insert(prefixed, value);
            pending += 1;
            if pending == COPY_CHUNK {
                chain.apply_batch(std::mem::take(&mut writes))?;
                pending = 0;
            }
        }
        chain.apply_batch(writes)?;
    }
    Ok(())
}

/// Stores one run of consecutive legacy entries as one batch value; returns how many it held.
fn store_run(chain: &sled::Tree, run: &[(u64, sled::IVec)]) -> Result<usize, LogError> {
    let Some((last, _)) = run.last() else {
        return Ok(0);
    };
    let entries: Vec<&[u8]> = run.iter().map(|(_, value)| value.as_ref()).collect();
    chain.insert(keys::batch(*last), batch::assemble(&entries))?;
    Ok(run.len())
}

fn legacy_seq(key: &[u8]) -> Result<u64, LogError> {
    let bytes: [u8; 8] = key.try_into().map_err(|_| LogError::BadKey(key.len()))?;
    Ok(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests;
