//! `xarch`: run cross-arch Linux programs through the DBT, native ones under KVM, and measure
//! both against native execution and qemu.
//!
//! This file only parses the command line and hands each subcommand to its module.

mod arches;
mod cmd_bench;
mod cmd_kvm;
mod cmd_report;
mod cmd_run;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xarch", version, about = "Architecture emulation and virtualization toolkit", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Linux program built for AArch64, x86-64 or PowerPC through the DBT.
    Run(cmd_run::RunArgs),
    /// Run a native x86-64 Linux program inside a KVM virtual machine.
    Kvm(cmd_kvm::KvmArgs),
    /// Run the benchmark matrix and write results JSON.
    Bench(cmd_bench::BenchArgs),
    /// Draw charts and an HTML report from results JSON.
    Report(cmd_report::ReportArgs),
}

fn main() {
    let cli = Cli::parse_from(cmd_run::rewrite_args(std::env::args_os()));
    let code = match cli.command {
        Command::Run(args) => cmd_run::main(args),
        Command::Kvm(args) => cmd_kvm::main(args),
        Command::Bench(args) => cmd_bench::main(args),
        Command::Report(args) => cmd_report::main(args),
    };
    std::process::exit(code);
}
