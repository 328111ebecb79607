//! `xarch kvm` (in progress).

/// Arguments of `xarch kvm`.
#[derive(clap::Args)]
pub struct KvmArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: KvmArgs) -> i32 {
    let _ = args.rest;
    eprintln!("xarch kvm: not available yet");
    2
}
