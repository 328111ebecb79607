//! xarch's reports: charts (plotters, SVG and PNG) and an HTML page from bench results.
//!
//! ```text
//!  results.json ─► Results ─┬─► charts::Chart::{data, draw} ─► <stem>.svg, <stem>.png
//!                           └─► html::page ─────────────────► index.html (tables + <img>)
//! ```
//!
//! The report depends only on the results schema (`xarch_bench::schema`), never on the engine:
//! it can draw results from another machine or an older run of the same schema version.

pub mod charts;
pub mod engine_stats;
#[doc(hidden)]
pub mod fixture;
pub mod html;

use charts::Chart;
use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};
use std::path::{Path, PathBuf};
use xarch_bench::Results;

/// TrueType fonts tried, in order, for chart text (`XARCH_FONT` first when set). Debian's
/// `fonts-dejavu-core` provides the first; `scripts/install-deps.sh` installs it.
const FONT_FILES: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
];

/// Registers the chart font as plotters' "sans-serif" once per process.
fn load_font() -> Result<(), ReportError> {
    static LOADED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    LOADED
        .get_or_init(|| {
            let candidates: Vec<PathBuf> = std::env::var_os("XARCH_FONT")
                .map(PathBuf::from)
                .into_iter()
                .chain(FONT_FILES.iter().map(PathBuf::from))
                .collect();
            let (path, bytes) = candidates
                .iter()
                .find_map(|p| std::fs::read(p).ok().map(|b| (p, b)))
                .ok_or_else(|| {
                    "no font for chart text: install fonts-dejavu-core \
                     (or set XARCH_FONT to a .ttf file)"
                        .to_string()
                })?;
            // The font lives as long as the process: plotters keeps a &'static reference.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, bytes)
                .map_err(|_| format!("{}: not a usable TrueType font", path.display()))
        })
        .clone()
        .map_err(ReportError::Draw)
}

/// Pixel size of every chart.
pub const CHART_SIZE: (u32, u32) = (1100, 600);

/// Errors writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// plotters failed.
    #[error("{0}")]
    Draw(String),
}

/// What [`write_report`] wrote.
#[derive(Debug)]
pub struct Report {
    /// The page.
    pub index: PathBuf,
    /// Each chart: its SVG and PNG, or the reason it has no data.
    pub charts: Vec<(Chart, Result<[PathBuf; 2], String>)>,
}

/// Renders `chart` as `<dir>/<stem>.svg` and `<dir>/<stem>.png`. `Ok(Err(reason))` when the
/// results hold no data for it.
pub fn render_chart(
    chart: Chart,
    r: &Results,
    dir: &Path,
) -> Result<Result<[PathBuf; 2], String>, ReportError> {
    if let Err(reason) = chart.data(r) {
        return Ok(Err(reason));
    }
    load_font()?;
    let svg = dir.join(format!("{}.svg", chart.file_stem()));
    let png = dir.join(format!("{}.png", chart.file_stem()));
    {
        let area = SVGBackend::new(&svg, CHART_SIZE).into_drawing_area();
        chart.draw(r, &area).map_err(ReportError::Draw)?;
    }
    {
        let area = BitMapBackend::new(&png, CHART_SIZE).into_drawing_area();
        chart.draw(r, &area).map_err(ReportError::Draw)?;
    }
    for f in [&svg, &png] {
        if !f.is_file() {
            return Err(ReportError::Draw(format!(
                "{} was not written",
                f.display()
            )));
        }
    }
    Ok(Ok([svg, png]))
}

/// Writes `<dir>/index.html` and every chart that has data.
pub fn write_report(r: &Results, dir: &Path) -> Result<Report, ReportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut charts = Vec::new();
    for chart in Chart::ALL {
        charts.push((chart, render_chart(chart, r, dir)?));
    }
    let outcomes: Vec<(Chart, Result<String, String>)> = charts
        .iter()
        .map(|(c, o)| {
            (
                *c,
                o.as_ref()
                    .map(|_| c.file_stem().to_string())
                    .map_err(Clone::clone),
            )
        })
        .collect();
    let index = dir.join("index.html");
    std::fs::write(&index, html::page(r, &outcomes)).map_err(io(&index))?;
    Ok(Report { index, charts })
}
