//! The report page: host and method, the charts as `<img>` (SVG, with a PNG link), and tables
//! of every number (summary, geometric means, every cell, raw samples, engine statistics).
//!
//! The page is static and self-contained apart from its chart files. A short script marks any
//! chart image that fails to load and records `data-images-ok="loaded/total"` on `<html>`, so a
//! reader sees a broken image at once and the browser test can read the count from the DOM.

use crate::charts::Chart;
use std::fmt::Write;
use xarch_bench::export::{duration, ratio};
use xarch_bench::schema::{Results, Status};
use xarch_bench::stats::Summary;

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}\
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}.failed{color:#b00;font-weight:bold}\
.skipped{color:#888}figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}.broken{outline:3px solid #b00}\
caption{text-align:left;font-weight:bold;padding:4px 0}#host td{text-align:left}pre{background:#f7f7f7;padding:6px;overflow-x:auto}";

const SCRIPT: &str = "window.addEventListener('load',function(){var imgs=document.querySelectorAll('img');var ok=0;\
imgs.forEach(function(i){if(i.complete&&i.naturalWidth>0){ok++;}else{i.classList.add('broken');\
var p=document.createElement('p');p.className='failed';p.textContent='image failed to load: '+i.getAttribute('src');\
i.parentNode.insertBefore(p,i);}});document.documentElement.setAttribute('data-images-ok',ok+'/'+imgs.length);});";

fn sum_cells(s: Option<&Summary>, f: fn(f64) -> String) -> [String; 4] {
    match s {
        Some(s) => [f(s.median), f(s.min), f(s.max), f(s.mad)],
        None => std::array::from_fn(|_| "-".into()),
    }
}

fn status_cell(s: &Status) -> String {
    let class = match s {
        Status::Ok => "ok",
        Status::Skipped { .. } => "skipped",
        Status::Failed { .. } => "failed",
    };
    format!("<td class=\"{class}\">{}</td>", s.word())
}

/// The page, given each chart's outcome (`Ok(stem)` drawn, `Err(reason)` not drawn).
pub fn page(r: &Results, charts: &[(Chart, Result<String, String>)]) -> String {
    let mut h = String::new();
    let h_ = &mut h;
    let _ = write!(
        h_,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>xarch bench report</title>\
<style>{STYLE}</style><script>{SCRIPT}</script></head><body>\n<h1>xarch bench report</h1>\n"
    );
    let host = &r.host;
    let _ = writeln!(
        h_,
        "<table id=\"host\"><caption>Host and method</caption>\
<tr><th>CPU</th><td>{}</td></tr><tr><th>logical CPUs</th><td>{}</td></tr><tr><th>kernel</th><td>{}</td></tr>\
<tr><th>OS</th><td>{}</td></tr><tr><th>KVM</th><td>{}</td></tr><tr><th>xarch</th><td>{}</td></tr>\
<tr><th>runs per cell</th><td>{} warm-up + {} measured, interleaved across paths</td></tr>\
<tr><th>sizes</th><td>{}</td></tr><tr><th>timeout</th><td>{:.0} s</td></tr><tr><th>duration</th><td>{:.1} s</td></tr></table>",
        esc(&host.cpu_model),
        host.logical_cpus,
        esc(&host.kernel),
        esc(&host.os),
        esc(&format!(
            "/dev/kvm {}; backend {}; modules {}",
            if host.dev_kvm { "present" } else { "absent" },
            host.kvm_backend.as_deref().unwrap_or("none"),
            host.kvm_modules.join(", ")
        )),
        esc(&r.xarch_version),
        r.config.warmup,
        r.config.runs,
        match r.config.size {
            Some(s) => format!("SIZE={s} for every workload"),
            None => format!(
                "calibrated so native takes ≥ {:.0} ms",
                r.config.calibrate_target_ms
            ),
        },
        r.config.timeout_s,
        r.duration_s,
    );

    // Charts.
    let _ = writeln!(h_, "<h2>Charts</h2>");
    for (chart, outcome) in charts {
        match outcome {
            Ok(stem) => {
                let _ = writeln!(
                    h_,
                    "<figure id=\"chart-{stem}\"><img src=\"{stem}.svg\" alt=\"{}\" width=\"1100\" height=\"600\">\
<figcaption>{} — <a href=\"{stem}.svg\">SVG</a>, <a href=\"{stem}.png\">PNG</a></figcaption></figure>",
                    esc(chart.title()),
                    esc(chart.title())
                );
            }
            Err(reason) => {
                let _ = writeln!(
                    h_,
                    "<p class=\"skipped\">{}: not drawn — {}.</p>",
                    esc(chart.title()),
                    esc(reason)
                );
            }
        }
    }

    // Summary: workload × path.
    let _ = writeln!(
        h_,
        "<h2>Summary</h2>\n<table id=\"summary\"><caption>Median wall time and slowdown vs native (± robust sigma)</caption><tr><th>workload</th><th>size</th>"
    );
    for p in &r.paths {
        let _ = write!(h_, "<th>{}</th>", esc(&p.name));
    }
    let _ = writeln!(h_, "</tr>");
    for w in &r.workloads {
        let _ = write!(h_, "<tr><td>{}</td><td>{}</td>", esc(&w.name), w.size);
        for p in &r.paths {
            let text = match r.cell(&w.name, &p.name) {
                Some(c) => match (&c.status, &c.wall_ns, &c.vs_native) {
                    (Status::Ok, Some(wall), Some(v)) => {
                        format!("{}<br>{}", duration(wall.median), ratio(v, true))
                    }
                    (Status::Ok, Some(wall), None) => duration(wall.median),
                    (s, _, _) => format!(
                        "<span class=\"{}\">{}</span>",
                        s.word().to_lowercase(),
                        s.word()
                    ),
                },
                None => "-".into(),
            };
            let _ = write!(h_, "<td>{text}</td>");
        }
        let _ = writeln!(h_, "</tr>");
    }
    let _ = write!(h_, "<tr><th>geomean</th><td></td>");
    for p in &r.paths {
        let g = r.geomean(&p.name).and_then(|g| {
            g.vs_native
                .as_ref()
                .map(|x| (ratio(x, true), g.vs_native_n))
        });
        let _ = write!(
            h_,
            "<td>{}</td>",
            g.map(|(x, n)| format!("{x} <small>(n={n})</small>"))
                .unwrap_or("-".into())
        );
    }
    let _ = writeln!(h_, "</tr></table>");

    // Geometric means.
    let _ = writeln!(
        h_,
        "<table id=\"geomeans\"><caption>Geometric means per path</caption><tr><th>path</th><th>kind</th><th>guest</th>\
<th>vs native</th><th>workloads</th><th>peer</th><th>vs peer (time ratio)</th><th>workloads</th></tr>"
    );
    for p in &r.paths {
        let g = r.geomean(&p.name);
        let f =
            |x: Option<&xarch_bench::stats::Ratio>| x.map(|x| ratio(x, true)).unwrap_or("-".into());
        let _ = writeln!(
            h_,
            "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            p.kind,
            esc(&p.guest_arch),
            f(g.and_then(|g| g.vs_native.as_ref())),
            g.map(|g| g.vs_native_n).unwrap_or(0),
            esc(p.peer.as_deref().unwrap_or("-")),
            f(g.and_then(|g| g.vs_peer.as_ref())),
            g.map(|g| g.vs_peer_n).unwrap_or(0),
        );
    }
    let _ = writeln!(h_, "</table>");

    // Paths and their status.
    let _ = writeln!(
        h_,
        "<table id=\"paths\"><caption>Paths</caption><tr><th>path</th><th>status</th><th>command template</th><th>engine stats</th><th>reason</th></tr>"
    );
    for p in &r.paths {
        let _ = writeln!(
            h_,
            "<tr><td>{}</td>{}<td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&p.name),
            status_cell(&p.status),
            esc(&p.command.join(" ")),
            if p.engine_stats { "yes" } else { "no" },
            esc(p.status.reason().unwrap_or(""))
        );
    }
    let _ = writeln!(h_, "</table>");

    // Every cell.
    let _ = writeln!(
        h_,
        "<h2>Every cell</h2>\n<table id=\"cells\"><caption>Every cell (times are wall unless named)</caption><tr><th>workload</th><th>path</th>\
<th>status</th><th>runs</th><th>median</th><th>min</th><th>max</th><th>MAD</th><th>outliers</th><th>user median</th>\
<th>sys median</th><th>peak RSS median</th><th>vs native</th><th>vs peer</th><th>reason</th></tr>"
    );
    for c in &r.cells {
        let w = sum_cells(c.wall_ns.as_ref(), duration);
        let _ = writeln!(
            h_,
            "<tr><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(&c.workload),
            esc(&c.path),
            status_cell(&c.status),
            c.samples.len(),
            w[0],
            w[1],
            w[2],
            w[3],
            c.wall_ns
                .as_ref()
                .map(|s| s.outliers.to_string())
                .unwrap_or("-".into()),
            c.user_ns
                .as_ref()
                .map(|s| duration(s.median))
                .unwrap_or("-".into()),
            c.sys_ns
                .as_ref()
                .map(|s| duration(s.median))
                .unwrap_or("-".into()),
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
            esc(c.status.reason().unwrap_or("")),
        );
    }
    let _ = writeln!(h_, "</table>");

    // Raw samples.
    let _ = writeln!(
        h_,
        "<h2>Raw samples</h2>\n<table id=\"samples\"><caption>Every measured run, in order</caption><tr><th>workload</th><th>path</th><th>run</th>\
<th>wall</th><th>user</th><th>sys</th><th>peak RSS</th></tr>"
    );
    for c in &r.cells {
        for (i, s) in c.samples.iter().enumerate() {
            let _ = writeln!(
                h_,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} KiB</td></tr>",
                esc(&c.workload),
                esc(&c.path),
                i + 1,
                duration(s.wall_ns as f64),
                duration(s.user_ns as f64),
                duration(s.sys_ns as f64),
                s.max_rss_kib
            );
        }
    }
    let _ = writeln!(h_, "</table>");

    // Engine statistics, as written by the engines.
    let with_stats: Vec<_> = r
        .cells
        .iter()
        .filter(|c| c.engine_stats.is_some())
        .collect();
    let _ = writeln!(h_, "<h2>Engine statistics</h2>");
    if with_stats.is_empty() {
        let _ = writeln!(
            h_,
            "<p class=\"skipped\">No path reported engine statistics (--stats-json).</p>"
        );
    } else {
        let _ = writeln!(
            h_,
            "<table id=\"engine-stats\"><caption>--stats-json of the last measured run</caption><tr><th>workload</th><th>path</th><th>statistics</th></tr>"
        );
        for c in with_stats {
            let json = c
                .engine_stats
                .as_ref()
                .and_then(|v| serde_json::to_string_pretty(v).ok())
                .unwrap_or_default();
            let _ = writeln!(
                h_,
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\"><pre>{}</pre></td></tr>",
                esc(&c.workload),
                esc(&c.path),
                esc(&json)
            );
        }
        let _ = writeln!(h_, "</table>");
    }
    let _ = writeln!(h_, "</body></html>");
    h
}
