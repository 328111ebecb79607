//! `xarch kvm`: run a native x86-64 Linux program in a KVM virtual machine.
//!
//! Same I/O and exit-status rules as `xarch run`: the program's stdin/stdout/stderr are
//! xarch's own, its exit status is xarch's, and a guest killed by a fatal exception prints a
//! one-line report and kills xarch with the same signal. Errors are one `xarch: …` line and
//! exit status 1. Guest signal handlers run as under Linux, fault handlers included (see
//! `xarch_accel::process`).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use xarch_accel::process::{self, Ending, Options, RunStats};

/// Arguments of `xarch kvm`.
#[derive(clap::Args)]
pub struct KvmArgs {
    /// Print exits by reason, time in guest vs host, setup time and the KVM backend (stderr).
    #[arg(long)]
    stats: bool,
    /// Write the same statistics as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// One line per VM exit on stderr: reason, guest RIP, syscall.
    #[arg(long)]
    trace_exits: bool,
    /// One line per syscall on stderr, qemu-user style.
    #[arg(long)]
    strace: bool,
    /// argv[0] for the program (default: PROGRAM as given).
    #[arg(long, value_name = "ARG0")]
    argv0: Option<OsString>,
    /// The x86-64 program and its arguments.
    #[arg(
        value_name = "PROGRAM",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<OsString>,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: KvmArgs) -> i32 {
    let program = PathBuf::from(&args.command[0]);
    let mut argv = args.command.clone();
    if let Some(a0) = &args.argv0 {
        argv[0] = a0.clone();
    }
    let envp: Vec<OsString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            OsString::from_vec(kv)
        })
        .collect();
    // How the Linux layer re-runs us on an execve'd x86-64 program (it appends
    // `--argv0 A -- PROGRAM ARGS`).
    let mut exec_prefix: Vec<OsString> = vec!["/proc/self/exe".into(), "kvm".into()];
    if args.strace {
        exec_prefix.push("--strace".into());
    }
    if args.trace_exits {
        exec_prefix.push("--trace-exits".into());
    }
    let opts = Options {
        trace_exits: args.trace_exits,
        strace: args.strace,
        exec_prefix,
    };

    let (ending, stats) = match process::run(&program, &argv, &envp, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xarch: {e}");
            return 1;
        }
    };
    if args.stats {
        print_stats(&stats);
    }
    if let Some(path) = &args.stats_json {
        let json =
            serde_json::to_string_pretty(&stats_json(&stats, &ending)).expect("plain JSON values");
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("xarch: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    match ending {
        Ending::Exited(code) => code,
        Ending::Killed { signal, report } => {
            eprintln!("{report}");
            let _ = std::io::stdout().flush();
            xarch_accel::signal::die_by(signal)
        }
    }
}

/// Exception vector mnemonics (Intel SDM vol. 3A table 6-1).
const VECTOR_NAMES: [&str; 32] = [
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vec9", "#TS", "#NP", "#SS",
    "#GP", "#PF", "vec15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "vec22", "vec23", "vec24",
    "vec25", "vec26", "vec27", "#HV", "#VC", "#SX", "vec31",
];

fn exits_by_reason(stats: &RunStats) -> Vec<(String, u64)> {
    let mut v = vec![("syscall".to_string(), stats.vm.syscall_exits)];
    for (i, &n) in stats.vm.exception_exits.iter().enumerate() {
        if n > 0 {
            v.push((format!("exception {}", VECTOR_NAMES[i]), n));
        }
    }
    v
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print_stats(stats: &RunStats) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "xarch kvm stats (backend {})", stats.backend.name());
    let _ = writeln!(e, "  setup (load + VM)   {:10.3} ms", ms(stats.setup));
    let _ = writeln!(e, "    load ELF          {:10.3} ms", ms(stats.load));
    let _ = writeln!(e, "    create VM, vCPU   {:10.3} ms", ms(stats.vm_create));
    let _ = writeln!(e, "    map image, stack  {:10.3} ms", ms(stats.map_image));
    let _ = writeln!(
        e,
        "  to first exit       {:10.3} ms (first guest instructions, first page touches)",
        ms(stats.first_exit)
    );
    let _ = writeln!(
        e,
        "  in guest (KVM_RUN)  {:10.3} ms",
        ms(stats.vm.guest_time)
    );
    let _ = writeln!(e, "  in host (exits)     {:10.3} ms", ms(stats.host_time()));
    let _ = writeln!(e, "  total               {:10.3} ms", ms(stats.total));
    for (reason, n) in exits_by_reason(stats) {
        let _ = writeln!(e, "  exits: {reason:<16} {n}");
    }
    let _ = writeln!(
        e,
        "  TLB flushes {}  VMs built {}  KVM_RUN interrupted {}",
        stats.vm.tlb_flushes, stats.vms_built, stats.vm.interrupted
    );
}

fn stats_json(stats: &RunStats, ending: &Ending) -> serde_json::Value {
    let exits: serde_json::Map<String, serde_json::Value> = exits_by_reason(stats)
        .into_iter()
        .map(|(k, n)| (k, n.into()))
        .collect();
    let ending = match ending {
        Ending::Exited(c) => serde_json::json!({ "exit_code": c }),
        Ending::Killed { signal, .. } => serde_json::json!({ "signal": signal }),
    };
    serde_json::json!({
        "backend": stats.backend.name(),
        "setup_ns": stats.setup.as_nanos() as u64,
        "load_ns": stats.load.as_nanos() as u64,
        "vm_create_ns": stats.vm_create.as_nanos() as u64,
        "map_image_ns": stats.map_image.as_nanos() as u64,
        "first_exit_ns": stats.first_exit.as_nanos() as u64,
        "guest_ns": stats.vm.guest_time.as_nanos() as u64,
        "host_ns": stats.host_time().as_nanos() as u64,
        "total_ns": stats.total.as_nanos() as u64,
        "exits": exits,
        "tlb_flushes": stats.vm.tlb_flushes,
        "vms_built": stats.vms_built,
        "ending": ending,
    })
}
