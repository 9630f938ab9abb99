//! Reading a run of log entries as logged events, checking that they follow on.

use tutorwatch_events::LoggedEvent;
use tutorwatch_log::EventLog;

use crate::error::ProjectorError;

/// Reads up to `limit` events starting at sequence `from`. An entry whose event does not decode
/// is [`ProjectorError::Decode`] naming it; an entry out of order is [`ProjectorError::Gap`].
pub(crate) fn read_events(
    log: &EventLog,
    from: u64,
    limit: usize,
) -> Result<Vec<LoggedEvent>, ProjectorError> {
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
