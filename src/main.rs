//! The `sacsim` command line. Exit codes: 0 success, 1 error, 2 bad usage.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
