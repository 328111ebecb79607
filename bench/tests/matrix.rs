//! The runner on a fake build directory and a test-only path table: shell scripts stand in for
//! workloads and tools, so failure recording and skip reasons are checked without an engine.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use xarch_bench::export::{self, Exporter};
use xarch_bench::paths::{Need, PathSpec, Tools};
use xarch_bench::runner::{self, Plan, Silent};
use xarch_bench::schema::{PathKind, Results, Status};

/// A workload: prints a line, then `checksum <size*3 in hex>`, exits 0.
const WORKLOAD: &str = "#!/bin/sh\necho \"work $1\"\nprintf 'checksum %x\\n' $(( $1 * 3 ))\n";

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xarch-bench-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn path(
    name: &str,
    arch: &str,
    kind: PathKind,
    peer: Option<&str>,
    command: &[&str],
    needs: Vec<Need>,
) -> PathSpec {
    PathSpec {
        name: name.into(),
        guest_arch: arch.into(),
        kind,
        peer: peer.map(Into::into),
        command: command.iter().map(|s| s.to_string()).collect(),
        needs,
    }
}

fn plan(dir: &Path, paths: Vec<PathSpec>) -> Plan {
    Plan {
        paths,
        workloads: None,
        build_dir: dir.join("build"),
        tools: Tools { xarch: None },
        runs: 3,
        warmup: 1,
        cell_budget: None,
        min_runs: 1,
        size: Some(7),
        fit_size: None,
        calibrate_target: Duration::from_millis(5),
        max_size: 1 << 20,
        timeout: Duration::from_secs(20),
        quick: true,
        xarch_version: "test".into(),
    }
}

fn fake_matrix() -> (PathBuf, Results) {
    let dir = tmpdir("matrix");
    let build = dir.join("build");
    for w in ["alpha", "beta"] {
        write_exec(&build.join("x86_64").join(w), WORKLOAD);
        write_exec(&build.join("fake").join(w), WORKLOAD);
    }
    // `fake` has no build of beta... except we want one missing: remove it.
    std::fs::remove_file(build.join("fake").join("beta")).unwrap();
    let paths = vec![
        path(
            "native",
            "x86_64",
            PathKind::Native,
            None,
            &["{guest}", "{size}"],
            vec![],
        ),
        // Runs the guest build through /bin/sh: right answer, slower start.
        path(
            "emu",
            "fake",
            PathKind::Dbt,
            Some("peer"),
            &["/bin/sh", "{guest}", "{size}"],
            vec![],
        ),
        path(
            "peer",
            "fake",
            PathKind::Peer,
            None,
            &[
                "/bin/sh",
                "-c",
                "sleep 0.01; exec \"$0\" \"$@\"",
                "{guest}",
                "{size}",
            ],
            vec![],
        ),
        // Prints a wrong checksum with exit 0.
        path(
            "liar",
            "x86_64",
            PathKind::Dbt,
            None,
            &["/bin/echo", "checksum", "dead"],
            vec![],
        ),
        // Exits non-zero with a message.
        path(
            "crash",
            "x86_64",
            PathKind::Dbt,
            None,
            &["/bin/sh", "-c", "echo boom >&2; exit 4"],
            vec![],
        ),
        // Its tool is not installed.
        path(
            "absent",
            "x86_64",
            PathKind::Peer,
            None,
            &["no-such-tool-xyz", "{guest}"],
            vec![Need::Program("no-such-tool-xyz".into())],
        ),
    ];
    let results = runner::run(&plan(&dir, paths), &mut Silent).unwrap();
    (dir, results)
}

#[test]
fn matrix_records_times_failures_and_skips() {
    let (dir, r) = fake_matrix();
    assert_eq!(r.workloads.len(), 2);
    assert_eq!(r.workloads[0].native_checksum.as_deref(), Some("15")); // 7*3 = 0x15
    assert_eq!(r.cells.len(), 12);

    let native = r.cell("alpha", "native").unwrap();
    assert!(native.status.is_ok());
    assert_eq!(native.samples.len(), 3);
    assert_eq!(native.vs_native.as_ref().unwrap().value, 1.0);

    let emu = r.cell("alpha", "emu").unwrap();
    assert!(emu.status.is_ok(), "{:?}", emu.status);
    assert!(emu.wall_ns.as_ref().unwrap().median > 0.0);
    assert!(emu.vs_native.is_some());
    assert!(emu.vs_peer.is_some(), "emu is compared with its peer");

    // A wrong checksum is a failure with the checksum, and no time.
    let liar = r.cell("alpha", "liar").unwrap();
    match &liar.status {
        Status::Failed {
            reason,
            checksum,
            exit_code,
            ..
        } => {
            assert_eq!(reason, "wrong checksum dead (native: 15)");
            assert_eq!(checksum.as_deref(), Some("dead"));
            assert_eq!(*exit_code, Some(0));
        }
        s => panic!("liar should fail: {s:?}"),
    }
    assert!(liar.samples.is_empty() && liar.wall_ns.is_none() && liar.vs_native.is_none());

    match &r.cell("beta", "crash").unwrap().status {
        Status::Failed {
            reason,
            exit_code,
            stderr_tail,
            ..
        } => {
            assert_eq!(reason, "exit code 4: boom");
            assert_eq!(*exit_code, Some(4));
            assert_eq!(stderr_tail, "boom");
        }
        s => panic!("crash should fail: {s:?}"),
    }

    // Skips carry their reason: a missing tool, a missing guest build.
    match &r.cell("alpha", "absent").unwrap().status {
        Status::Skipped { reason } => assert!(
            reason.contains("no-such-tool-xyz is not installed"),
            "{reason}"
        ),
        s => panic!("{s:?}"),
    }
    assert!(!r.path("absent").unwrap().status.is_ok());
    match &r.cell("beta", "emu").unwrap().status {
        Status::Skipped { reason } => {
            assert!(reason.starts_with("no fake build of beta"), "{reason}")
        }
        s => panic!("{s:?}"),
    }

    // Geometric means only over ok cells.
    let g = r.geomean("emu").unwrap();
    assert_eq!(g.vs_native_n, 1);
    assert!(r.geomean("liar").is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn results_round_trip_through_json_and_reject_other_versions() {
    let (dir, r) = fake_matrix();
    let mut buf = Vec::new();
    export::Json.export(&r, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let back = Results::from_json(&text, "mem").unwrap();
    assert_eq!(back, r);
    // The failure is in the JSON as a failure.
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let liar = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "liar")
        .unwrap();
    assert_eq!(liar["status"], "failed");
    assert_eq!(liar["wall_ns"], serde_json::Value::Null);

    let old = text.replacen("\"version\": 1", "\"version\": 99", 1);
    let e = Results::from_json(&old, "old.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("version 99"), "{e}");
    let e = Results::from_json("[1,2]", "x.json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.json"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn exporters_show_every_cell_and_problem() {
    let (dir, r) = fake_matrix();
    let render = |e: &dyn Exporter| {
        let mut buf = Vec::new();
        e.export(&r, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    };
    let csv = render(&export::Csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + r.cells.len());
    assert!(lines[0].starts_with("workload,path,size,status"));
    let liar = lines.iter().find(|l| l.starts_with("alpha,liar,")).unwrap();
    assert!(
        liar.contains(",failed,wrong checksum dead (native: 15),0,,"),
        "{liar}"
    );
    let emu = lines.iter().find(|l| l.starts_with("alpha,emu,")).unwrap();
    assert!(emu.contains(",ok,,3,"), "{emu}");

    let md = render(&export::Markdown);
    assert!(
        md.contains("| workload | size | native | emu | peer | liar | crash | absent |"),
        "{md}"
    );
    assert!(md.contains("path **absent** skipped"));
    assert!(md.contains("alpha on liar: FAILED — wrong checksum dead (native: 15)"));
    assert!(md.contains("| **geomean** |"));

    let text = render(&export::Text);
    assert!(text.lines().next().unwrap().starts_with("workload"));
    assert!(
        text.contains("failed alpha on liar: wrong checksum dead"),
        "{text}"
    );
    assert!(text.contains("skipped absent:"), "{text}");
    assert!(
        !text.lines().next().unwrap().contains("absent"),
        "skipped paths have no column"
    );

    let names: Vec<&str> = export::all().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["json", "csv", "markdown", "text"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn fit_size_splits_fixed_cost_from_steady_state() {
    let dir = tmpdir("fit");
    // 20 ms of work per unit of SIZE, and a checksum that depends on SIZE.
    let work =
        "#!/bin/sh\nsleep $(awk \"BEGIN { print $1 * 0.02 }\")\nprintf 'checksum %x\\n' $1\n";
    write_exec(&dir.join("build/x86_64/w"), work);
    let paths = vec![
        path(
            "native",
            "x86_64",
            PathKind::Native,
            None,
            &["{guest}", "{size}"],
            vec![],
        ),
        // The same work after a 250 ms start-up.
        path(
            "late",
            "x86_64",
            PathKind::Kvm,
            None,
            &[
                "/bin/sh",
                "-c",
                "sleep 0.25; exec \"$0\" \"$@\"",
                "{guest}",
                "{size}",
            ],
            vec![],
        ),
        // Right at the big size, wrong at the small one.
        path(
            "odd",
            "x86_64",
            PathKind::Dbt,
            None,
            &[
                "/bin/sh",
                "-c",
                "[ $1 = 1 ] && echo 'checksum 0' || exec \"$0\" \"$@\"",
                "{guest}",
                "{size}",
            ],
            vec![],
        ),
    ];
    let mut p = plan(&dir, paths);
    p.size = Some(6);
    p.fit_size = Some(1);
    p.warmup = 0;
    let r = runner::run(&p, &mut Silent).unwrap();
    let native = r.cell("w", "native").unwrap().fit.clone().unwrap();
    let late = r.cell("w", "late").unwrap().fit.clone().unwrap();
    assert_eq!((native.small_size, native.small_samples.len()), (1, 3));
    assert_eq!(late.small_samples.len(), 3);
    // Sleeps only get longer under load: wide margins, the sign is what matters.
    let extra = late.fixed_ns.unwrap() - native.fixed_ns.unwrap();
    assert!(extra > 0.1e9, "fixed costs: {native:?} {late:?}");
    let steady = late.steady_vs_native.unwrap().value;
    assert!((0.5..2.0).contains(&steady), "{steady}");
    assert!(native.steady_vs_native.is_some());
    let odd = r.cell("w", "odd").unwrap();
    assert!(odd.fit.is_none());
    assert!(
        odd.status
            .reason()
            .unwrap()
            .starts_with("at SIZE 1: wrong checksum"),
        "{:?}",
        odd.status
    );
    let mut text = Vec::new();
    export::Text.export(&r, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("steady vs native"), "{text}");
    let mut md = Vec::new();
    export::Markdown.export(&r, &mut md).unwrap();
    assert!(
        String::from_utf8(md)
            .unwrap()
            .contains("| w | late | 1,6 |")
    );
    // No second run where the fit size is not below the cell's.
    p.fit_size = Some(6);
    p.runs = 1;
    let r = runner::run(&p, &mut Silent).unwrap();
    assert!(r.cells.iter().all(|c| c.fit.is_none()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn calibration_grows_the_size_until_native_takes_the_target() {
    let dir = tmpdir("calib");
    // Sleeps SIZE milliseconds (via a busy shell loop would be slower to test); sleep is fine.
    write_exec(
        &dir.join("build/x86_64/slow"),
        "#!/bin/sh\nsleep $(echo \"$1 / 1000\" | bc -l 2>/dev/null || echo 0)\nprintf 'checksum %x\\n' $1\n",
    );
    let mut p = plan(
        &dir,
        vec![path(
            "native",
            "x86_64",
            PathKind::Native,
            None,
            &["{guest}", "{size}"],
            vec![],
        )],
    );
    p.size = None;
    p.calibrate_target = Duration::from_millis(40);
    p.max_size = 4096;
    p.runs = 1;
    p.warmup = 0;
    let r = runner::run(&p, &mut Silent).unwrap();
    let w = &r.workloads[0];
    assert!(w.calibrated);
    assert!(w.size > 1, "{w:?}");
    assert_eq!(
        w.native_checksum.as_deref(),
        Some(format!("{:x}", w.size).as_str())
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unknown_workload_and_missing_builds_are_errors() {
    let dir = tmpdir("errors");
    let p = plan(
        &dir,
        vec![path(
            "native",
            "x86_64",
            PathKind::Native,
            None,
            &["{guest}", "{size}"],
            vec![],
        )],
    );
    let e = runner::run(&p, &mut Silent).unwrap_err().to_string();
    assert!(e.starts_with("no workload builds in"), "{e}");
    write_exec(&dir.join("build/x86_64/one"), WORKLOAD);
    let mut p2 = p.clone();
    p2.workloads = Some(vec!["two".into()]);
    let e = runner::run(&p2, &mut Silent).unwrap_err().to_string();
    assert_eq!(e, "unknown workload 'two' (known: one)");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cell_budget_trims_runs_of_slow_cells_only() {
    let dir = tmpdir("budget");
    write_exec(&dir.join("build/x86_64/w"), WORKLOAD);
    let paths = vec![
        path(
            "native",
            "x86_64",
            PathKind::Native,
            None,
            &["{guest}", "{size}"],
            vec![],
        ),
        path(
            "slow",
            "x86_64",
            PathKind::Peer,
            None,
            &[
                "/bin/sh",
                "-c",
                "sleep 1.2; exec \"$0\" \"$@\"",
                "{guest}",
                "{size}",
            ],
            vec![],
        ),
    ];
    let mut p = plan(&dir, paths);
    p.runs = 4;
    // Wide margins: a fast cell is trimmed only if one run takes over 250 ms (budget / runs),
    // which a loaded 2-core CI machine must not turn into a flaky failure.
    p.cell_budget = Some(Duration::from_millis(1000));
    p.min_runs = 2;
    let r = runner::run(&p, &mut Silent).unwrap();
    assert_eq!(
        r.cell("w", "native").unwrap().samples.len(),
        4,
        "fast cells keep every run"
    );
    assert_eq!(
        r.cell("w", "slow").unwrap().samples.len(),
        2,
        "slow cells drop to min_runs"
    );
    let slow = &r.cell("w", "slow").unwrap().samples;
    assert!(
        slow[0].warmup && !slow[1].warmup,
        "a warm-up longer than the budget counts as a run"
    );
    assert!(
        r.cell("w", "native")
            .unwrap()
            .samples
            .iter()
            .all(|s| !s.warmup)
    );
    let _ = std::fs::remove_dir_all(dir);
}
