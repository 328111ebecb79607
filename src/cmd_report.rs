//! `xarch report`: draws the charts and writes the HTML report of a results file.

use std::path::PathBuf;

/// Arguments of `xarch report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// Results JSON written by `xarch bench`.
    results: PathBuf,
    /// Output directory (index.html, SVG and PNG charts).
    #[arg(short = 'o', long, default_value = "report")]
    output: PathBuf,
}

/// Runs the subcommand; returns the process exit code.
pub fn main(args: ReportArgs) -> i32 {
    let results = match xarch_bench::Results::load(&args.results) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xarch report: {e}");
            return 1;
        }
    };
    match xarch_reports::write_report(&results, &args.output) {
        Ok(report) => {
            for (chart, outcome) in &report.charts {
                if let Err(reason) = outcome {
                    eprintln!("xarch report: {} not drawn: {reason}", chart.title());
                }
            }
            println!("report: {}", report.index.display());
            0
        }
        Err(e) => {
            eprintln!("xarch report: {e}");
            1
        }
    }
}
