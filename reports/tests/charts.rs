//! Every chart is rendered (SVG and PNG) from the fixture and checked for its labels; charts
//! without data say why instead of drawing an empty frame.

use std::path::PathBuf;
use xarch_reports::charts::{self, Chart};
use xarch_reports::{fixture, render_chart, write_report};

fn outdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xarch-reports-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rendered(chart: Chart, tag: &str) -> (String, Vec<u8>) {
    let dir = outdir(tag);
    let [svg, png] = render_chart(chart, &fixture::results(), &dir)
        .unwrap()
        .unwrap();
    let out = (
        std::fs::read_to_string(svg).unwrap(),
        std::fs::read(png).unwrap(),
    );
    let _ = std::fs::remove_dir_all(dir);
    out
}

fn assert_png(png: &[u8]) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR width and height.
    assert_eq!(
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        xarch_reports::CHART_SIZE.0
    );
    assert_eq!(
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
        xarch_reports::CHART_SIZE.1
    );
}

#[test]
fn slowdown_chart_has_paths_workloads_geomean_and_units() {
    let (svg, png) = rendered(Chart::SlowdownVsNative, "slowdown");
    for text in [
        "sha256",
        "nbody",
        "qsort",
        "geomean",
        "kvm",
        "dbt-aarch64",
        "qemu-x86_64",
        "slowdown vs native (×",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    assert!(
        !svg.contains(">native<"),
        "native is the baseline, not a bar"
    );
    // The fixed colour of dbt-aarch64 fills its bars.
    assert!(
        svg.contains("#1F77B4") || svg.contains("#1f77b4"),
        "dbt-aarch64 colour"
    );
    assert_png(&png);
}

#[test]
fn speedup_chart_pairs_each_dbt_with_its_peer() {
    let (svg, png) = rendered(Chart::SpeedupVsPeer, "speedup");
    assert!(svg.contains("dbt-aarch64 vs qemu-aarch64"));
    assert!(svg.contains("dbt-x86_64 vs qemu-x86_64"));
    assert!(svg.contains("speed-up over qemu-user"));
    assert_png(&png);
}

#[test]
fn compile_share_chart_reads_engine_stats() {
    let r = fixture::results();
    let bars = charts::compile_share(&r).unwrap();
    let aarch = bars
        .series
        .iter()
        .find(|s| s.label == "dbt-aarch64")
        .unwrap();
    // Fixture: compile time is 5 % of the nominal wall time for the first workload; the
    // median wall is a little above nominal, so the share is a little below 5 %.
    let share = aarch.values[0].unwrap().0;
    assert!(share > 4.5 && share < 5.0, "{share}");
    // qsort failed on dbt-x86_64: no share for it.
    let x86 = bars
        .series
        .iter()
        .find(|s| s.label == "dbt-x86_64")
        .unwrap();
    assert_eq!(x86.values[2], None);
    let (svg, png) = rendered(Chart::CompileShare, "compile");
    assert!(svg.contains("compile time (% of median wall time)"));
    assert_png(&png);
}

#[test]
fn kvm_exit_chart_has_one_series_per_reason() {
    let r = fixture::results();
    let bars = charts::kvm_exits(&r).unwrap();
    let labels: Vec<&str> = bars.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        ["hlt", "io", "shutdown"],
        "mmio has only zero counts"
    );
    assert_eq!(bars.series[1].values[1], Some((50.0, 0.0)));
    let (svg, png) = rendered(Chart::KvmExits, "exits");
    assert!(svg.contains("VM exits per run"));
    assert_png(&png);
}

#[test]
fn charts_without_data_say_why() {
    let mut r = fixture::results();
    for c in &mut r.cells {
        c.engine_stats = None;
    }
    let dir = outdir("nodata");
    let e = render_chart(Chart::CompileShare, &r, &dir)
        .unwrap()
        .unwrap_err();
    assert!(e.contains("compile time"), "{e}");
    let e = render_chart(Chart::KvmExits, &r, &dir)
        .unwrap()
        .unwrap_err();
    assert!(e.contains("exits"), "{e}");
    let report = write_report(&r, &dir).unwrap();
    let page = std::fs::read_to_string(report.index).unwrap();
    assert!(
        page.contains("KVM exits by reason: not drawn"),
        "the page says which chart is missing and why"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn report_page_has_every_table_and_chart() {
    let dir = outdir("page");
    let r = fixture::results();
    let report = write_report(&r, &dir).unwrap();
    let page = std::fs::read_to_string(&report.index).unwrap();
    for chart in Chart::ALL {
        assert!(
            page.contains(&format!("<img src=\"{}.svg\"", chart.file_stem())),
            "{chart:?}"
        );
        assert!(dir.join(format!("{}.png", chart.file_stem())).is_file());
    }
    for id in [
        "host",
        "summary",
        "geomeans",
        "paths",
        "cells",
        "samples",
        "engine-stats",
    ] {
        assert!(page.contains(&format!("<table id=\"{id}\"")), "table {id}");
    }
    // The failure is shown as a failure with its reason, and the skip with its reason.
    assert!(page.contains("wrong checksum 1234 (native: 9abc)"));
    assert!(page.contains("qemu-ppc is not installed"));
    // 3 workloads × 6 ok paths − 1 failure = 17 ok cells × 5 samples.
    assert_eq!(page.matches("<tr><td>").count() >= 17 * 5, true);
    let _ = std::fs::remove_dir_all(dir);
}
