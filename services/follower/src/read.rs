//! Reading a run of log entries as logged events, checking that they follow on and, for a
//! sample, that the log's id index points back at them.

use tutorwatch_events::LoggedEvent;
use tutorwatch_log::EventLog;

use crate::error::ProjectorError;

/// One event in this many (those whose sequence is a multiple of it) is looked up in the log's
/// id index as it is read.
///
/// The lookups are what keeps sled's memory flat while a long run of the log is read (a replay,
/// a rebuild, a follower catching up). sled 0.34 pages out only when one of its 256 cache shards
/// has queued 64 accesses, and reading the log in order touches each page of batches about once,
/// so reading a 1M-event log kept every page it had read: 207 MB, about 200 bytes per event. The
/// lookups touch pages all over the id index, the shards fill, and sled pages out as it should.
/// Measured on one 1M-event log, projecting it into an empty store (`tutorwatch-bench
/// --rebuild-log`, twice each): no lookups 39,000 events/s at 836 MiB, one in 8 38,300 at 708-735
/// MiB, every event 33,200 at 690 MiB. The sample also catches a damaged index, though only
/// `tutorwatch log verify` checks every entry.
pub(crate) const ID_INDEX_CHECK_EVERY: u64 = 8;

/// Reads up to `limit` events starting at sequence `from`, and none past the log's durable head
/// (`EventLog::last_seq`, which moves only after an append is flushed): an entry of an append
/// still being flushed may yet be lost to a crash, and projections must never run ahead of the
/// log that survives (the store's fund rows add each event once, by sequence). An entry whose
/// event does not decode is [`ProjectorError::Decode`] naming it; an entry out of order is
/// [`ProjectorError::Gap`]; an entry of the [`ID_INDEX_CHECK_EVERY`] sample whose event id the
/// log's id index does not send back to it is [`ProjectorError::IdIndex`] (the exact duplicate
/// check is damaged).
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
            if record.seq % ID_INDEX_CHECK_EVERY != 0 {
                return Ok(event);
            }
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
