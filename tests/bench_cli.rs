//! `xarch bench` end to end on a fake build directory: shell scripts stand in for the workload
//! builds, so the CLI, the files it writes and its errors are checked without any engine.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WORKLOAD: &str = "#!/bin/sh\necho \"work $1\"\nprintf 'checksum %x\\n' $(( $1 * 5 ))\n";

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xarch-bench-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fake_builds(dir: &Path) -> PathBuf {
    let build = dir.join("build");
    for arch in ["x86_64", "aarch64"] {
        for w in ["one", "two"] {
            let p = build.join(arch).join(w);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, WORKLOAD).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    build
}

fn xarch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xarch"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bench_writes_json_csv_markdown_and_prints_the_summary() {
    let dir = tmpdir("ok");
    let build = fake_builds(&dir);
    let out = dir.join("res/results.json");
    // dbt-aarch64 gets a shell script as its "aarch64 build": xarch run must refuse it, so the
    // cells are failures with a reason, never times.
    let o = xarch(&[
        "bench",
        "--quick",
        "--paths",
        "dbt-aarch64",
        "--runs",
        "2",
        "--build-dir",
        build.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.starts_with("workload"), "{stdout}");
    assert!(stdout.contains("geomean"));
    assert!(stdout.contains("failed one on dbt-aarch64"), "{stdout}");

    let r = xarch_bench::Results::load(&out).unwrap();
    assert_eq!(
        r.paths[0].name, "native",
        "native is added as the reference"
    );
    assert_eq!(
        r.workloads.iter().map(|w| w.size).collect::<Vec<_>>(),
        [1, 1]
    );
    let native = r.cell("one", "native").unwrap();
    assert!(native.status.is_ok());
    assert_eq!(native.samples.len(), 2);
    let dbt = r.cell("one", "dbt-aarch64").unwrap();
    assert_eq!(dbt.status.word(), "FAILED");
    assert!(dbt.samples.is_empty() && dbt.wall_ns.is_none());
    assert!(
        std::fs::read_to_string(dir.join("res/results.csv"))
            .unwrap()
            .contains("one,dbt-aarch64,1,failed,")
    );
    assert!(
        std::fs::read_to_string(dir.join("res/results.md"))
            .unwrap()
            .contains("| one | 1 |")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bench_bad_input_is_a_one_line_error() {
    let dir = tmpdir("bad");
    let build = fake_builds(&dir);
    let b = build.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["bench", "--paths", "native,bogus", "--build-dir", b],
            "unknown path 'bogus'",
        ),
        (
            &["bench", "--workloads", "three", "--build-dir", b],
            "unknown workload 'three' (known: one, two)",
        ),
        (
            &["bench", "--runs", "0", "--build-dir", b],
            "--runs must be at least 1",
        ),
        (
            &["bench", "--size", "0", "--build-dir", b],
            "--size must be at least 1",
        ),
        (
            &["bench", "--build-dir", "/nonexistent/builds"],
            "no workload builds in /nonexistent/builds/x86_64",
        ),
    ];
    for (args, msg) in cases {
        let o = xarch(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("xarch bench: ") && err.contains(msg),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
