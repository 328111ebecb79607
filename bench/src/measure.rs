//! Runs one process and measures it: wall time, user and system CPU time and peak RSS from
//! `wait4`'s rusage, exit status, standard output and the tail of standard error.
//!
//! The child's rusage is the only faithful source of its CPU time and peak memory (a parent
//! cannot sample them from outside without perturbing the run), so the child is reaped with
//! `wait4` directly rather than through `std::process::Child::wait`. A watchdog thread kills
//! a run that passes the timeout; the main thread first waits with `WNOWAIT` so the pid cannot
//! be reused before the watchdog is stopped.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a run ended and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
    /// User CPU time.
    pub user: Duration,
    /// System CPU time.
    pub sys: Duration,
    /// Peak resident set size in KiB.
    pub max_rss_kib: u64,
    /// Exit code, if the process exited.
    pub exit_code: Option<i32>,
    /// Signal number, if a signal ended it.
    pub signal: Option<i32>,
    /// True when the watchdog killed it.
    pub timed_out: bool,
    /// Everything written to standard output.
    pub stdout: String,
    /// The last lines of standard error (at most [`STDERR_TAIL_LINES`]).
    pub stderr_tail: String,
}

/// Lines of standard error kept for failure reports.
pub const STDERR_TAIL_LINES: usize = 5;

impl Measurement {
    /// The hex word of the last `checksum <hex>` line of standard output, if any.
    pub fn checksum(&self) -> Option<String> {
        parse_checksum(&self.stdout)
    }
}

/// The checksum of a workload's output: the word after `checksum` on the last non-empty line.
pub fn parse_checksum(stdout: &str) -> Option<String> {
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut words = last.split_whitespace();
    if words.next()? != "checksum" {
        return None;
    }
    let word = words.next()?;
    let hex = word.strip_prefix("0x").unwrap_or(word);
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(hex.to_ascii_lowercase())
}

/// Errors starting or waiting for a run.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// The command is empty.
    #[error("empty command")]
    EmptyCommand,
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    /// waitid/wait4 failed.
    #[error("waiting for {program} failed: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

/// Runs `argv` with no standard input and measures it; kills it after `timeout`.
pub fn run(argv: &[String], timeout: Duration) -> Result<Measurement, MeasureError> {
    let (program, args) = argv.split_first().ok_or(MeasureError::EmptyCommand)?;
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        // Own process group, so a timeout also kills whatever the run started.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| MeasureError::Spawn {
            program: program.clone(),
            source,
        })?;
    let pid = child.id() as libc::pid_t;

    // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout was piped");
    let mut err = child.stderr.take().expect("stderr was piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });

    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || match stop_rx.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // SAFETY: kill has no memory-safety preconditions. The child is not reaped yet
            // (the main thread waits with WNOWAIT until this thread is joined), so `pid`
            // still names our child's process group and cannot have been reused.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            true
        }
        _ => false,
    });

    let wait_err = |source| MeasureError::Wait {
        program: program.clone(),
        source,
    };
    loop {
        // SAFETY: siginfo_t is plain data; zeroed is a valid value for waitid to fill.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t; WNOWAIT leaves the child unreaped.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            let _ = stop_tx.send(());
            let _ = watchdog.join();
            return Err(wait_err(e));
        }
    }
    let wall = start.elapsed();
    let _ = stop_tx.send(());
    let timed_out = watchdog.join().unwrap_or(false);

    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid and writable; `pid` is our unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(wait_err(e));
        }
    }
    // The child is reaped; make sure std never tries to wait for it again.
    std::mem::forget(child);

    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let stderr_tail = lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..].join("\n");

    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32) * 1000);
    let (exit_code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else if libc::WIFSIGNALED(status) {
        (None, Some(libc::WTERMSIG(status)))
    } else {
        (None, None)
    };
    Ok(Measurement {
        wall,
        user: tv(usage.ru_utime),
        sys: tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss.max(0) as u64,
        exit_code,
        signal,
        timed_out,
        stdout,
        stderr_tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn checksum_is_the_last_line() {
        assert_eq!(
            parse_checksum("a 1\nchecksum 0xDEADbeef\n\n"),
            Some("deadbeef".into())
        );
        assert_eq!(parse_checksum("checksum 12ab"), Some("12ab".into()));
        assert_eq!(parse_checksum("checksum 12\nother"), None);
        assert_eq!(parse_checksum("checksum zz"), None);
        assert_eq!(parse_checksum(""), None);
    }

    #[test]
    fn measures_exit_code_output_and_cpu_time() {
        let m = run(&sh("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo hi; echo checksum 2a; echo oops >&2; exit 3"), Duration::from_secs(30)).unwrap();
        assert_eq!(m.exit_code, Some(3));
        assert_eq!(m.signal, None);
        assert!(!m.timed_out);
        assert_eq!(m.checksum(), Some("2a".into()));
        assert_eq!(m.stderr_tail, "oops");
        assert!(m.user + m.sys > Duration::ZERO, "{m:?}");
        assert!(m.wall >= m.user / 2, "{m:?}");
        assert!(m.max_rss_kib > 0);
    }

    #[test]
    fn timeout_kills_and_is_reported() {
        let t = Instant::now();
        let m = run(&sh("exec sleep 10"), Duration::from_millis(200)).unwrap();
        assert!(m.timed_out);
        assert_eq!(m.signal, Some(libc::SIGKILL));
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn missing_program_is_an_error() {
        let e = run(&["/nonexistent/tool".to_string()], Duration::from_secs(1)).unwrap_err();
        assert!(
            e.to_string().contains("cannot start /nonexistent/tool"),
            "{e}"
        );
    }
}
