//! The `sacsim` command line: parse, dispatch, map errors to exit codes.
//! Exit codes: 0 success, 1 runtime error (files, I/O), 2 bad usage (a
//! flag, a value or a request that cannot be run).

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // `sacsim ... | head`: end quietly when the reader goes away, as other
    // Unix tools do, instead of panicking on the closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::usage_error(e),
    };
    let result = match cli.command {
        Command::Build(args) => cli::build::run(*args),
        Command::Series(args) => cli::series::run(args),
        Command::Inspect(args) => cli::inspect::run(args),
        Command::Sample(args) => cli::sample::run(*args),
        Command::Simulate(args) => cli::simulate::run(*args),
        Command::CompareModels(args) => cli::compare::run(*args),
        Command::Analyze(args) => cli::analyze::run(*args),
        Command::Detect(args) => cli::detect::run(*args),
        Command::Evaluate(args) => cli::evaluate::run(args),
        Command::Profile(args) => cli::profile::run(*args),
        #[cfg(feature = "net")]
        Command::Train(args) => cli::train::run(args),
        Command::Convert(args) => cli::convert::run(args),
        Command::Twin(args) => cli::twin::run(*args),
        Command::Dataset(args) => cli::dataset::run(*args),
        Command::Run(args) => cli::study::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sacsim: {e:#}");
            ExitCode::from(cli::exit_code(&e))
        }
    }
}
