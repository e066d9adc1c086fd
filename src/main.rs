//! The `sacsim` command line. Exit codes: 0 success, 1 error, 2 bad usage.

fn main() -> std::process::ExitCode {
    sacsim_cli::main()
}

#[path = "cli.rs"]
mod sacsim_cli;
