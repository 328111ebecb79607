//! `xarch bench`: runs the workload × path matrix (see `xarch_bench`), writes the results JSON
//! with CSV and Markdown next to it, and prints the summary table.

use std::path::{Path, PathBuf};
use std::time::Duration;
use xarch_bench::export::{self, Exporter};
use xarch_bench::paths::{self, Tools};
use xarch_bench::runner::{self, Plan};
use xarch_bench::schema::PathKind;

/// Arguments of `xarch bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// A small, fast matrix: SIZE 1 (about 50 ms natively), 1 warm-up and up to 3 runs per cell.
    #[arg(long)]
    quick: bool,
    /// Paths to run, comma-separated (default: all; native is always added as the reference).
    #[arg(long, value_delimiter = ',')]
    paths: Option<Vec<String>>,
    /// Workloads to run, comma-separated (default: every build in <build-dir>/x86_64).
    #[arg(long, value_delimiter = ',')]
    workloads: Option<Vec<String>>,
    /// Measured runs per cell, exactly [default: 5, fewer (≥ 3) for cells slower than 2 s;
    /// --quick: 3, fewer (≥ 1) for cells slower than 0.33 s].
    #[arg(long)]
    runs: Option<u32>,
    /// Warm-up runs per cell (output checked, not timed).
    #[arg(long, default_value_t = 1)]
    warmup: u32,
    /// SIZE argument for every workload [default: calibrated so native takes ≥ 100 ms, --quick: 1].
    #[arg(long)]
    size: Option<u64>,
    /// Also run every cell at this smaller SIZE (interleaved, same count) and split its time
    /// into a fixed cost per run and a steady state per SIZE unit (line through both medians).
    #[arg(long, value_name = "SIZE")]
    fit_size: Option<u64>,
    /// Kill a run after this many seconds; its cell fails [default: 300, --quick: 30].
    #[arg(long)]
    timeout: Option<f64>,
    /// Directory of workload builds, `<arch>/<name>` [default: build/workloads of this checkout].
    #[arg(long)]
    build_dir: Option<PathBuf>,
    /// Results JSON; `<stem>.csv` and `<stem>.md` are written next to it.
    #[arg(short = 'o', long, default_value = "results.json")]
    output: PathBuf,
}

/// `build/workloads` in the current directory, else in the checkout holding this binary
/// (`<root>/target/release/xarch`).
fn default_build_dir() -> PathBuf {
    let here = PathBuf::from("build/workloads");
    if here.is_dir() {
        return here;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .nth(3)
                .map(|root| root.join("build/workloads"))
        })
        .filter(|p| p.is_dir())
        .unwrap_or(here)
}

fn write_with(
    exporter: &dyn Exporter,
    results: &xarch_bench::Results,
    file: &Path,
) -> Result<(), String> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(file).map_err(|e| format!("cannot write {}: {e}", file.display()))?,
    );
    exporter
        .export(results, &mut out)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    std::io::Write::flush(&mut out).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: BenchArgs) -> i32 {
    match bench(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("xarch bench: {e}");
            1
        }
    }
}

fn bench(args: BenchArgs) -> Result<(), String> {
    let all = paths::builtin_paths();
    let mut chosen: Vec<paths::PathSpec> = match &args.paths {
        None => all.clone(),
        Some(names) => paths::select(&all, names)?.into_iter().cloned().collect(),
    };
    if !chosen.iter().any(|p| p.kind == PathKind::Native) {
        let native = all
            .iter()
            .find(|p| p.kind == PathKind::Native)
            .ok_or("no native path declared")?;
        chosen.insert(0, native.clone());
    }
    let mut dedup: Vec<paths::PathSpec> = Vec::new();
    for p in chosen {
        if !dedup.iter().any(|q| q.name == p.name) {
            dedup.push(p);
        }
    }
    if args.runs == Some(0) {
        return Err("--runs must be at least 1".into());
    }
    if let Some(t) = args.timeout.filter(|t| !(*t > 0.0)) {
        return Err(format!("--timeout must be positive, got {t}"));
    }
    if args.fit_size == Some(0) {
        return Err("--fit-size must be at least 1".into());
    }
    if args.size == Some(0) {
        return Err("--size must be at least 1".into());
    }
    let size = args.size.or(args.quick.then_some(1));
    // Without --runs, slow cells get fewer runs so the matrix ends in reasonable time:
    // --quick aims at about a second per cell (at least 1 run), the full matrix at about
    // ten seconds (at least 3 runs, for a meaningful median).
    let (runs, min_runs, cell_budget) = match (args.runs, args.quick) {
        (Some(n), _) => (n, n, None),
        (None, true) => (3, 1, Some(Duration::from_secs(1))),
        (None, false) => (5, 3, Some(Duration::from_secs(10))),
    };
    let plan = Plan {
        paths: dedup,
        workloads: args.workloads.clone(),
        build_dir: args.build_dir.clone().unwrap_or_else(default_build_dir),
        tools: Tools {
            xarch: std::env::current_exe().ok(),
        },
        runs,
        warmup: args.warmup,
        cell_budget,
        min_runs,
        size,
        fit_size: args.fit_size,
        calibrate_target: Duration::from_millis(100),
        // The workloads' contract: SIZE 1..1000 (bench/workloads/README.md).
        max_size: 1000,
        timeout: Duration::from_secs_f64(args.timeout.unwrap_or(if args.quick {
            60.0
        } else {
            300.0
        })),
        quick: args.quick,
        xarch_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut progress = xarch_bench::progress::for_stderr();
    let results = runner::run(&plan, progress.as_mut()).map_err(|e| e.to_string())?;

    if let Some(dir) = args.output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    write_with(&export::Json, &results, &args.output)?;
    let csv = args.output.with_extension("csv");
    let md = args.output.with_extension("md");
    write_with(&export::Csv, &results, &csv)?;
    write_with(&export::Markdown, &results, &md)?;

    let mut stdout = std::io::stdout().lock();
    export::Text
        .export(&results, &mut stdout)
        .map_err(|e| e.to_string())?;
    println!(
        "results: {} (also {}, {}); {:.0} s",
        args.output.display(),
        csv.display(),
        md.display(),
        results.duration_s
    );
    Ok(())
}
