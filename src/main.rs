//! `xarch`: run cross-arch Linux programs through the DBT, native ones under KVM, and measure.
fn main() {
    eprintln!("xarch: nothing here yet");
    std::process::exit(2);
}
