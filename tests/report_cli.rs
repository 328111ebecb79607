//! `xarch report` end to end: from a results file to index.html and the charts; bad input
//! gives a one-line error.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xarch-report-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn xarch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xarch"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn report_writes_the_page_and_every_chart() {
    let dir = tmpdir("ok");
    let results = dir.join("results.json");
    let json = serde_json::to_string(&xarch_reports::fixture::results()).unwrap();
    std::fs::write(&results, json).unwrap();
    let out = dir.join("report");
    let o = xarch(&[
        "report",
        results.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        stdout.trim(),
        format!("report: {}", out.join("index.html").display())
    );
    for stem in [
        "slowdown_vs_native",
        "speedup_vs_qemu",
        "compile_share",
        "kvm_exits",
    ] {
        for ext in ["svg", "png"] {
            assert!(out.join(format!("{stem}.{ext}")).is_file(), "{stem}.{ext}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn report_bad_input_is_a_one_line_error() {
    let dir = tmpdir("bad");
    let not_results = dir.join("other.json");
    std::fs::write(
        &not_results,
        "{\"schema\": \"something-else\", \"version\": 1}",
    )
    .unwrap();
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "not json").unwrap();
    let cases = [
        (dir.join("missing.json"), "cannot read"),
        (not_results, "has results schema something-else version 1"),
        (garbage, "is not an xarch bench results file"),
    ];
    for (file, msg) in cases {
        let o = xarch(&[
            "report",
            file.to_str().unwrap(),
            "-o",
            dir.join("out").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("xarch report: ") && err.contains(msg),
            "{err}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
