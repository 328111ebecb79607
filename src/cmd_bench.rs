//! `xarch bench` (in progress).

/// Arguments of `xarch bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: BenchArgs) -> i32 {
    let _ = args.rest;
    eprintln!("xarch bench: not available yet");
    2
}
