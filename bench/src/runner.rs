//! The matrix runner: workloads × paths, a warm-up, then N measured runs per cell interleaved
//! across paths, so that drift on a shared machine (other jobs, thermal, frequency) hits every
//! path alike instead of whichever path happened to run last.
//!
//! ```text
//! for each workload:
//!     size      ← --size, or grow SIZE until the native run takes the calibration target
//!     reference ← native checksum at that size
//!     warm-up   : each live path once, output checked
//!     round r   : each live path once, starting at path r mod n  (rotated order)
//!     a run with a non-zero exit, a signal, a timeout or a checksum ≠ reference fails its
//!     cell: it is recorded as a failure and never as a time
//! ```

use crate::measure::{self, Measurement};
use crate::paths::{PathSpec, Tools};
use crate::schema::{
    Cell, Config, Fit, PathEntry, PathGeomean, PathKind, Results, Sample, Status, WorkloadEntry,
};
use crate::stats::{Ratio, Summary, geomean_ratio, slope_ratio, two_point_fit};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Paths in display order; exactly one must be of kind native (the reference).
    pub paths: Vec<PathSpec>,
    /// Workload names; None = every build found in `<build_dir>/<native arch>/`.
    pub workloads: Option<Vec<String>>,
    /// Holds `<arch>/<workload>` builds.
    pub build_dir: PathBuf,
    /// Where xarch is.
    pub tools: Tools,
    /// Measured runs per cell.
    pub runs: u32,
    /// Warm-up runs per cell.
    pub warmup: u32,
    /// Time budget per cell: a cell whose first run (warm-up, or first measured run) takes
    /// longer than `budget / runs` gets fewer measured runs, never fewer than `min_runs`.
    /// None: always `runs`.
    pub cell_budget: Option<Duration>,
    /// Lower bound of measured runs under `cell_budget`.
    pub min_runs: u32,
    /// Fixed SIZE for every workload; None to calibrate.
    pub size: Option<u64>,
    /// A second, smaller SIZE each cell also runs at (interleaved, same count), for the
    /// fixed-cost / steady-state split (`schema::Fit`); None: no second size.
    pub fit_size: Option<u64>,
    /// Calibration grows SIZE until native takes at least this long.
    pub calibrate_target: Duration,
    /// Calibration never goes past this SIZE.
    pub max_size: u64,
    /// Runs longer than this are killed and fail their cell.
    pub timeout: Duration,
    /// Recorded in the results.
    pub quick: bool,
    /// Recorded in the results.
    pub xarch_version: String,
}

/// Receives the runner's progress (a bar on a terminal, plain lines elsewhere).
pub trait Progress {
    /// Called once with the number of runs planned (warm-ups included).
    fn begin(&mut self, total_runs: u64);
    /// A phase message, e.g. calibration.
    fn message(&mut self, msg: &str);
    /// One planned run finished; `outcome` is a short description.
    fn run_done(&mut self, workload: &str, path: &str, outcome: &str);
    /// `n` planned runs will not happen (their cell failed or was skipped).
    fn skipped(&mut self, n: u64);
    /// The matrix is done.
    fn finish(&mut self);
}

/// A [`Progress`] that reports nothing (tests).
pub struct Silent;

impl Progress for Silent {
    fn begin(&mut self, _: u64) {}
    fn message(&mut self, _: &str) {}
    fn run_done(&mut self, _: &str, _: &str, _: &str) {}
    fn skipped(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// Errors that stop the whole run (as opposed to a failing cell).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No native path in the plan.
    #[error("the plan has no native path to compare with")]
    NoNative,
    /// The build directory has no native builds.
    #[error("no workload builds in {0} (build them with bench/workloads/build.sh)")]
    NoBuilds(String),
    /// A workload asked for has no native build.
    #[error("unknown workload '{name}' (known: {known})")]
    UnknownWorkload { name: String, known: String },
    /// Nothing to do.
    #[error("{0}")]
    Invalid(String),
}

/// The workloads with a native build in `build_dir`, sorted by name.
pub fn discover_workloads(build_dir: &Path, native_arch: &str) -> Result<Vec<String>, RunError> {
    let dir = build_dir.join(native_arch);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|_| RunError::NoBuilds(dir.display().to_string()))?
        .filter_map(|e| e.ok())
        .filter(|e| crate::paths::find_program(&e.path().display().to_string()).is_some())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(RunError::NoBuilds(dir.display().to_string()));
    }
    Ok(names)
}

/// Why a run does not count: it is a failure, never a time.
fn verdict(m: &Measurement, reference: Option<&str>, timeout: Duration) -> Result<(), Status> {
    let checksum = m.checksum();
    let fail = |reason: String| Status::Failed {
        reason,
        exit_code: m.exit_code,
        signal: m.signal,
        checksum: checksum.clone(),
        stderr_tail: m.stderr_tail.clone(),
    };
    if m.timed_out {
        return Err(fail(format!(
            "timed out after {:.1} s",
            timeout.as_secs_f64()
        )));
    }
    if let Some(sig) = m.signal {
        return Err(fail(format!("killed by signal {sig}")));
    }
    match m.exit_code {
        Some(0) => {}
        Some(c) => {
            let first = m.stderr_tail.lines().last().unwrap_or("").trim();
            let tail = if first.is_empty() {
                String::new()
            } else {
                format!(": {first}")
            };
            return Err(fail(format!("exit code {c}{tail}")));
        }
        None => return Err(fail("ended without exit status".into())),
    }
    match (&checksum, reference) {
        (None, _) => Err(fail("no `checksum <hex>` line in its output".into())),
        (Some(c), Some(r)) if c != r => Err(fail(format!("wrong checksum {c} (native: {r})"))),
        _ => Ok(()),
    }
}

fn run_once(
    argv: &[String],
    reference: Option<&str>,
    timeout: Duration,
) -> Result<Measurement, Status> {
    match measure::run(argv, timeout) {
        Ok(m) => verdict(&m, reference, timeout).map(|()| m),
        Err(e) => Err(Status::Failed {
            reason: e.to_string(),
            exit_code: None,
            signal: None,
            checksum: None,
            stderr_tail: String::new(),
        }),
    }
}

/// A cell being measured.
struct Live {
    path: usize,
    argv: Vec<String>,
    stats_file: Option<PathBuf>,
    samples: Vec<Sample>,
    engine_stats: Option<serde_json::Value>,
    /// Wall time of its latest run.
    last_wall: Duration,
    /// Its latest run, with the engine statistics of that run.
    last_sample: Option<(Sample, Option<serde_json::Value>)>,
    /// Measured runs it gets (see `Plan::cell_budget`).
    runs: u32,
    /// The command at `Plan::fit_size`, run after each measured run.
    small_argv: Option<Vec<String>>,
    small_samples: Vec<Sample>,
}

fn sample_of(m: &Measurement, warmup: bool) -> Sample {
    Sample {
        wall_ns: m.wall.as_nanos() as u64,
        user_ns: m.user.as_nanos() as u64,
        sys_ns: m.sys.as_nanos() as u64,
        max_rss_kib: m.max_rss_kib,
        warmup,
    }
}

/// Runs the plan. Failing cells are recorded in the results; only a plan that cannot start
/// at all is an error.
pub fn run(plan: &Plan, progress: &mut dyn Progress) -> Result<Results, RunError> {
    let t0 = Instant::now();
    let started_unix_s = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let native_ix = plan
        .paths
        .iter()
        .position(|p| p.kind == PathKind::Native)
        .ok_or(RunError::NoNative)?;
    let native = &plan.paths[native_ix];
    if plan.runs == 0 {
        return Err(RunError::Invalid("--runs must be at least 1".into()));
    }
    let found = discover_workloads(&plan.build_dir, &native.guest_arch)?;
    let workloads = match &plan.workloads {
        None => found,
        Some(asked) => {
            for name in asked {
                if !found.contains(name) {
                    return Err(RunError::UnknownWorkload {
                        name: name.clone(),
                        known: found.join(", "),
                    });
                }
            }
            asked.clone()
        }
    };

    // Which paths can run at all, and which can report engine statistics.
    let mut entries: Vec<PathEntry> = Vec::new();
    for p in &plan.paths {
        let status = match p.check(&plan.tools) {
            Ok(()) => Status::Ok,
            Err(reason) => Status::Skipped { reason },
        };
        let engine_stats = status.is_ok() && p.probe_engine_stats(&plan.tools);
        entries.push(PathEntry {
            name: p.name.clone(),
            guest_arch: p.guest_arch.clone(),
            kind: p.kind,
            peer: p.peer.clone(),
            command: p.command.clone(),
            engine_stats,
            status,
        });
    }

    let per_cell = u64::from(plan.warmup + plan.runs);
    let live_paths = entries.iter().filter(|e| e.status.is_ok()).count() as u64;
    progress.begin(workloads.len() as u64 * live_paths * per_cell);

    let mut cells = Vec::new();
    let mut wl_entries = Vec::new();
    for wl in &workloads {
        let native_bin = native.guest_binary(&plan.build_dir, wl);
        // Size and reference checksum.
        let (size, reference) = match plan.size {
            Some(s) => {
                let argv = native.expand(&plan.tools, &native_bin, s, None);
                (
                    s,
                    run_once(&argv, None, plan.timeout).map(|m| m.checksum().unwrap_or_default()),
                )
            }
            None => {
                progress.message(&format!("calibrating {wl}"));
                calibrate(plan, native, &native_bin)
            }
        };
        let reference = match reference {
            Ok(c) => Some(c),
            Err(status) => {
                progress.message(&format!(
                    "{wl}: native reference failed: {}",
                    status.reason().unwrap_or("")
                ));
                None
            }
        };
        // The native checksum at the fit size, when there is one below the cell's size.
        let small = plan.fit_size.filter(|&s| s < size).and_then(|s| {
            let argv = native.expand(&plan.tools, &native_bin, s, None);
            match run_once(&argv, None, plan.timeout) {
                Ok(m) => Some((s, m.checksum().unwrap_or_default())),
                Err(status) => {
                    progress.message(&format!(
                        "{wl}: native run at SIZE {s} failed, no fit: {}",
                        status.reason().unwrap_or("")
                    ));
                    None
                }
            }
        });
        wl_entries.push(WorkloadEntry {
            name: wl.clone(),
            size,
            calibrated: plan.size.is_none(),
            native_checksum: reference.clone(),
        });

        // Cells start ok, skipped or failed; live ones are measured.
        let mut statuses: Vec<Status> = Vec::new();
        let mut live: Vec<Live> = Vec::new();
        for (i, (p, e)) in plan.paths.iter().zip(&entries).enumerate() {
            let bin = p.guest_binary(&plan.build_dir, wl);
            let status = if let Status::Skipped { reason } = &e.status {
                Status::Skipped {
                    reason: reason.clone(),
                }
            } else if !bin.exists() {
                progress.skipped(per_cell);
                Status::Skipped {
                    reason: format!(
                        "no {} build of {wl} ({} is missing)",
                        p.guest_arch,
                        bin.display()
                    ),
                }
            } else if reference.is_none() {
                progress.skipped(per_cell);
                if i == native_ix {
                    // Run it once more to record how native fails.
                    let argv = p.expand(&plan.tools, &bin, size, None);
                    run_once(&argv, None, plan.timeout)
                        .err()
                        .unwrap_or(Status::Skipped {
                            reason: "native reference run failed".into(),
                        })
                } else {
                    Status::Skipped {
                        reason: "no reference: the native run of this workload failed".into(),
                    }
                }
            } else {
                let stats_file = e.engine_stats.then(|| {
                    std::env::temp_dir().join(format!(
                        "xarch-bench-{}-{}.json",
                        std::process::id(),
                        p.name
                    ))
                });
                let argv = p.expand(&plan.tools, &bin, size, stats_file.as_deref());
                live.push(Live {
                    path: i,
                    argv,
                    stats_file,
                    samples: Vec::new(),
                    engine_stats: None,
                    last_wall: Duration::ZERO,
                    last_sample: None,
                    runs: plan.runs,
                    small_argv: small
                        .as_ref()
                        .map(|(s, _)| p.expand(&plan.tools, &bin, *s, None)),
                    small_samples: Vec::new(),
                });
                Status::Ok
            };
            statuses.push(status);
        }

        let reference = reference.as_deref();
        let total_rounds = plan.warmup + plan.runs;
        for round in 0..total_rounds {
            let measured = round >= plan.warmup;
            let n = live.len();
            for k in 0..n {
                let l = &mut live[(k + round as usize) % n];
                if !statuses[l.path].is_ok() || (measured && l.samples.len() as u32 >= l.runs) {
                    continue;
                }
                let name = &plan.paths[l.path].name;
                if let Some(f) = &l.stats_file {
                    let _ = std::fs::remove_file(f);
                }
                let mut outcome = run_once(&l.argv, reference, plan.timeout);
                if let (Ok(_), true, Some(argv), Some((s, sref))) =
                    (&outcome, measured, &l.small_argv, &small)
                {
                    match run_once(argv, Some(sref), plan.timeout) {
                        Ok(m) => l.small_samples.push(sample_of(&m, false)),
                        Err(status) => outcome = Err(status.at_size(*s)),
                    }
                }
                match outcome {
                    Ok(m) => {
                        l.last_wall = m.wall;
                        let label = if measured { "run" } else { "warm-up" };
                        progress.run_done(
                            wl,
                            name,
                            &format!("{label} {:.3} s", m.wall.as_secs_f64()),
                        );
                        let sample = sample_of(&m, !measured);
                        let stats = l.stats_file.as_deref().and_then(read_engine_stats);
                        if measured {
                            l.samples.push(sample);
                            l.engine_stats = stats;
                        } else {
                            l.last_sample = Some((sample, stats));
                        }
                    }
                    Err(status) => {
                        progress.run_done(
                            wl,
                            name,
                            &format!("FAILED: {}", status.reason().unwrap_or("")),
                        );
                        let done = if measured {
                            plan.warmup + l.samples.iter().filter(|s| !s.warmup).count() as u32 + 1
                        } else {
                            round + 1
                        };
                        progress.skipped(u64::from((plan.warmup + l.runs).saturating_sub(done)));
                        statuses[l.path] = status;
                        l.samples.clear();
                        l.small_samples.clear();
                        l.engine_stats = None;
                    }
                }
            }
            // After the first timed look at each cell, fit its runs into the budget. A warm-up
            // slower than the whole budget is kept as a sample (flagged `warmup`): at that length
            // first-run effects are noise, and running it again would blow the budget.
            let probe_round = if plan.warmup > 0 { plan.warmup - 1 } else { 0 };
            if let (Some(budget), true) = (plan.cell_budget, round == probe_round) {
                for l in live.iter_mut().filter(|l| statuses[l.path].is_ok()) {
                    let fit =
                        (budget.as_secs_f64() / l.last_wall.as_secs_f64().max(1e-9)).floor() as u32;
                    l.runs = fit.clamp(plan.min_runs.clamp(1, plan.runs), plan.runs);
                    let mut skipped = plan.runs - l.runs;
                    if plan.warmup > 0 && l.last_wall > budget {
                        if let Some((sample, stats)) = l.last_sample.take() {
                            l.samples.push(sample);
                            l.engine_stats = stats;
                            skipped += 1;
                        }
                    }
                    progress.skipped(u64::from(skipped));
                }
            }
        }

        for l in &live {
            if let Some(f) = &l.stats_file {
                let _ = std::fs::remove_file(f);
            }
        }
        for (i, (p, status)) in plan.paths.iter().zip(statuses).enumerate() {
            let bin = p.guest_binary(&plan.build_dir, wl);
            let l = live.iter().find(|l| l.path == i);
            let mut command = p.expand(&plan.tools, &bin, size, None);
            if let Some(first) = command
                .first_mut()
                .filter(|_| p.command.first().is_some_and(|w| w == "{xarch}"))
            {
                *first = "xarch".into();
            }
            let ok = status.is_ok();
            cells.push(Cell {
                workload: wl.clone(),
                path: p.name.clone(),
                size,
                command,
                status,
                samples: if ok {
                    l.map(|l| l.samples.clone()).unwrap_or_default()
                } else {
                    Vec::new()
                },
                wall_ns: None,
                user_ns: None,
                sys_ns: None,
                max_rss_kib: None,
                vs_native: None,
                vs_peer: None,
                engine_stats: if ok {
                    l.and_then(|l| l.engine_stats.clone())
                } else {
                    None
                },
                fit: match (ok, small.as_ref()) {
                    (true, Some((s, _))) => Some(Fit {
                        small_size: *s,
                        small_samples: l.map(|l| l.small_samples.clone()).unwrap_or_default(),
                        small_wall_ns: None,
                        fixed_ns: None,
                        per_size_ns: None,
                        per_size_spread_ns: None,
                        steady_vs_native: None,
                    }),
                    _ => None,
                },
            });
        }
    }
    progress.finish();

    let mut results = Results {
        schema: crate::schema::SCHEMA_NAME.into(),
        version: crate::schema::SCHEMA_VERSION,
        xarch_version: plan.xarch_version.clone(),
        started_unix_s,
        duration_s: 0.0,
        host: crate::host::describe(),
        config: Config {
            quick: plan.quick,
            runs: plan.runs,
            warmup: plan.warmup,
            cell_budget_s: plan.cell_budget.map(|b| b.as_secs_f64()),
            min_runs: plan.min_runs,
            size: plan.size,
            calibrate_target_ms: plan.calibrate_target.as_secs_f64() * 1e3,
            timeout_s: plan.timeout.as_secs_f64(),
            build_dir: plan.build_dir.display().to_string(),
        },
        paths: entries,
        workloads: wl_entries,
        cells,
        geomeans: Vec::new(),
    };
    summarize(&mut results);
    results.duration_s = t0.elapsed().as_secs_f64();
    Ok(results)
}

/// Grows SIZE from 1 until the native run takes `calibrate_target` (or `max_size` is reached);
/// returns the size and the native checksum at that size.
fn calibrate(plan: &Plan, native: &PathSpec, bin: &Path) -> (u64, Result<String, Status>) {
    let mut size: u64 = 1;
    loop {
        let argv = native.expand(&plan.tools, bin, size, None);
        let m = match run_once(&argv, None, plan.timeout) {
            Ok(m) => m,
            Err(status) => return (size, Err(status)),
        };
        let wall = m.wall.as_secs_f64().max(1e-6);
        let target = plan.calibrate_target.as_secs_f64();
        if wall >= target || size >= plan.max_size {
            return (size, Ok(m.checksum().unwrap_or_default()));
        }
        // Process start-up dominates small sizes, so the estimate undershoots; cap the step.
        let factor = (target / wall * 1.2).clamp(2.0, 16.0);
        size = ((size as f64 * factor).ceil() as u64).min(plan.max_size);
    }
}

fn read_engine_stats(file: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(file).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| {
        serde_json::json!({ "unparsed": text.chars().take(2000).collect::<String>(), "error": e.to_string() })
    }))
}

/// Fills every cell's summaries and ratios and the per-path geometric means from the raw
/// samples (so a results file can be recomputed after its samples are edited or merged).
pub fn summarize(results: &mut Results) {
    let col = |c: &Cell, f: fn(&Sample) -> u64| -> Vec<f64> {
        c.samples.iter().map(|s| f(s) as f64).collect()
    };
    for c in &mut results.cells {
        let ok = c.status.is_ok() && !c.samples.is_empty();
        c.wall_ns = ok.then(|| Summary::of(&col(c, |s| s.wall_ns))).flatten();
        c.user_ns = ok.then(|| Summary::of(&col(c, |s| s.user_ns))).flatten();
        c.sys_ns = ok.then(|| Summary::of(&col(c, |s| s.sys_ns))).flatten();
        c.max_rss_kib = ok
            .then(|| Summary::of(&col(c, |s| s.max_rss_kib)))
            .flatten();
        let (size, wall) = (c.size, c.wall_ns.clone());
        if let Some(f) = &mut c.fit {
            let small: Vec<f64> = f.small_samples.iter().map(|s| s.wall_ns as f64).collect();
            f.small_wall_ns = Summary::of(&small);
            let line = match (&f.small_wall_ns, &wall) {
                (Some(a), Some(b)) => two_point_fit(a, f.small_size, b, size),
                _ => None,
            };
            f.fixed_ns = line.map(|l| l.0);
            f.per_size_ns = line.map(|l| l.1);
            f.per_size_spread_ns = line.map(|l| l.2);
        }
    }
    let native = results
        .paths
        .iter()
        .find(|p| p.kind == PathKind::Native)
        .map(|p| p.name.clone());
    let snapshot = results.cells.clone();
    let wall_of = |wl: &str, path: &str| -> Option<Summary> {
        snapshot
            .iter()
            .find(|c| c.workload == wl && c.path == path)
            .and_then(|c| c.wall_ns.clone())
    };
    for c in &mut results.cells {
        let Some(mine) = c.wall_ns.clone() else {
            continue;
        };
        c.vs_native = native
            .as_deref()
            .and_then(|n| wall_of(&c.workload, n))
            .and_then(|n| Ratio::of(&mine, &n));
        let peer = results
            .paths
            .iter()
            .find(|p| p.name == c.path)
            .and_then(|p| p.peer.clone());
        c.vs_peer = peer
            .and_then(|p| wall_of(&c.workload, &p))
            .and_then(|p| Ratio::of(&mine, &p));
        let native_slope = native.as_deref().and_then(|n| {
            let f = snapshot
                .iter()
                .find(|x| x.workload == c.workload && x.path == n)?
                .fit
                .as_ref()?;
            Some((f.per_size_ns?, f.per_size_spread_ns?))
        });
        if let (Some(f), Some((nb, ns))) = (&mut c.fit, native_slope) {
            f.steady_vs_native = match (f.per_size_ns, f.per_size_spread_ns) {
                (Some(b), Some(sb)) => slope_ratio(b, sb, nb, ns),
                _ => None,
            };
        }
    }
    results.geomeans = results
        .paths
        .iter()
        .filter_map(|p| {
            let mine: Vec<&Cell> = results.cells.iter().filter(|c| c.path == p.name).collect();
            let vn: Vec<Ratio> = mine.iter().filter_map(|c| c.vs_native.clone()).collect();
            let vp: Vec<Ratio> = mine.iter().filter_map(|c| c.vs_peer.clone()).collect();
            (!vn.is_empty() || !vp.is_empty()).then(|| PathGeomean {
                path: p.name.clone(),
                vs_native: geomean_ratio(&vn),
                vs_native_n: vn.len(),
                vs_peer: geomean_ratio(&vp),
                vs_peer_n: vp.len(),
            })
        })
        .collect();
}
