//! Log and store reads done off the async threads: `blocking` runs one and turns a failure into a
//! 500 problem (logged, nothing leaked); `logged_at` and `logged_by_id` read an event back from
//! the log as a [`LoggedEvent`].

use tutorwatch_events::{EventId, LoggedEvent};
use tutorwatch_log::EventLog;

use super::problem::Problem;

/// Runs `work` on the blocking pool; its error (or a panic) is a 500.
pub(crate) async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, Problem>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| Problem::internal(&e))
}

/// The event at `seq`, decoded (`None` past the end of the log).
pub(crate) fn logged_at(log: &EventLog, seq: u64) -> anyhow::Result<Option<LoggedEvent>> {
    let Some(record) = log.read_from(seq, 1)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(LoggedEvent::try_from(&record)?))
}

/// The event with id `id`, decoded (`None` if the log does not hold it; an id whose entry is
/// missing is an error).
pub(crate) fn logged_by_id(log: &EventLog, id: &EventId) -> anyhow::Result<Option<LoggedEvent>> {
    let Some(seq) = log.seq_of(id)? else {
        return Ok(None);
    };
    match logged_at(log, seq)? {
        Some(logged) => Ok(Some(logged)),
        None => anyhow::bail!("the id index names log entry {seq}, which is missing"),
    }
}
