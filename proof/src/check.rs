//! Checking a log against signed checkpoints (`tutorwatch log verify --checkpoints`): every
//! checkpoint must carry a good signature by the trusted key, the log must reach its sequence
//! (else it was rolled back), and the log's entry there must have the hash it signed, and the
//! entries up to it the Merkle root it signed (else the log diverges from it: history was
//! rewritten).

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use tutorwatch_log::{EventLog, LogError};

use crate::checkpoint::Checkpoint;
use crate::hex;
use crate::merkle::Frontier;
use crate::proof::leaf_of;

/// How many entries are read at a time.
const READ_CHUNK: usize = 10_000;

/// Why a checkpoints file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the checkpoints file {path}")]
pub struct ReadError {
    path: std::path::PathBuf,
    #[source]
    source: std::io::Error,
}

/// One line of a checkpoints file: its line number and the checkpoint, or why it is not one.
pub type CheckpointLine = (usize, Result<Checkpoint, String>);

/// Reads a checkpoints file (one JSON checkpoint a line; blank lines are skipped). A line that
/// is not a checkpoint is kept as an error, so the check reports it rather than skipping it.
pub fn read_checkpoints(path: &Path) -> Result<Vec<CheckpointLine>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError {
        path: path.to_owned(),
        source,
    })?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            (
                i + 1,
                serde_json::from_str::<Checkpoint>(line).map_err(|e| e.to_string()),
            )
        })
        .collect())
}

/// A checkpoint the log does not satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The line of the checkpoints file.
    pub line: usize,
    /// The sequence the checkpoint covers (when it could be read).
    pub seq: Option<u64>,
    /// `unreadable`, `bad_signature`, `rollback` or `diverges`.
    pub kind: &'static str,
    /// A sentence saying what is wrong.
    pub reason: String,
}

/// What checking a log against checkpoints found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// Checkpoints the log satisfies.
    pub satisfied: usize,
    /// The highest sequence a satisfied checkpoint covers.
    pub highest_seq: u64,
    /// Every checkpoint it does not, in file order.
    pub failures: Vec<CheckFailure>,
}

/// What is wrong between `log` and the latest checkpoint among `checkpoints` (the one covering
/// the most entries), if anything: the log is shorter than it (entries were lost or a copy was
/// restored) or its entry there has another hash. Signatures are not checked here: this is
/// `serve`'s check at start for a log that lost entries, not a verification (`check_log`).
pub fn latest_checkpoint_problem(
    log: &EventLog,
    checkpoints: &[CheckpointLine],
) -> Result<Option<String>, LogError> {
    let Some(latest) = checkpoints
        .iter()
        .filter_map(|(_, checkpoint)| checkpoint.as_ref().ok())
        .max_by_key(|checkpoint| checkpoint.seq)
    else {
        return Ok(None);
    };
    let (seq, last) = (latest.seq, log.last_seq());
    if seq > last {
        return Ok(Some(format!(
            "the log ends at entry {last}, but the checkpoint signed at {} covers entry {seq}: \
             {} entries are missing (a restored copy, or storage that lost what followed a \
             damaged page)",
            latest.time,
            seq - last
        )));
    }
    if seq > 0 && hex::encode(&log.record_at(seq)?.hash) != latest.head_hash {
        return Ok(Some(format!(
            "entry {seq} does not have the hash the checkpoint signed at {} gives it: the log \
             diverges from it",
            latest.time
        )));
    }
    Ok(None)
}

/// Checks `log` against each checkpoint, trusting only `key`: signature, length, the hash at
/// its sequence, and the Merkle root of the entries up to it (the log is read once more for the
/// roots, up to the highest checkpoint).
pub fn check_log(
    log: &EventLog,
    checkpoints: &[CheckpointLine],
    key: &VerifyingKey,
) -> Result<CheckReport, LogError> {
    let mut report = CheckReport::default();
    let last = log.last_seq();
    // Checkpoints whose head hash matches, by sequence: their roots are checked next.
    let mut pending: BTreeMap<u64, Vec<(usize, &Checkpoint)>> = BTreeMap::new();
    for (line, checkpoint) in checkpoints {
        let fail = |seq, kind, reason| CheckFailure {
            line: *line,
            seq,
            kind,
            reason,
        };
        let checkpoint = match checkpoint {
            Ok(checkpoint) => checkpoint,
            Err(reason) => {
                report.failures.push(fail(
                    None,
                    "unreadable",
                    format!("line {line} is not a checkpoint: {reason}"),
                ));
                continue;
            }
        };
        let seq = checkpoint.seq;
        if let Err(error) = checkpoint.verify(key) {
            report.failures.push(fail(
                Some(seq),
                "bad_signature",
                format!("the checkpoint of entry {seq} on line {line} is not good: {error}"),
            ));
            continue;
        }
        if seq > last {
            report.failures.push(fail(
                Some(seq),
                "rollback",
                format!(
                    "the log ends at entry {last}, but a checkpoint signed at {} covers entry {seq}: \
                     {} entries it vouched for are missing (the log was rolled back or truncated)",
                    checkpoint.time,
                    seq - last
                ),
            ));
            continue;
        }
        if seq > 0 {
            let logged = log.record_at(seq)?.hash;
            if hex::encode(&logged) != checkpoint.head_hash {
                report.failures.push(fail(
                    Some(seq),
                    "diverges",
                    format!(
                        "entry {seq} has hash {}, but the checkpoint signed at {} says {}: the log \
                         diverges from it (history at or before entry {seq} was rewritten)",
                        hex::encode(&logged),
                        checkpoint.time,
                        checkpoint.head_hash
                    ),
                ));
                continue;
            }
        }
        pending.entry(seq).or_default().push((*line, checkpoint));
    }
    let mut frontier = Frontier::default();
    for (&seq, waiting) in &pending {
        while frontier.size() < seq {
            let want = usize::try_from(seq - frontier.size())
                .unwrap_or(usize::MAX)
                .min(READ_CHUNK);
            let records = log.read_from(frontier.size() + 1, want)?;
            assert!(
                !records.is_empty(),
                "the log holds every entry up to its head ({seq} <= {last})"
            );
            for record in &records {
                frontier.push(leaf_of(record));
            }
        }
        let root = hex::encode(&frontier.root());
        for (line, checkpoint) in waiting {
            if root != checkpoint.merkle_root {
                report.failures.push(CheckFailure {
                    line: *line,
                    seq: Some(seq),
                    kind: "diverges",
                    reason: format!(
                        "the Merkle root of entries 1 to {seq} is {root}, but the checkpoint \
                         signed at {} says {}: the log diverges from it",
                        checkpoint.time, checkpoint.merkle_root
                    ),
                });
                continue;
            }
            report.satisfied += 1;
            report.highest_seq = report.highest_seq.max(seq);
        }
    }
    report.failures.sort_by_key(|f| f.line);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use tutorwatch_events::examples::{stream, SAMPLE_CREDIT_CODE};
    use tutorwatch_events::{encode, CreditCode, UtcTime};

    use super::*;

    fn log_with(dir: &Path, n: usize, recorded_at: &str) -> EventLog {
        let log = EventLog::open(dir).expect("opens");
        let code = CreditCode::parse(SAMPLE_CREDIT_CODE).expect("a code");
        let batch: Vec<_> = stream(n, |_| code.clone())
            .iter()
            .map(|e| (e.event_id, encode(e)))
            .collect();
        log.append(&batch, UtcTime::parse(recorded_at).expect("a time"))
            .expect("appends");
        log
    }

    #[test]
    fn a_flipped_bit_in_sleds_file_loses_entries_silently_and_the_checkpoint_catches_it() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let checkpoint = {
            let log = EventLog::open(&path).expect("opens");
            let code = CreditCode::parse(SAMPLE_CREDIT_CODE).expect("a code");
            for (i, chunk) in stream(200, |_| code.clone()).chunks(10).enumerate() {
                let batch: Vec<_> = chunk.iter().map(|e| (e.event_id, encode(e))).collect();
                let at = UtcTime::from_nanos(i as i128).expect("a time");
                log.append(&batch, at).expect("appends");
            }
            let hash = log.record_at(200).expect("the head").hash;
            let root = crate::merkle::root(&crate::proof::leaves(&log, 200).expect("reads"));
            Checkpoint::sign(&key, 200, &hash, &root, UtcTime::now(), "p1")
        };
        let db = path.join("db");
        let mut bytes = std::fs::read(&db).expect("reads sled's file");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x04;
        std::fs::write(&db, &bytes).expect("writes");
        // sled 0.34 stops recovering at the damaged page and opens with what came before it:
        // the chain of what is left is intact, so only the checkpoint shows the loss.
        let Ok(log) = EventLog::open(&path) else {
            return; // (or it refuses to open, which is loud enough)
        };
        assert!(log.last_seq() < 200, "the flip went unnoticed by sled");
        assert_eq!(log.verify(|_| {}).expect("verifies").first_bad, None);
        let lines = vec![(1, Ok(checkpoint))];
        let report = check_log(&log, &lines, &key.verifying_key()).expect("checks");
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].kind, "rollback");
        let problem = latest_checkpoint_problem(&log, &lines).expect("checks");
        assert!(problem.is_some_and(|p| p.contains("entries are missing")));
    }

    #[test]
    fn a_rollback_a_divergence_and_a_bad_signature_are_each_reported() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let dir = tempfile::tempdir().expect("tempdir");
        let long = log_with(&dir.path().join("long"), 12, "2026-01-01T00:00:00Z");
        let sign = |log: &EventLog, seq: u64| {
            let hash = log.record_at(seq).expect("an entry").hash;
            let leaves = crate::proof::leaves(log, seq).expect("reads");
            let root = crate::merkle::root(&leaves);
            Checkpoint::sign(&key, seq, &hash, &root, UtcTime::now(), "p1")
        };
        let good = vec![(1, Ok(sign(&long, 5))), (2, Ok(sign(&long, 12)))];
        let report = check_log(&long, &good, &key.verifying_key()).expect("checks");
        assert_eq!(report.failures, vec![]);
        assert_eq!((report.satisfied, report.highest_seq), (2, 12));

        let short = log_with(&dir.path().join("short"), 7, "2026-01-02T00:00:00Z");
        let report = check_log(&short, &good, &key.verifying_key()).expect("checks");
        assert_eq!(report.failures.len(), 2, "{report:?}");
        assert_eq!(
            report.failures[0].kind, "diverges",
            "recorded at another time"
        );
        assert_eq!(report.failures[1].kind, "rollback");
        assert!(report.failures[1].reason.contains("ends at entry 7"));

        // The right head hash with a wrong root is caught too.
        let head = long.record_at(12).expect("an entry").hash;
        let wrong_root = Checkpoint::sign(&key, 12, &head, &[0; 32], UtcTime::now(), "p1");
        let report =
            check_log(&long, &[(5, Ok(wrong_root))], &key.verifying_key()).expect("checks");
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].kind, "diverges");
        assert!(report.failures[0].reason.contains("Merkle root"));

        let mut forged = sign(&long, 12);
        forged.seq = 11;
        let report = check_log(
            &long,
            &[(3, Ok(forged)), (4, Err("junk".into()))],
            &key.verifying_key(),
        )
        .expect("checks");
        let kinds: Vec<_> = report.failures.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, ["bad_signature", "unreadable"]);
    }
}
