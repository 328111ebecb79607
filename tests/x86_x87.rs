//! x87 through C `long double` (isa/x86/tests/programs/longdouble.c): the program is built
//! with the host's `gcc -static -O2` at test time and must print under `xarch run` exactly
//! what it prints natively. Arithmetic, conversions, rounding modes and printf("%Lf"/"%La")
//! are printed in full; the libm transcendentals (expl, logl, sinl, powl, …) with 12
//! significant digits, because xarch computes F2XM1/FYL2X/FSIN/… with about 53 bits
//! (documented in isa/x86/src/x87.rs).

mod common;

use common::{repo_root, require_tool, run, xarch_bin};
use std::process::Command;
use std::time::Duration;

#[test]
fn long_double_program_matches_native() {
    require_tool("gcc", "gcc libc6-dev");
    let src = repo_root().join("isa/x86/tests/programs/longdouble.c");
    let dir = std::env::temp_dir().join(format!("xarch-x86-x87-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("longdouble");
    let cc = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lm")
        .output()
        .expect("gcc runs");
    assert!(
        cc.status.success(),
        "gcc -static failed (apt-get install gcc libc6-dev): {}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let native = run(&mut Command::new(&exe), b"", Duration::from_secs(60));
    assert_eq!(native.code(), 0, "native run: {}", native.stderr_head());
    let ours = run(
        Command::new(xarch_bin()).arg("run").arg(&exe),
        b"",
        Duration::from_secs(120),
    );
    assert_eq!(ours.code(), 0, "xarch run failed: {}", ours.stderr_head());
    let (n, o) = (native.stdout_str(), ours.stdout_str());
    assert!(
        n.lines().count() > 40,
        "the program printed too little:\n{n}"
    );
    for (k, (a, b)) in n.lines().zip(o.lines()).enumerate() {
        assert_eq!(b, a, "line {} differs (xarch vs native)", k + 1);
    }
    assert_eq!(o, n);
    let _ = std::fs::remove_dir_all(&dir);
}
