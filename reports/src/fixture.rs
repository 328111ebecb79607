//! A synthetic but complete results set (every path kind, a failure, a skip, engine statistics
//! from the DBT and KVM paths) so that every chart and table can be rendered by tests without
//! running the matrix.

use xarch_bench::schema::{
    Cell, Config, Host, PathEntry, PathKind, Results, Sample, Status, WorkloadEntry,
};

fn entry(name: &str, arch: &str, kind: PathKind, peer: Option<&str>, status: Status) -> PathEntry {
    PathEntry {
        name: name.into(),
        guest_arch: arch.into(),
        kind,
        peer: peer.map(Into::into),
        command: vec![],
        engine_stats: matches!(kind, PathKind::Dbt | PathKind::Kvm),
        status,
    }
}

/// Results for workloads `sha256`, `nbody`, `qsort` on native, kvm, dbt-aarch64, qemu-aarch64,
/// dbt-x86_64, qemu-x86_64 (and a skipped qemu-ppc); `qsort` fails on dbt-x86_64.
pub fn results() -> Results {
    let paths = vec![
        entry("native", "x86_64", PathKind::Native, None, Status::Ok),
        entry("kvm", "x86_64", PathKind::Kvm, None, Status::Ok),
        entry(
            "dbt-x86_64",
            "x86_64",
            PathKind::Dbt,
            Some("qemu-x86_64"),
            Status::Ok,
        ),
        entry(
            "dbt-aarch64",
            "aarch64",
            PathKind::Dbt,
            Some("qemu-aarch64"),
            Status::Ok,
        ),
        entry("qemu-x86_64", "x86_64", PathKind::Peer, None, Status::Ok),
        entry("qemu-aarch64", "aarch64", PathKind::Peer, None, Status::Ok),
        entry(
            "qemu-ppc",
            "ppc",
            PathKind::Peer,
            None,
            Status::Skipped {
                reason: "qemu-ppc is not installed".into(),
            },
        ),
    ];
    // Base wall time per workload (ms) and each path's factor.
    let workloads = [("sha256", 20.0), ("nbody", 35.0), ("qsort", 12.0)];
    let factors = [
        ("native", 1.0),
        ("kvm", 1.03),
        ("dbt-x86_64", 2.4),
        ("dbt-aarch64", 3.1),
        ("qemu-x86_64", 5.0),
        ("qemu-aarch64", 6.5),
    ];
    let mut cells = Vec::new();
    for (wi, (w, base_ms)) in workloads.iter().enumerate() {
        for p in &paths {
            let factor = factors.iter().find(|f| f.0 == p.name).map(|f| f.1);
            let mut cell = Cell {
                workload: w.to_string(),
                path: p.name.clone(),
                size: 1000,
                command: vec![],
                status: Status::Ok,
                samples: vec![],
                wall_ns: None,
                user_ns: None,
                sys_ns: None,
                max_rss_kib: None,
                vs_native: None,
                vs_peer: None,
                engine_stats: None,
                fit: None,
            };
            match (factor, &p.status) {
                (_, Status::Skipped { reason }) => {
                    cell.status = Status::Skipped {
                        reason: reason.clone(),
                    }
                }
                (Some(_), _) if *w == "qsort" && p.name == "dbt-x86_64" => {
                    cell.status = Status::Failed {
                        reason: "wrong checksum 1234 (native: 9abc)".into(),
                        exit_code: Some(0),
                        signal: None,
                        checksum: Some("1234".into()),
                        stderr_tail: String::new(),
                    }
                }
                (Some(f), _) => {
                    for k in 0..5u64 {
                        let wall =
                            base_ms * f * 1e6 * (1.0 + 0.01 * ((k * 7 + wi as u64) % 5) as f64);
                        cell.samples.push(Sample {
                            wall_ns: wall as u64,
                            user_ns: (wall * 0.97) as u64,
                            sys_ns: (wall * 0.02) as u64,
                            max_rss_kib: 2000 + 500 * k,
                            warmup: false,
                        });
                    }
                    let wall_ms = base_ms * f;
                    cell.engine_stats = match p.kind {
                        PathKind::Dbt => Some(serde_json::json!({
                            "guest_instructions": 123456789u64,
                            "blocks": { "lifted": 900, "compiled": 120 },
                            "compile_time_ns": (wall_ms * 1e6 * (0.05 + 0.04 * wi as f64)) as u64,
                            "chain_hits": 55555,
                        })),
                        PathKind::Kvm => Some(serde_json::json!({
                            "backend": "kvm_pvm",
                            "exits": { "io": 40 + 10 * wi, "mmio": 0, "shutdown": 1, "hlt": 2 + wi },
                        })),
                        _ => None,
                    };
                }
                (None, _) => unreachable!("every available fixture path has a factor"),
            }
            cells.push(cell);
        }
    }
    let mut r = Results {
        schema: xarch_bench::schema::SCHEMA_NAME.into(),
        version: xarch_bench::schema::SCHEMA_VERSION,
        xarch_version: "fixture".into(),
        started_unix_s: 1_790_000_000,
        duration_s: 42.0,
        host: Host {
            cpu_model: "Fixture CPU @ 2.0GHz".into(),
            logical_cpus: 2,
            kernel: "6.1.0".into(),
            os: "Debian GNU/Linux 12 (bookworm)".into(),
            dev_kvm: true,
            kvm_modules: vec!["kvm".into(), "kvm_pvm".into()],
            kvm_backend: Some("kvm_pvm".into()),
        },
        config: Config {
            quick: true,
            runs: 5,
            warmup: 1,
            cell_budget_s: None,
            min_runs: 5,
            size: Some(1000),
            calibrate_target_ms: 20.0,
            timeout_s: 30.0,
            build_dir: "build/workloads".into(),
        },
        paths,
        workloads: workloads
            .iter()
            .map(|(w, _)| WorkloadEntry {
                name: w.to_string(),
                size: 1000,
                calibrated: false,
                native_checksum: Some("9abc".into()),
            })
            .collect(),
        cells,
        geomeans: vec![],
    };
    xarch_bench::runner::summarize(&mut r);
    r
}
