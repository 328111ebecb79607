//! `xarch run` (in progress).

/// Arguments of `xarch run`.
#[derive(clap::Args)]
pub struct RunArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: RunArgs) -> i32 {
    let _ = args.rest;
    eprintln!("xarch run: not available yet");
    2
}
