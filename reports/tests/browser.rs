//! Opens the report in headless Chromium (Debian's `chromium` package) and checks from the DOM
//! that every chart image loaded and every table is present. A report with a missing chart
//! file must be caught, so the check is shown to be able to fail.
//!
//! Skips with a message where Chromium is not installed (`apt-get install chromium`).

use std::path::{Path, PathBuf};
use std::process::Command;
use xarch_reports::{fixture, write_report};

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
}

/// The DOM of `page` after load, as Chromium serialises it.
fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_image_loads_and_every_table_is_present_in_chromium() {
    let Some(browser) = chromium() else {
        panic!("chromium is not installed (apt-get install chromium, or run `make deps`)");
    };
    let dir = std::env::temp_dir().join(format!("xarch-reports-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let report = write_report(&fixture::results(), &dir.join("report")).unwrap();
    let drawn = report.charts.iter().filter(|(_, o)| o.is_ok()).count();
    assert_eq!(drawn, 4, "the fixture has data for every chart");

    let dom = dump_dom(&browser, &report.index, &dir.join("profile"));
    assert!(
        dom.contains(&format!("data-images-ok=\"{drawn}/{drawn}\"")),
        "not every image loaded:\n{}",
        &dom[..dom.len().min(400)]
    );
    for id in [
        "host",
        "summary",
        "geomeans",
        "paths",
        "cells",
        "samples",
        "engine-stats",
    ] {
        assert!(
            dom.contains(&format!("<table id=\"{id}\"")),
            "table {id} missing from the DOM"
        );
    }
    assert!(!dom.contains("<p class=\"failed\">image failed to load"));

    // Remove one chart: the page must report it.
    std::fs::remove_file(dir.join("report/kvm_exits.svg")).unwrap();
    let dom = dump_dom(&browser, &report.index, &dir.join("profile"));
    assert!(
        dom.contains(&format!("data-images-ok=\"{}/{drawn}\"", drawn - 1)),
        "a missing image went unnoticed"
    );
    assert!(dom.contains("<p class=\"failed\">image failed to load: kvm_exits.svg</p>"));
    let _ = std::fs::remove_dir_all(dir);
}
