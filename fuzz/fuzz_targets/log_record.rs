//! Fuzzes the log's stored-entry decoder: any bytes must give a record or an error, never a
//! panic, and a record's event bytes must decode or fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tutorwatch_events::LogRecord;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = LogRecord::decode(data) {
        let _ = record.envelope();
        assert_eq!(LogRecord::decode(&record.encode()).ok(), Some(record));
    }
});
