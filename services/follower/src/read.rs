//! Reading a run of log entries as logged events, checking that they follow on and that the
//! log's id index points back at each.

use tutorwatch_events::LoggedEvent;
use tutorwatch_log::EventLog;

use crate::error::ProjectorError;

/// Reads up to `limit` events starting at sequence `from`, and none past the log's durable head
/// (`EventLog::last_seq`, which moves only after an append is flushed): an entry of an append
/// still being flushed may yet be lost to a crash, and projections must never run ahead of the
/// log that survives (the store's fund rows add each event once, by sequence). An entry whose
/// event does not decode is [`ProjectorError::Decode`] naming it; an entry out of order is
/// [`ProjectorError::Gap`]; an entry whose event id the log's id index does not send back to it
/// is [`ProjectorError::IdIndex`] (the exact duplicate check is damaged), as in `tutorwatch log
/// verify`.
///
/// The id lookups are also what keeps sled's memory flat while a long run of the log is read
/// (a replay, a rebuild, a follower catching up). sled 0.34 pages out only when one of its 256
/// cache shards has queued 64 accesses, and reading the log in order touches each page of
/// batches about once, so reading a 1M-event log kept every page it had read: 207 MB, about 200
/// bytes per event. Each lookup touches a page of the id index, spread over all shards, and the
/// shards then page out as they should: the same read with the lookups held 84 MB.
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
            let event = LoggedEvent::try_from(record).map_err(|e| ProjectorError::Decode {
                seq: record.seq,
                reason: e.to_string(),
            })?;
            match log.seq_of(&event.envelope.event_id)? {
                Some(seq) if seq == record.seq => Ok(event),
                found => Err(ProjectorError::IdIndex {
                    seq: record.seq,
                    found,
                }),
            }
        })
        .collect()
}
