//! Exporters of results behind one trait: JSON (the full file), CSV (one row per cell),
//! Markdown (tables for a README or an issue), and the plain-text summary printed at the end
//! of `xarch bench`.

use crate::schema::{Cell, Results, Status};
use crate::stats::Ratio;
use std::io::{self, Write};

/// Writes results in one format.
pub trait Exporter {
    /// Format name, e.g. `csv`.
    fn name(&self) -> &'static str;
    /// File extension without the dot.
    fn extension(&self) -> &'static str;
    /// Writes `results` to `out`.
    fn export(&self, results: &Results, out: &mut dyn Write) -> io::Result<()>;
}

/// Every exporter, for `--format` style lookups.
pub fn all() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(Json),
        Box::new(Csv),
        Box::new(Markdown),
        Box::new(Text),
    ]
}

/// A human duration from nanoseconds: `812 µs`, `12.3 ms`, `1.25 s`.
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.0} µs", ns / 1e3)
    }
}

/// `3.41×` (with `± 0.12` when `spread`).
pub fn ratio(r: &Ratio, spread: bool) -> String {
    if spread {
        format!("{:.2}× ± {:.2}", r.value, r.spread)
    } else {
        format!("{:.2}×", r.value)
    }
}

/// `1.004× ± 0.012`: three decimals, for steady-state ratios near 1.
fn ratio3(r: &Ratio) -> String {
    format!("{:.3}× ± {:.3}", r.value, r.spread)
}

/// Rows of the fixed-cost / steady-state split (`--fit-size`), one per cell that has it:
/// workload, path, sizes, fixed cost, time per SIZE unit, steady state vs native, whole run
/// vs native.
fn fit_rows(r: &Results) -> Vec<[String; 7]> {
    let dur = |x: Option<f64>| x.map(duration).unwrap_or("-".into());
    r.cells
        .iter()
        .filter_map(|c| {
            let f = c.fit.as_ref()?;
            Some([
                c.workload.clone(),
                c.path.clone(),
                format!("{},{}", f.small_size, c.size),
                dur(f.fixed_ns),
                dur(f.per_size_ns),
                f.steady_vs_native
                    .as_ref()
                    .filter(|_| c.path != "native")
                    .map(ratio3)
                    .unwrap_or("-".into()),
                c.vs_native
                    .as_ref()
                    .filter(|_| c.path != "native")
                    .map(ratio3)
                    .unwrap_or("-".into()),
            ])
        })
        .collect()
}

const FIT_HEADER: [&str; 7] = [
    "workload",
    "path",
    "sizes",
    "fixed",
    "per SIZE",
    "steady vs native",
    "whole run vs native",
];

/// The short text of a cell in a summary table: median wall time and slowdown, or its status.
fn cell_text(c: Option<&Cell>) -> String {
    match c {
        None => "-".into(),
        Some(c) => match (&c.status, &c.wall_ns) {
            (Status::Ok, Some(w)) => match &c.vs_native {
                Some(r) if c.path != "native" => {
                    format!("{} ({})", duration(w.median), ratio(r, false))
                }
                _ => duration(w.median),
            },
            (s, _) => s.word().to_string(),
        },
    }
}

/// The full results file, pretty-printed.
pub struct Json;

impl Exporter for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn extension(&self) -> &'static str {
        "json"
    }
    fn export(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, results).map_err(io::Error::other)?;
        writeln!(out)
    }
}

/// One row per cell; times in seconds.
pub struct Csv;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Exporter for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn export(&self, results: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "workload,path,size,status,reason,runs,wall_median_s,wall_min_s,wall_max_s,wall_mad_s,user_median_s,sys_median_s,max_rss_median_kib,vs_native,vs_native_spread,vs_peer,vs_peer_spread"
        )?;
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        for c in &results.cells {
            let w = c.wall_ns.as_ref();
            let row = [
                csv_field(&c.workload),
                csv_field(&c.path),
                c.size.to_string(),
                c.status.word().to_lowercase(),
                csv_field(c.status.reason().unwrap_or("")),
                c.samples.len().to_string(),
                opt(w.map(|s| s.median / 1e9)),
                opt(w.map(|s| s.min / 1e9)),
                opt(w.map(|s| s.max / 1e9)),
                opt(w.map(|s| s.mad / 1e9)),
                opt(c.user_ns.as_ref().map(|s| s.median / 1e9)),
                opt(c.sys_ns.as_ref().map(|s| s.median / 1e9)),
                opt(c.max_rss_kib.as_ref().map(|s| s.median)),
                opt(c.vs_native.as_ref().map(|r| r.value)),
                opt(c.vs_native.as_ref().map(|r| r.spread)),
                opt(c.vs_peer.as_ref().map(|r| r.value)),
                opt(c.vs_peer.as_ref().map(|r| r.spread)),
            ];
            writeln!(out, "{}", row.join(","))?;
        }
        Ok(())
    }
}

/// Markdown: host, summary table, geometric means, problems, per-cell details.
pub struct Markdown;

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Exporter for Markdown {
    fn name(&self) -> &'static str {
        "markdown"
    }
    fn extension(&self) -> &'static str {
        "md"
    }
    fn export(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        let h = &r.host;
        writeln!(out, "# xarch bench results\n")?;
        writeln!(
            out,
            "Host: {} ({} logical CPUs), kernel {}, {}, KVM backend: {}.  ",
            h.cpu_model,
            h.logical_cpus,
            h.kernel,
            h.os,
            h.kvm_backend.as_deref().unwrap_or("none")
        )?;
        writeln!(
            out,
            "Method: {} warm-up + {} measured runs per cell, interleaved across paths; medians of wall time; ratios ± robust sigma.\n",
            r.config.warmup, r.config.runs
        )?;
        writeln!(out, "## Wall time (median) and slowdown vs native\n")?;
        let names: Vec<&str> = r.paths.iter().map(|p| p.name.as_str()).collect();
        writeln!(out, "| workload | size | {} |", names.join(" | "))?;
        writeln!(
            out,
            "|---|---:|{}|",
            names.iter().map(|_| "---:").collect::<Vec<_>>().join("|")
        )?;
        for w in &r.workloads {
            let cols: Vec<String> = names
                .iter()
                .map(|p| md(&cell_text(r.cell(&w.name, p))))
                .collect();
            writeln!(
                out,
                "| {} | {} | {} |",
                md(&w.name),
                w.size,
                cols.join(" | ")
            )?;
        }
        let geo: Vec<String> = names
            .iter()
            .map(|p| {
                r.geomean(p)
                    .and_then(|g| g.vs_native.as_ref())
                    .map(|x| format!("**{}**", ratio(x, true)))
                    .unwrap_or("-".into())
            })
            .collect();
        writeln!(out, "| **geomean** | | {} |", geo.join(" | "))?;

        let fits = fit_rows(r);
        if !fits.is_empty() {
            writeln!(
                out,
                "\n## Fixed cost and steady state (two sizes: wall = fixed + per SIZE × SIZE)\n"
            )?;
            writeln!(out, "| {} |", FIT_HEADER.join(" | "))?;
            writeln!(out, "|---|---|---|---:|---:|---:|---:|")?;
            for row in fits {
                let row: Vec<String> = row.iter().map(|x| md(x)).collect();
                writeln!(out, "| {} |", row.join(" | "))?;
            }
        }

        let peers: Vec<_> = r.geomeans.iter().filter(|g| g.vs_peer.is_some()).collect();
        if !peers.is_empty() {
            writeln!(out, "\n## Against the peer (qemu-user)\n")?;
            writeln!(
                out,
                "| path | peer | geomean time ratio (<1: faster than peer) | workloads |"
            )?;
            writeln!(out, "|---|---|---:|---:|")?;
            for g in peers {
                let peer = r
                    .path(&g.path)
                    .and_then(|p| p.peer.clone())
                    .unwrap_or_default();
                let v = g
                    .vs_peer
                    .as_ref()
                    .map(|x| ratio(x, true))
                    .unwrap_or_default();
                writeln!(out, "| {} | {} | {} | {} |", g.path, peer, v, g.vs_peer_n)?;
            }
        }

        let problems: Vec<&Cell> = r.cells.iter().filter(|c| !c.status.is_ok()).collect();
        let skipped_paths: Vec<_> = r.paths.iter().filter(|p| !p.status.is_ok()).collect();
        if !problems.is_empty() || !skipped_paths.is_empty() {
            writeln!(out, "\n## Failures and skips\n")?;
            for p in skipped_paths {
                writeln!(
                    out,
                    "- path **{}** skipped: {}",
                    p.name,
                    md(p.status.reason().unwrap_or(""))
                )?;
            }
            for c in problems
                .iter()
                .filter(|c| r.path(&c.path).is_some_and(|p| p.status.is_ok()))
            {
                writeln!(
                    out,
                    "- {} on {}: {} — {}",
                    c.workload,
                    c.path,
                    c.status.word(),
                    md(c.status.reason().unwrap_or(""))
                )?;
            }
        }

        writeln!(out, "\n## Every cell\n")?;
        writeln!(
            out,
            "| workload | path | status | runs | wall median | min | max | MAD | user | sys | peak RSS | vs native | vs peer |"
        )?;
        writeln!(
            out,
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )?;
        for c in &r.cells {
            let d = |s: Option<&crate::stats::Summary>, f: fn(&crate::stats::Summary) -> f64| {
                s.map(|s| duration(f(s))).unwrap_or("-".into())
            };
            let w = c.wall_ns.as_ref();
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&c.workload),
                md(&c.path),
                c.status.word(),
                c.samples.len(),
                d(w, |s| s.median),
                d(w, |s| s.min),
                d(w, |s| s.max),
                d(w, |s| s.mad),
                d(c.user_ns.as_ref(), |s| s.median),
                d(c.sys_ns.as_ref(), |s| s.median),
                c.max_rss_kib
                    .as_ref()
                    .map(|s| format!("{:.0} KiB", s.median))
                    .unwrap_or("-".into()),
                c.vs_native
                    .as_ref()
                    .map(|x| ratio(x, true))
                    .unwrap_or("-".into()),
                c.vs_peer
                    .as_ref()
                    .map(|x| ratio(x, true))
                    .unwrap_or("-".into()),
            )?;
        }
        Ok(())
    }
}

/// The terminal summary: aligned columns, one row per workload, a geomean row, then failures.
pub struct Text;

impl Exporter for Text {
    fn name(&self) -> &'static str {
        "text"
    }
    fn extension(&self) -> &'static str {
        "txt"
    }
    fn export(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        let paths: Vec<&str> = r
            .paths
            .iter()
            .filter(|p| p.status.is_ok())
            .map(|p| p.name.as_str())
            .collect();
        let mut rows: Vec<Vec<String>> = vec![
            std::iter::once("workload".to_string())
                .chain(std::iter::once("size".into()))
                .chain(paths.iter().map(|p| p.to_string()))
                .collect(),
        ];
        for w in &r.workloads {
            let mut row = vec![w.name.clone(), w.size.to_string()];
            row.extend(paths.iter().map(|p| cell_text(r.cell(&w.name, p))));
            rows.push(row);
        }
        let mut geo = vec!["geomean".to_string(), String::new()];
        geo.extend(paths.iter().map(|p| {
            r.geomean(p)
                .and_then(|g| g.vs_native.as_ref())
                .map(|x| ratio(x, false))
                .unwrap_or("-".into())
        }));
        rows.push(geo);
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| {
                rows.iter()
                    .map(|row| row[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (n, row) in rows.iter().enumerate() {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (s, w))| {
                    if i == 0 {
                        format!("{s:<w$}")
                    } else {
                        format!("{s:>w$}")
                    }
                })
                .collect();
            writeln!(out, "{}", line.join("  ").trim_end())?;
            if n == 0 {
                writeln!(
                    out,
                    "{}",
                    "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1))
                )?;
            }
        }
        let fits = fit_rows(r);
        if !fits.is_empty() {
            writeln!(
                out,
                "\nfixed cost and steady state (two sizes: wall = fixed + per SIZE × SIZE):"
            )?;
            let mut table = vec![FIT_HEADER.map(String::from)];
            table.extend(fits);
            let widths: Vec<usize> = (0..7)
                .map(|i| {
                    table
                        .iter()
                        .map(|r| r[i].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for row in &table {
                let line: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(i, (s, w))| {
                        if i < 2 {
                            format!("{s:<w$}")
                        } else {
                            format!("{s:>w$}")
                        }
                    })
                    .collect();
                writeln!(out, "{}", line.join("  ").trim_end())?;
            }
        }
        for g in r.geomeans.iter().filter(|g| g.vs_peer.is_some()) {
            let peer = r
                .path(&g.path)
                .and_then(|p| p.peer.clone())
                .unwrap_or_default();
            if let Some(v) = &g.vs_peer {
                let (word, factor) = if v.value <= 1.0 {
                    ("faster", 1.0 / v.value)
                } else {
                    ("slower", v.value)
                };
                writeln!(
                    out,
                    "{} vs {}: {} the time, {factor:.2}× {word} (geomean over {} workloads)",
                    g.path,
                    peer,
                    ratio(v, true),
                    g.vs_peer_n
                )?;
            }
        }
        for p in r.paths.iter().filter(|p| !p.status.is_ok()) {
            writeln!(
                out,
                "skipped {}: {}",
                p.name,
                p.status.reason().unwrap_or("")
            )?;
        }
        for c in r
            .cells
            .iter()
            .filter(|c| !c.status.is_ok() && r.path(&c.path).is_some_and(|p| p.status.is_ok()))
        {
            writeln!(
                out,
                "{} {} on {}: {}",
                c.status.word().to_lowercase(),
                c.workload,
                c.path,
                c.status.reason().unwrap_or("")
            )?;
        }
        Ok(())
    }
}
