//! The process's memory: transparent huge pages are turned off for it, first thing.
//!
//! mimalloc asks the kernel for huge pages for its arenas (`madvise(MADV_HUGEPAGE)`), and on a
//! kernel that grants them a first touch anywhere in 2 MiB makes all of it resident and zeroes it
//! whole. The projector's state is millions of small tree nodes and strings spread over the heap,
//! so huge pages fill with little. Turned off for the process (`prctl(PR_SET_THP_DISABLE)`,
//! inherited by nothing but this process and its children), memory is taken 4 KiB at a time.
//! Measured on two 1M-event bench runs back to back (README, "Memory without huge pages"): peak
//! RSS in live ingest 752 MiB instead of 804, in the replay 388 instead of 430, in a rebuild 646
//! instead of 745, at rates within the machine's noise.

/// Turns transparent huge pages off for this process. Call it before the process allocates much;
/// memory already resident stays as it is. An error (a kernel without the call) leaves the
/// process as it was, and says so.
pub fn without_transparent_huge_pages() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        rustix::thread::disable_transparent_huge_pages(true)?;
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_runs_without_transparent_huge_pages() {
        super::without_transparent_huge_pages().expect("prctl succeeds");
        assert!(rustix::thread::transparent_huge_pages_are_disabled().expect("prctl succeeds"));
        let status = std::fs::read_to_string("/proc/self/status").expect("reads its status");
        assert!(
            status.contains("THP_enabled:\t0") || !status.contains("THP_enabled"),
            "{status}"
        );
    }
}
