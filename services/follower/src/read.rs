//! Reading a run of log entries as logged events, checking that they follow on.

use tutorwatch_events::LoggedEvent;
use tutorwatch_log::EventLog;

use crate::error::ProjectorError;

/// Reads up to `limit` events starting at sequence `from`, and none past the log's durable head
/// (`EventLog::last_seq`, which moves only after an append is flushed): an entry of an append
/// still being flushed may yet be lost to a crash, and projections must never run ahead of the
/// log that survives (the store's fund rows add each event once, by sequence). An entry whose
/// event does not decode is [`ProjectorError::Decode`] naming it; an entry out of order is
/// [`ProjectorError::Gap`].
pub(crate) fn read_events(
    log: &EventLog,
    from: u64,
    limit: usize,
) -> Result<Vec<LoggedEvent>, ProjectorError> {
    let durable = log.last_seq();
    if from > durable {
        return Ok(Vec::new());
    }
    let limit = limit.min(usize::try_from(durable - from + 1).unwrap_or(usize::MAX));
    let mut expected = from;
    log.read_from(from, limit)?
        .iter()
        .map(|record| {
            if record.seq != expected {
                return Err(ProjectorError::Gap {
                    expected,
                    found: record.seq,
                });
            }
            expected += 1;
            LoggedEvent::try_from(record).map_err(|e| ProjectorError::Decode {
                seq: record.seq,
                reason: e.to_string(),
            })
        })
        .collect()
}
