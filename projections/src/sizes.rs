//! How much of the projector's state each part holds: its entries and its encoded size (the
//! bytes it takes in a snapshot). The bench prints these after its replay, so that what grows
//! with the log, and by how much per event, shows in figures that do not depend on the
//! allocator or the machine, as peak RSS does.

use serde::Serialize;

/// One part of the projector's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatePart {
    /// The part's name, as the bench prints it (`institutions`, `courses`, `plans`, ...). A
    /// name `a.b` is a piece of part `a`, already counted in it.
    pub name: &'static str,
    /// How many entries it holds (what "entries" counts is said in [`StatePart::counts`]).
    pub entries: usize,
    /// What an entry is, for readers of the bench's output.
    pub counts: &'static str,
    /// Its size encoded as in a snapshot, in bytes.
    pub encoded_bytes: usize,
}

impl StatePart {
    /// Measures `value`, a part of the state holding `entries` entries of kind `counts`.
    pub(crate) fn measure(
        name: &'static str,
        entries: usize,
        counts: &'static str,
        value: &impl Serialize,
    ) -> Self {
        // The size flavour cannot fail on these types (they encode into snapshots); a failure
        // would show as 0 bytes, not as a wrong finding.
        let encoded_bytes = postcard::experimental::serialized_size(value).unwrap_or(0);
        Self {
            name,
            entries,
            counts,
            encoded_bytes,
        }
    }
}

/// The encoded size of the whole state `parts` describe: the sum of its top-level parts (a part
/// named `a.b` is already counted in `a`).
pub fn encoded_total(parts: &[StatePart]) -> usize {
    parts
        .iter()
        .filter(|part| !part.name.contains('.'))
        .map(|part| part.encoded_bytes)
        .sum()
}
