//! `xarch report` (in progress).

/// Arguments of `xarch report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: ReportArgs) -> i32 {
    let _ = args.rest;
    eprintln!("xarch report: not available yet");
    2
}
