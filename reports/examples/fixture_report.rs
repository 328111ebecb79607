//! Writes the report of the built-in fixture results to a directory (default `fixture-report/`),
//! to look at the charts and the page without running the matrix.

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixture-report".into());
    match xarch_reports::write_report(
        &xarch_reports::fixture::results(),
        std::path::Path::new(&dir),
    ) {
        Ok(report) => println!("{}", report.index.display()),
        Err(e) => {
            eprintln!("fixture_report: {e}");
            std::process::exit(1);
        }
    }
}
