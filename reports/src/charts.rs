//! One function per chart, each drawing on any plotters backend (the report renders every chart
//! twice: SVG for the page, PNG for documents).
//!
//! | chart                | from                                   | scale |
//! |----------------------|----------------------------------------|-------|
//! | `slowdown_vs_native` | cells' `vs_native`, path geomeans      | log   |
//! | `speedup_vs_peer`    | DBT cells' `vs_peer` (1 / ratio)       | log   |
//! | `compile_share`      | DBT engine stats' compile time / wall  | linear|
//! | `kvm_exits`          | KVM engine stats' exits by reason      | log   |
//!
//! Every path has one fixed colour ([`path_colour`]) in every chart; a DBT path and its qemu
//! peer share a hue (strong for xarch, pale for qemu) so a guest reads as one family.

use crate::engine_stats;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter,
};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use xarch_bench::schema::{Cell, PathEntry, PathGeomean, PathKind, Results};
use xarch_bench::stats::Ratio;

/// A chart the report can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// Slowdown vs native per workload and path, log scale, with geometric means.
    SlowdownVsNative,
    /// Speed-up of each DBT over its qemu-user peer per workload, log scale.
    SpeedupVsPeer,
    /// Share of wall time spent compiling, per DBT path and workload.
    CompileShare,
    /// KVM exits by reason per workload, log scale.
    KvmExits,
}

impl Chart {
    /// Every chart, in page order.
    pub const ALL: [Chart; 4] = [
        Chart::SlowdownVsNative,
        Chart::SpeedupVsPeer,
        Chart::CompileShare,
        Chart::KvmExits,
    ];

    /// File stem.
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::SlowdownVsNative => "slowdown_vs_native",
            Chart::SpeedupVsPeer => "speedup_vs_qemu",
            Chart::CompileShare => "compile_share",
            Chart::KvmExits => "kvm_exits",
        }
    }

    /// Title shown above the chart.
    pub fn title(self) -> &'static str {
        match self {
            Chart::SlowdownVsNative => "Slowdown vs native (median wall time)",
            Chart::SpeedupVsPeer => "xarch DBT speed-up over qemu-user, per guest",
            Chart::CompileShare => "Share of wall time spent compiling (DBT)",
            Chart::KvmExits => "KVM exits by reason",
        }
    }

    /// The chart's data, or why there is none.
    pub fn data(self, r: &Results) -> Result<Bars, String> {
        match self {
            Chart::SlowdownVsNative => slowdown_vs_native(r),
            Chart::SpeedupVsPeer => speedup_vs_peer(r),
            Chart::CompileShare => compile_share(r),
            Chart::KvmExits => kvm_exits(r),
        }
    }

    /// Draws the chart on `area`, or says why there is nothing to draw.
    pub fn draw<DB: DrawingBackend>(
        self,
        r: &Results,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        let bars = self.data(r)?;
        draw_bars(area, self.title(), &bars)
            .map_err(|e| format!("drawing {}: {e}", self.file_stem()))
    }
}

/// Grouped bars: one group per x label, one bar per series in each group.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// X labels (workloads, then possibly `geomean`).
    pub groups: Vec<String>,
    /// The series, each with one optional (value, spread) per group.
    pub series: Vec<Series>,
    /// Y-axis description with its unit.
    pub y_desc: String,
    /// Log scale.
    pub log: bool,
    /// A horizontal reference line (e.g. 1× = native).
    pub reference: Option<f64>,
}

/// One coloured series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Fill colour.
    pub colour: RGBColor,
    /// (value, spread) per group; None where there is no number.
    pub values: Vec<Option<(f64, f64)>>,
}

/// The fixed colour of a path.
pub fn path_colour(name: &str) -> RGBColor {
    match name {
        "native" => RGBColor(90, 90, 90),
        "kvm" => RGBColor(44, 160, 44),
        "dbt-x86_64" => RGBColor(214, 39, 40),
        "qemu-x86_64" => RGBColor(245, 160, 160),
        "dbt-aarch64" => RGBColor(31, 119, 180),
        "qemu-aarch64" => RGBColor(158, 202, 235),
        "dbt-ppc64le" => RGBColor(148, 103, 189),
        "qemu-ppc64le" => RGBColor(205, 185, 230),
        "dbt-ppc" => RGBColor(255, 127, 14),
        "qemu-ppc" => RGBColor(255, 200, 140),
        other => {
            // A stable colour for paths declared later, from the name's hash.
            const EXTRA: [RGBColor; 4] = [
                RGBColor(140, 86, 75),
                RGBColor(227, 119, 194),
                RGBColor(188, 189, 34),
                RGBColor(23, 190, 207),
            ];
            let h = other
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            EXTRA[h as usize % EXTRA.len()]
        }
    }
}

/// Fixed colours of exit reasons (others get a grey).
fn exit_colour(i: usize) -> RGBColor {
    const C: [RGBColor; 6] = [
        RGBColor(44, 160, 44),
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
    ];
    C.get(i).copied().unwrap_or(RGBColor(127, 127, 127))
}

fn workload_names(r: &Results) -> Vec<String> {
    r.workloads.iter().map(|w| w.name.clone()).collect()
}

/// One series per path that `keep` selects: the path's ratio on every workload, then its
/// geometric mean, each as (value, spread) after `map`. Paths with no value at all are left out.
fn ratio_series(
    r: &Results,
    keep: impl Fn(&PathEntry) -> bool,
    cell_ratio: impl Fn(&Cell) -> Option<&Ratio>,
    geo_ratio: impl Fn(&PathGeomean) -> Option<&Ratio>,
    map: impl Fn(f64, f64) -> (f64, f64),
    label: impl Fn(&PathEntry) -> String,
) -> Vec<Series> {
    r.paths
        .iter()
        .filter(|p| keep(p))
        .filter_map(|p| {
            let values: Vec<Option<(f64, f64)>> = r
                .workloads
                .iter()
                .map(|w| r.cell(&w.name, &p.name).and_then(&cell_ratio))
                .chain(std::iter::once(r.geomean(&p.name).and_then(&geo_ratio)))
                .map(|x| x.map(|x| map(x.value, x.spread)))
                .collect();
            values.iter().any(Option::is_some).then(|| Series {
                label: label(p),
                colour: path_colour(&p.name),
                values,
            })
        })
        .collect()
}

/// Slowdown of every non-native path vs native, per workload, plus each path's geomean.
pub fn slowdown_vs_native(r: &Results) -> Result<Bars, String> {
    let mut groups = workload_names(r);
    groups.push("geomean".into());
    let series = ratio_series(
        r,
        |p| p.kind != PathKind::Native,
        |c| c.vs_native.as_ref(),
        |g| g.vs_native.as_ref(),
        |v, s| (v, s),
        |p| p.name.clone(),
    );
    if series.is_empty() {
        return Err("no path other than native has a successful run".into());
    }
    Ok(Bars {
        groups,
        series,
        y_desc: "slowdown vs native (× wall time, log scale; 1 = native)".into(),
        log: true,
        reference: Some(1.0),
    })
}

/// Each DBT path's speed-up over its peer: peer wall time / DBT wall time.
pub fn speedup_vs_peer(r: &Results) -> Result<Bars, String> {
    let mut groups = workload_names(r);
    groups.push("geomean".into());
    // speed-up = 1/ratio; relative spread is unchanged, so spread' = spread / value².
    let series = ratio_series(
        r,
        |p| p.kind == PathKind::Dbt && p.peer.is_some(),
        |c| c.vs_peer.as_ref(),
        |g| g.vs_peer.as_ref(),
        |v, s| (1.0 / v, s / (v * v)),
        |p| format!("{} vs {}", p.name, p.peer.as_deref().unwrap_or("")),
    );
    if series.is_empty() {
        return Err("no DBT path and its qemu peer both ran successfully".into());
    }
    Ok(Bars {
        groups,
        series,
        y_desc: "speed-up over qemu-user (× faster, log scale; 1 = same)".into(),
        log: true,
        reference: Some(1.0),
    })
}

/// Compile time as a percentage of wall time, per DBT path and workload.
pub fn compile_share(r: &Results) -> Result<Bars, String> {
    let groups = workload_names(r);
    let series: Vec<Series> = r
        .paths
        .iter()
        .filter(|p| p.kind == PathKind::Dbt)
        .filter_map(|p| {
            let values: Vec<Option<(f64, f64)>> = r
                .workloads
                .iter()
                .map(|w| {
                    let c = r.cell(&w.name, &p.name)?;
                    let compile = engine_stats::compile_time_ns(c.engine_stats.as_ref()?)?;
                    let wall = c.wall_ns.as_ref()?.median;
                    (wall > 0.0).then(|| (100.0 * compile / wall, 0.0))
                })
                .collect();
            values.iter().any(Option::is_some).then(|| Series {
                label: p.name.clone(),
                colour: path_colour(&p.name),
                values,
            })
        })
        .collect();
    if series.is_empty() {
        return Err("no DBT path reported a compile time in its --stats-json".into());
    }
    Ok(Bars {
        groups,
        series,
        y_desc: "compile time (% of median wall time)".into(),
        log: false,
        reference: None,
    })
}

/// KVM exits by reason per workload (from the `kvm` path's engine statistics).
pub fn kvm_exits(r: &Results) -> Result<Bars, String> {
    let groups = workload_names(r);
    let kvm_paths: Vec<&str> = r
        .paths
        .iter()
        .filter(|p| p.kind == PathKind::Kvm)
        .map(|p| p.name.as_str())
        .collect();
    let per_workload: Vec<Option<Vec<(String, f64)>>> = r
        .workloads
        .iter()
        .map(|w| {
            kvm_paths
                .iter()
                .find_map(|p| {
                    r.cell(&w.name, p)
                        .filter(|c| c.status.is_ok())
                        .and_then(|c| c.engine_stats.as_ref())
                })
                .and_then(engine_stats::exits_by_reason)
        })
        .collect();
    let mut reasons: Vec<String> = per_workload
        .iter()
        .flatten()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    reasons.sort();
    reasons.dedup();
    let series: Vec<Series> = reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| Series {
            label: reason.clone(),
            colour: exit_colour(i),
            values: per_workload
                .iter()
                .map(|m| {
                    m.as_ref()
                        .and_then(|m| m.iter().find(|(k, _)| k == reason))
                        .map(|(_, c)| *c)
                        .filter(|&c| c > 0.0)
                        .map(|c| (c, 0.0))
                })
                .collect(),
        })
        .filter(|s| s.values.iter().any(Option::is_some))
        .collect();
    if series.is_empty() {
        return Err("the kvm path reported no exits by reason in its --stats-json".into());
    }
    Ok(Bars {
        groups,
        series,
        y_desc: "VM exits per run (count, log scale)".into(),
        log: true,
        reference: None,
    })
}

/// The largest of 1, 2, 5 × 10^k not above `x` (a log axis floor that leaves room below bars).
fn nice_floor(x: f64) -> f64 {
    let decade = 10f64.powf(x.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * decade)
        .find(|&v| v <= x)
        .unwrap_or(decade)
}

/// A bar label with about three significant digits.
fn short_number(v: f64) -> String {
    if v >= 100.0 || (v.fract() == 0.0 && v >= 1.0) {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The x axis of grouped bars: group `i` spans `[i, i+1)` and is labelled at its centre.
struct GroupAxis(usize);

impl Ranged for GroupAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = f64::from(limit.1 - limit.0);
        limit.0 + (v / self.0 as f64 * span).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            (0..self.0).map(|i| i as f64 + 0.5).collect()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.0 as f64
    }
}

impl ValueFormatter<f64> for GroupAxis {
    fn format(v: &f64) -> String {
        format!("{v}")
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws grouped bars with error bars, a legend, labelled axes and an optional reference line.
pub fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    bars: &Bars,
) -> DrawResult<DB> {
    area.fill(&WHITE)?;
    let all: Vec<(f64, f64)> = bars
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .collect();
    let top = all
        .iter()
        .map(|(v, s)| v + s)
        .fold(bars.reference.unwrap_or(0.0), f64::max);
    if bars.log {
        let bottom = all
            .iter()
            .map(|(v, s)| if v - s > 0.0 { v - s } else { *v })
            .fold(bars.reference.unwrap_or(f64::INFINITY), f64::min)
            .max(1e-9);
        // Whole decades, so the log axis shows round labels.
        let lo = nice_floor(bottom * 0.8);
        let hi = 10f64.powf((top * 1.05).log10().ceil()).max(lo * 10.0);
        draw_bars_on(area, title, bars, (lo..hi).log_scale(), lo)
    } else {
        let hi = if top > 0.0 { top * 1.15 } else { 1.0 };
        draw_bars_on(area, title, bars, 0.0..hi, 0.0)
    }
}

fn draw_bars_on<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    bars: &Bars,
    y: Y,
    base: f64,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let n = bars.groups.len().max(1);
    let m = bars.series.len().max(1);
    let x = GroupAxis(n);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(x, y)?;
    let groups = bars.groups.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc("workload")
        .y_desc(bars.y_desc.as_str())
        .x_label_formatter(&|v: &f64| {
            groups
                .get(v.floor().max(0.0) as usize)
                .cloned()
                .unwrap_or_default()
        })
        .y_label_formatter(&|v: &f64| short_number(*v))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;

    // Bars grow from the reference line when there is one (a ratio of 1 is "no difference"),
    // so a path faster than native points down instead of being a short bar from the floor.
    let from = bars.reference.unwrap_or(base);
    let slot = 0.8 / m as f64;
    // Value labels only where a bar is wide enough to carry one.
    let labelled = 1000.0 / n as f64 * slot >= 30.0;
    for (j, s) in bars.series.iter().enumerate() {
        let colour = s.colour;
        let rects = s.values.iter().enumerate().filter_map(|(i, v)| {
            let (v, _) = (*v)?;
            let x0 = i as f64 + 0.1 + j as f64 * slot;
            Some(Rectangle::new(
                [(x0, from), (x0 + slot * 0.92, v)],
                colour.filled(),
            ))
        });
        chart
            .draw_series(rects)?
            .label(s.label.as_str())
            .legend(move |(px, py)| {
                Rectangle::new([(px, py - 6), (px + 12, py + 6)], colour.filled())
            });
        let whiskers = s.values.iter().enumerate().filter_map(|(i, v)| {
            let (v, spread) = (*v)?;
            (spread > 0.0).then(|| {
                let xc = i as f64 + 0.1 + (j as f64 + 0.46) * slot;
                let low = if v - spread > base { v - spread } else { v };
                ErrorBar::new_vertical(xc, low, v, v + spread, BLACK.stroke_width(1), 6)
            })
        });
        chart.draw_series(whiskers)?;
        if labelled {
            let texts = s.values.iter().enumerate().filter_map(|(i, v)| {
                let (v, spread) = (*v)?;
                let xc = i as f64 + 0.1 + (j as f64 + 0.46) * slot;
                let (y, vpos) = if v >= from {
                    (v + spread, VPos::Bottom)
                } else {
                    ((v - spread).max(base), VPos::Top)
                };
                let style = TextStyle::from(("sans-serif", 11).into_font())
                    .pos(Pos::new(HPos::Center, vpos));
                Some(Text::new(short_number(v), (xc, y), style))
            });
            chart.draw_series(texts)?;
        }
    }
    if let Some(r) = bars.reference {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, r), (n as f64, r)],
            BLACK.stroke_width(1),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    area.present()?;
    Ok(())
}
