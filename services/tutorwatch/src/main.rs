//! The `tutorwatch` binary: parses the command line and hands over to the library.
//!
//! It allocates with mimalloc: replay and the projector build and drop millions of small
//! findings, strings and tree nodes, and glibc's malloc spent about a fifth of replay's time.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tutorwatch::cli::main()
}
