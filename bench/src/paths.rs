//! The paths a workload can take: one line per path in [`PATHS`].
//!
//! A path is a command template and what it needs. Declaring a new path (a new guest, a new
//! peer emulator) is one entry in the table; nothing else in the harness changes.
//!
//! Template words: `{xarch}` the running xarch binary, `{guest}` the workload's build for the
//! path's guest arch (`<build dir>/<arch>/<workload>`), `{size}` the SIZE argument, `{stats}`
//! expands to `--stats-json <file>` when the tool's `--help` lists that flag, else to nothing.

use crate::schema::PathKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Something a path needs before it can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// A program, by absolute path or on `PATH`.
    Program(String),
    /// The xarch binary (for `{xarch}`).
    Xarch,
    /// A usable `/dev/kvm`.
    DevKvm,
}

/// One path, as the runner uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSpec {
    /// E.g. `dbt-aarch64`.
    pub name: String,
    /// Build directory name of the guest: `x86_64`, `aarch64`, `ppc64le`, `ppc`.
    pub guest_arch: String,
    /// What kind of path it is.
    pub kind: PathKind,
    /// The path it is compared with besides native.
    pub peer: Option<String>,
    /// Command template.
    pub command: Vec<String>,
    /// Requirements checked before the run.
    pub needs: Vec<Need>,
}

/// A line of [`PATHS`].
pub struct PathDecl {
    name: &'static str,
    guest_arch: &'static str,
    kind: PathKind,
    peer: Option<&'static str>,
    command: &'static [&'static str],
    needs: &'static [StaticNeed],
}

/// [`Need`] in a static table.
enum StaticNeed {
    Program(&'static str),
    Xarch,
    DevKvm,
}

use PathKind::{Dbt, Kvm, Native, Peer};
use StaticNeed::{DevKvm, Program, Xarch};

#[rustfmt::skip]
/// Every path xarch knows, in the order reports show them.
pub const PATHS: &[PathDecl] = &[
    PathDecl { name: "native",       guest_arch: "x86_64",  kind: Native, peer: None,                 command: &["{guest}", "{size}"],                          needs: &[] },
    PathDecl { name: "kvm",          guest_arch: "x86_64",  kind: Kvm,    peer: None,                 command: &["{xarch}", "kvm", "{stats}", "{guest}", "{size}"], needs: &[Xarch, DevKvm] },
    PathDecl { name: "dbt-x86_64",   guest_arch: "x86_64",  kind: Dbt,    peer: Some("qemu-x86_64"),  command: &["{xarch}", "run", "{stats}", "{guest}", "{size}"], needs: &[Xarch] },
    PathDecl { name: "dbt-aarch64",  guest_arch: "aarch64", kind: Dbt,    peer: Some("qemu-aarch64"), command: &["{xarch}", "run", "{stats}", "{guest}", "{size}"], needs: &[Xarch] },
    PathDecl { name: "dbt-ppc64le",  guest_arch: "ppc64le", kind: Dbt,    peer: Some("qemu-ppc64le"), command: &["{xarch}", "run", "{stats}", "{guest}", "{size}"], needs: &[Xarch] },
    PathDecl { name: "dbt-ppc",      guest_arch: "ppc",     kind: Dbt,    peer: Some("qemu-ppc"),     command: &["{xarch}", "run", "{stats}", "{guest}", "{size}"], needs: &[Xarch] },
    PathDecl { name: "qemu-x86_64",  guest_arch: "x86_64",  kind: Peer,   peer: None,                 command: &["qemu-x86_64", "{guest}", "{size}"],            needs: &[Program("qemu-x86_64")] },
    PathDecl { name: "qemu-aarch64", guest_arch: "aarch64", kind: Peer,   peer: None,                 command: &["qemu-aarch64", "{guest}", "{size}"],           needs: &[Program("qemu-aarch64")] },
    PathDecl { name: "qemu-ppc64le", guest_arch: "ppc64le", kind: Peer,   peer: None,                 command: &["qemu-ppc64le", "{guest}", "{size}"],           needs: &[Program("qemu-ppc64le")] },
    PathDecl { name: "qemu-ppc",     guest_arch: "ppc",     kind: Peer,   peer: None,                 command: &["qemu-ppc", "{guest}", "{size}"],               needs: &[Program("qemu-ppc")] },
];

impl PathDecl {
    fn spec(&self) -> PathSpec {
        PathSpec {
            name: self.name.into(),
            guest_arch: self.guest_arch.into(),
            kind: self.kind,
            peer: self.peer.map(Into::into),
            command: self.command.iter().map(|s| s.to_string()).collect(),
            needs: self
                .needs
                .iter()
                .map(|n| match n {
                    Program(p) => Need::Program(p.to_string()),
                    Xarch => Need::Xarch,
                    DevKvm => Need::DevKvm,
                })
                .collect(),
        }
    }
}

/// All declared paths.
pub fn builtin_paths() -> Vec<PathSpec> {
    PATHS.iter().map(PathDecl::spec).collect()
}

/// The paths named in `names` (in that order), or an error naming an unknown one.
pub fn select<'a>(all: &'a [PathSpec], names: &[String]) -> Result<Vec<&'a PathSpec>, String> {
    names
        .iter()
        .map(|n| {
            all.iter().find(|p| &p.name == n).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
                format!("unknown path '{n}' (known: {})", known.join(", "))
            })
        })
        .collect()
}

/// Where the tools live.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The xarch binary, if known.
    pub xarch: Option<PathBuf>,
}

/// `program` itself if it contains a slash, else its first match on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

impl PathSpec {
    /// Ok when every need is met, else the reason the path is skipped.
    pub fn check(&self, tools: &Tools) -> Result<(), String> {
        for need in &self.needs {
            match need {
                Need::Program(p) => {
                    if find_program(p).is_none() {
                        return Err(format!("{p} is not installed (not found on PATH)"));
                    }
                }
                Need::Xarch => {
                    if tools.xarch.as_deref().is_none_or(|x| !is_executable(x)) {
                        return Err("the xarch binary was not found".into());
                    }
                }
                Need::DevKvm => {
                    if let Err(e) = std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open("/dev/kvm")
                    {
                        return Err(format!("/dev/kvm is not usable: {e}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The workload build this path runs.
    pub fn guest_binary(&self, build_dir: &Path, workload: &str) -> PathBuf {
        build_dir.join(&self.guest_arch).join(workload)
    }

    /// The command for one run; `stats` is the `--stats-json` file when the tool supports it.
    pub fn expand(
        &self,
        tools: &Tools,
        guest: &Path,
        size: u64,
        stats: Option<&Path>,
    ) -> Vec<String> {
        let mut argv = Vec::with_capacity(self.command.len() + 1);
        for word in &self.command {
            match word.as_str() {
                "{stats}" => {
                    if let Some(f) = stats {
                        argv.push("--stats-json".to_string());
                        argv.push(f.display().to_string());
                    }
                }
                "{xarch}" => argv.push(
                    tools
                        .xarch
                        .as_deref()
                        .map(|x| x.display().to_string())
                        .unwrap_or_default(),
                ),
                "{guest}" => argv.push(guest.display().to_string()),
                "{size}" => argv.push(size.to_string()),
                w => argv.push(w.to_string()),
            }
        }
        argv
    }

    /// Whether the tool accepts `--stats-json`: the template has `{stats}` and the tool's
    /// `--help` (the template's words before `{stats}`, then `--help`) mentions the flag.
    pub fn probe_engine_stats(&self, tools: &Tools) -> bool {
        let Some(at) = self.command.iter().position(|w| w == "{stats}") else {
            return false;
        };
        let mut argv = self.expand(tools, Path::new(""), 0, None);
        argv.truncate(at);
        argv.push("--help".into());
        match crate::measure::run(&argv, Duration::from_secs(10)) {
            Ok(m) => m.stdout.contains("--stats-json") || m.stderr_tail.contains("--stats-json"),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_peers_exist() {
        let all = builtin_paths();
        for (i, p) in all.iter().enumerate() {
            assert!(
                all[i + 1..].iter().all(|q| q.name != p.name),
                "duplicate {}",
                p.name
            );
            if let Some(peer) = &p.peer {
                assert!(
                    all.iter().any(|q| &q.name == peer),
                    "{} has unknown peer {peer}",
                    p.name
                );
            }
        }
        assert_eq!(all.iter().filter(|p| p.kind == PathKind::Native).count(), 1);
    }

    #[test]
    fn expand_substitutes_every_word() {
        let all = builtin_paths();
        let dbt = all.iter().find(|p| p.name == "dbt-aarch64").unwrap();
        let tools = Tools {
            xarch: Some("/x/xarch".into()),
        };
        let guest = dbt.guest_binary(Path::new("b"), "sha256");
        assert_eq!(guest, Path::new("b/aarch64/sha256"));
        assert_eq!(
            dbt.expand(&tools, &guest, 42, None),
            ["/x/xarch", "run", "b/aarch64/sha256", "42"]
        );
        assert_eq!(
            dbt.expand(&tools, &guest, 42, Some(Path::new("/t/s.json"))),
            [
                "/x/xarch",
                "run",
                "--stats-json",
                "/t/s.json",
                "b/aarch64/sha256",
                "42"
            ]
        );
    }

    #[test]
    fn missing_tool_is_a_skip_reason() {
        let p = PathSpec {
            name: "fake".into(),
            guest_arch: "x86_64".into(),
            kind: PathKind::Peer,
            peer: None,
            command: vec!["no-such-emulator-xyz".into()],
            needs: vec![Need::Program("no-such-emulator-xyz".into())],
        };
        let e = p.check(&Tools { xarch: None }).unwrap_err();
        assert!(e.contains("no-such-emulator-xyz is not installed"), "{e}");
        let x = PathSpec {
            needs: vec![Need::Xarch],
            ..p
        };
        assert!(
            x.check(&Tools { xarch: None })
                .unwrap_err()
                .contains("xarch binary")
        );
    }

    #[test]
    fn select_rejects_unknown_names() {
        let all = builtin_paths();
        let e = select(&all, &["native".into(), "bogus".into()]).unwrap_err();
        assert!(e.starts_with("unknown path 'bogus'"), "{e}");
        assert_eq!(select(&all, &["kvm".into()]).unwrap()[0].name, "kvm");
    }
}
