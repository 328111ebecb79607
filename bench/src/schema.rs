//! The results file: one JSON document per `xarch bench` run, versioned and documented here.
//!
//! ```text
//! Results ─┬─ host        where it ran (CPU, cores, kernel, KVM backend)
//!          ├─ config      how it ran (runs, warm-up, sizes, timeout)
//!          ├─ paths[]     every path asked for, available or skipped with the reason
//!          ├─ workloads[] every workload with its size and native checksum
//!          ├─ cells[]     workload × path: ok (raw samples + summaries + ratios), failed, skipped;
//!          │              with --fit-size also runs at a small SIZE and the fixed/steady split
//!          └─ geomeans[]  per path: geometric mean of the slowdowns over its ok cells
//! ```
//!
//! Units are in field names (`_ns`, `_kib`, `_s`). Raw samples are always kept, so any other
//! statistic can be recomputed later. `engine_stats` is whatever the engine wrote with
//! `--stats-json` (an opaque JSON object), so the harness needs no change when it grows.
//!
//! Version history: 1 — first version. A reader refuses a different `version` with a clear
//! error rather than guessing.

use crate::stats::{Ratio, Summary};
use serde::{Deserialize, Serialize};

/// Value of [`Results::schema`].
pub const SCHEMA_NAME: &str = "xarch-bench-results";
/// Value of [`Results::version`]; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// One bench run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Always [`SCHEMA_NAME`].
    pub schema: String,
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub version: u32,
    /// Version of the xarch that ran the matrix.
    pub xarch_version: String,
    /// Start of the run, seconds since the Unix epoch.
    pub started_unix_s: u64,
    /// Duration of the whole run, calibration included.
    pub duration_s: f64,
    /// The machine.
    pub host: Host,
    /// The run's settings.
    pub config: Config,
    /// Every path asked for, in the order asked.
    pub paths: Vec<PathEntry>,
    /// Every workload asked for, in order.
    pub workloads: Vec<WorkloadEntry>,
    /// One cell per workload × path, workload-major.
    pub cells: Vec<Cell>,
    /// Per path with at least one ok cell: geometric means of its ratios.
    pub geomeans: Vec<PathGeomean>,
}

/// The machine the matrix ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// `PRETTY_NAME` from /etc/os-release.
    pub os: String,
    /// Whether `/dev/kvm` exists.
    pub dev_kvm: bool,
    /// KVM modules loaded, from /sys/module (`kvm`, `kvm_intel`, `kvm_amd`, `kvm_pvm`).
    pub kvm_modules: Vec<String>,
    /// The KVM backend in use, e.g. `kvm_pvm`; None without KVM.
    pub kvm_backend: Option<String>,
}

/// The settings of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `--quick` was given.
    pub quick: bool,
    /// Measured runs per cell.
    pub runs: u32,
    /// Unmeasured warm-up runs per cell (their output is still checked).
    pub warmup: u32,
    /// Time budget per cell: slower cells get fewer runs (at least `min_runs`), and a warm-up
    /// slower than the budget counts as a run. None: always `runs`.
    #[serde(default)]
    pub cell_budget_s: Option<f64>,
    /// Fewest measured runs a cell gets under the budget.
    #[serde(default)]
    pub min_runs: u32,
    /// The size given with `--size`, or None when sizes were calibrated.
    pub size: Option<u64>,
    /// Calibration target: the native wall time a workload's size is grown to reach.
    pub calibrate_target_ms: f64,
    /// A run longer than this is killed and its cell fails.
    pub timeout_s: f64,
    /// Directory holding `<arch>/<workload>` builds.
    pub build_dir: String,
}

/// How a path executes a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// The x86-64 build run directly: the baseline.
    Native,
    /// The x86-64 build in a KVM virtual machine (`xarch kvm`).
    Kvm,
    /// A guest build through xarch's binary translator (`xarch run`).
    Dbt,
    /// A guest build through another emulator (qemu-user).
    Peer,
}

/// A path asked for, and whether it could run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathEntry {
    /// E.g. `dbt-aarch64`.
    pub name: String,
    /// Architecture of the workload build it runs: `x86_64`, `aarch64`, `ppc64le`, `ppc`.
    pub guest_arch: String,
    /// What kind of path it is.
    pub kind: PathKind,
    /// The path it is compared with besides native (a DBT's qemu-user), if any.
    pub peer: Option<String>,
    /// Command template (`{xarch}`, `{guest}`, `{size}`, `{stats}` are substituted).
    pub command: Vec<String>,
    /// Whether the tool passes `--stats-json` (probed from its `--help`).
    pub engine_stats: bool,
    /// Available, or skipped with the reason.
    #[serde(flatten)]
    pub status: Status,
}

/// Whether a path or cell ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// It ran (for a cell: every run exited 0 with the native checksum).
    Ok,
    /// It could not run: tool or build missing. Not a failure.
    Skipped {
        /// Why, in a sentence a user can act on.
        reason: String,
    },
    /// It ran and gave a wrong answer, a non-zero exit, a signal or a timeout. Never a time.
    Failed {
        /// What went wrong, in one line.
        reason: String,
        /// The failing run's exit code, if it exited.
        exit_code: Option<i32>,
        /// The signal that ended it, if one did.
        signal: Option<i32>,
        /// The checksum it printed, if any.
        checksum: Option<String>,
        /// The last lines of its standard error.
        stderr_tail: String,
    },
}

impl Status {
    /// True for [`Status::Ok`].
    pub fn is_ok(&self) -> bool {
        matches!(self, Status::Ok)
    }
    /// A short word for tables: `ok`, `skipped`, `FAILED`.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped { .. } => "skipped",
            Status::Failed { .. } => "FAILED",
        }
    }
    /// The reason for a skip or failure.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Status::Ok => None,
            Status::Skipped { reason } | Status::Failed { reason, .. } => Some(reason),
        }
    }
    /// The same status with "at SIZE `size`: " before its reason (a run at the fit size).
    pub fn at_size(mut self, size: u64) -> Status {
        if let Status::Skipped { reason } | Status::Failed { reason, .. } = &mut self {
            *reason = format!("at SIZE {size}: {reason}");
        }
        self
    }
}

/// A workload and the size it ran at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadEntry {
    /// Program name, e.g. `sha256`.
    pub name: String,
    /// The SIZE argument every path got.
    pub size: u64,
    /// True when the size came from calibration rather than `--size`.
    pub calibrated: bool,
    /// The checksum printed by the native build (the reference); None if native failed.
    pub native_checksum: Option<String>,
}

/// One process run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Wall-clock time from spawn to exit.
    pub wall_ns: u64,
    /// User CPU time (rusage of the child).
    pub user_ns: u64,
    /// System CPU time (rusage of the child).
    pub sys_ns: u64,
    /// Peak resident set size (rusage `ru_maxrss`).
    pub max_rss_kib: u64,
    /// True for a warm-up run kept as a sample because it alone took longer than the cell's
    /// time budget (`xarch bench` without `--runs`); see `Config::cell_budget_s`.
    #[serde(default)]
    pub warmup: bool,
}

/// Workload × path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Workload name.
    pub workload: String,
    /// Path name.
    pub path: String,
    /// The SIZE argument.
    pub size: u64,
    /// The command as run (without the stats file argument).
    pub command: Vec<String>,
    /// ok, skipped or failed.
    #[serde(flatten)]
    pub status: Status,
    /// Measured runs in the order they ran (warm-ups excluded); empty unless ok.
    pub samples: Vec<Sample>,
    /// Summary of `samples[].wall_ns`.
    pub wall_ns: Option<Summary>,
    /// Summary of `samples[].user_ns`.
    pub user_ns: Option<Summary>,
    /// Summary of `samples[].sys_ns`.
    pub sys_ns: Option<Summary>,
    /// Summary of `samples[].max_rss_kib`.
    pub max_rss_kib: Option<Summary>,
    /// Wall-time slowdown against the native cell of the same workload (above 1: slower).
    pub vs_native: Option<Ratio>,
    /// Wall-time ratio against the path's peer (above 1: this path is slower than the peer).
    pub vs_peer: Option<Ratio>,
    /// The engine's `--stats-json` output of the last measured run, as written.
    pub engine_stats: Option<serde_json::Value>,
    /// The same cell at a second, small SIZE and the line through both (`--fit-size`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<Fit>,
}

/// A cell measured at a second, small SIZE too (`xarch bench --fit-size S`, runs interleaved
/// with the cell's own), and the straight line `wall = fixed + per_size × SIZE` through the
/// two medians. The intercept is the cost paid once per run (start-up, set-up, tear-down), the
/// slope the steady state; a whole-run ratio mixes both, so at short runs it overstates the
/// steady-state slowdown of a path with a larger fixed cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The second SIZE (below the cell's).
    pub small_size: u64,
    /// Measured runs at `small_size`, in the order they ran.
    pub small_samples: Vec<Sample>,
    /// Summary of `small_samples[].wall_ns`.
    pub small_wall_ns: Option<Summary>,
    /// Intercept: wall time per run that does not grow with SIZE, ns.
    pub fixed_ns: Option<f64>,
    /// Slope: wall time per unit of SIZE, ns.
    pub per_size_ns: Option<f64>,
    /// One robust sigma of the slope, from both medians' MADs.
    pub per_size_spread_ns: Option<f64>,
    /// This slope over native's: the steady-state slowdown without the fixed cost.
    pub steady_vs_native: Option<Ratio>,
}

/// A path's geometric means over the workloads where both sides are ok.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathGeomean {
    /// Path name.
    pub path: String,
    /// Geometric mean of `vs_native` with the geometric spread of the ratios.
    pub vs_native: Option<Ratio>,
    /// Number of workloads in `vs_native`.
    pub vs_native_n: usize,
    /// Geometric mean of `vs_peer`.
    pub vs_peer: Option<Ratio>,
    /// Number of workloads in `vs_peer`.
    pub vs_peer_n: usize,
}

/// Errors reading a results file.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// The file is not results JSON.
    #[error("{path} is not an xarch bench results file: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    /// Written by an incompatible version.
    #[error(
        "{path} has results schema {schema} version {version}; this xarch reads {SCHEMA_NAME} version {SCHEMA_VERSION}"
    )]
    Version {
        path: String,
        schema: String,
        version: u64,
    },
}

impl Results {
    /// Reads and checks a results file.
    pub fn load(path: &std::path::Path) -> Result<Results, SchemaError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: p.clone(),
            source,
        })?;
        Results::from_json(&text, &p)
    }

    /// Parses results JSON; `origin` names it in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Results, SchemaError> {
        // Check the header first so an old or foreign file gets a version error, not a field error.
        let head: serde_json::Value =
            serde_json::from_str(text).map_err(|source| SchemaError::Parse {
                path: origin.into(),
                source,
            })?;
        let schema = head
            .get("schema")
            .and_then(|v| v.as_str())
            .unwrap_or("(none)")
            .to_string();
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if schema != SCHEMA_NAME || version != u64::from(SCHEMA_VERSION) {
            return Err(SchemaError::Version {
                path: origin.into(),
                schema,
                version,
            });
        }
        serde_json::from_value(head).map_err(|source| SchemaError::Parse {
            path: origin.into(),
            source,
        })
    }

    /// The cell of `workload` on `path`.
    pub fn cell(&self, workload: &str, path: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.workload == workload && c.path == path)
    }

    /// The entry of the path called `name`.
    pub fn path(&self, name: &str) -> Option<&PathEntry> {
        self.paths.iter().find(|p| p.name == name)
    }

    /// The geometric means of the path called `name`.
    pub fn geomean(&self, name: &str) -> Option<&PathGeomean> {
        self.geomeans.iter().find(|g| g.path == name)
    }
}
