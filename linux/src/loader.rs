//! ELF loading: maps a static or static-PIE program into an [`AddressSpace`] and builds the
//! initial stack (argc, argv, envp, auxv) as the Linux kernel's `binfmt_elf` does.
//!
//! ```text
//!  top of stack ─► execfn, envp and argv strings, platform string, 16 random bytes (AT_RANDOM)
//!                  auxv (type, value) pairs ending with AT_NULL
//!                  envp pointers, NULL
//!                  argv pointers, NULL
//!  sp ───────────► argc
//! ```
//!
//! Word size and byte order come from the guest's [`Abi`], so 32-bit and big-endian guests
//! reuse this code.

use crate::abi::{Abi, Endian};
use crate::space::{AddressSpace, PAGE_SIZE, Prot, STACK_SIZE, page_down, page_up};
use goblin::elf::{Elf, program_header as ph};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use thiserror::Error;

/// Auxiliary vector entry types (include/uapi/linux/auxvec.h).
pub mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const PAGESZ: u64 = 6;
    pub const BASE: u64 = 7;
    pub const FLAGS: u64 = 8;
    pub const ENTRY: u64 = 9;
    pub const UID: u64 = 11;
    pub const EUID: u64 = 12;
    pub const GID: u64 = 13;
    pub const EGID: u64 = 14;
    pub const PLATFORM: u64 = 15;
    pub const HWCAP: u64 = 16;
    pub const CLKTCK: u64 = 17;
    pub const SECURE: u64 = 23;
    pub const RANDOM: u64 = 25;
    pub const HWCAP2: u64 = 26;
    pub const EXECFN: u64 = 31;
    pub const MINSIGSTKSZ: u64 = 51;
}

/// Why a program could not be loaded. The message is the one line the user sees.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{0}: no such file")]
    Missing(String),
    #[error("{path}: {err}")]
    Io { path: String, err: std::io::Error },
    #[error("{0}: not an ELF file")]
    NotElf(String),
    #[error("{path}: truncated or corrupt ELF file ({why})")]
    Corrupt { path: String, why: String },
    #[error("{path}: {found} ELF file, but the {arch} guest needs {expected}")]
    WrongClass {
        path: String,
        found: String,
        expected: String,
        arch: String,
    },
    #[error("{path}: unsupported machine {name} (e_machine {machine})")]
    UnsupportedMachine {
        path: String,
        machine: u16,
        name: String,
    },
    #[error("{0}: dynamic executable: give the guest's sysroot with -L DIR")]
    Dynamic(String),
    #[error("{path}: interpreter {interp} not found (check the sysroot given with -L)")]
    MissingInterp { path: String, interp: String },
    #[error("{path}: cannot map the program at {addr:#x}: {why}")]
    Map {
        path: String,
        addr: u64,
        why: String,
    },
    #[error("{0}: arguments and environment do not fit the initial stack")]
    TooBig(String),
}

/// The ELF identification of a file: machine, 64-bit, big-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfIdent {
    pub machine: u16,
    pub is_64bit: bool,
    pub big_endian: bool,
}

/// A human name for an ELF machine number ("AArch64", "x86-64", …).
pub fn machine_name(machine: u16) -> String {
    match machine {
        3 => "i386".into(),
        8 => "MIPS".into(),
        20 => "PowerPC".into(),
        21 => "PowerPC64".into(),
        22 => "S/390".into(),
        40 => "ARM".into(),
        43 => "SPARC64".into(),
        62 => "x86-64".into(),
        183 => "AArch64".into(),
        243 => "RISC-V".into(),
        258 => "LoongArch".into(),
        m => goblin::elf::header::machine_to_str(m)
            .trim_start_matches("EM_")
            .to_string(),
    }
}

/// Reads the ELF header of `path`, to choose the frontend.
pub fn elf_machine(path: &Path) -> Result<ElfIdent, LoadError> {
    let data = read_file(path, Some(64))?;
    ident(path, &data)
}

fn read_file(path: &Path, limit: Option<usize>) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let name = path.display().to_string();
    let mut f = std::fs::File::open(path).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => LoadError::Missing(name.clone()),
        _ => LoadError::Io {
            path: name.clone(),
            err,
        },
    })?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(LoadError::Io {
            path: name,
            err: std::io::Error::from_raw_os_error(libc::EISDIR),
        });
    }
    let mut data = Vec::new();
    let r = match limit {
        Some(n) => f.take(n as u64).read_to_end(&mut data),
        None => f.read_to_end(&mut data),
    };
    r.map_err(|err| LoadError::Io { path: name, err })?;
    Ok(data)
}

fn ident(path: &Path, data: &[u8]) -> Result<ElfIdent, LoadError> {
    let name = path.display().to_string();
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(LoadError::NotElf(name));
    }
    let corrupt = |why: &str| LoadError::Corrupt {
        path: name.clone(),
        why: why.to_string(),
    };
    if data.len() < 20 {
        return Err(corrupt("file ends inside the ELF header"));
    }
    let is_64bit = match data[4] {
        1 => false,
        2 => true,
        _ => return Err(corrupt("bad ELF class")),
    };
    let big_endian = match data[5] {
        1 => false,
        2 => true,
        _ => return Err(corrupt("bad ELF byte order")),
    };
    let m = [data[18], data[19]];
    let machine = if big_endian {
        u16::from_be_bytes(m)
    } else {
        u16::from_le_bytes(m)
    };
    Ok(ElfIdent {
        machine,
        is_64bit,
        big_endian,
    })
}

fn describe(is_64bit: bool, big_endian: bool) -> String {
    format!(
        "{}-bit {}-endian",
        if is_64bit { 64 } else { 32 },
        if big_endian { "big" } else { "little" }
    )
}

/// Where a loaded program starts, and what the syscall layer and the debugger need to know.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where execution starts: the program's entry point, or its interpreter's.
    pub entry: u64,
    /// The program's own entry point (AT_ENTRY), with the load bias applied.
    pub program_entry: u64,
    /// Load address of the interpreter (AT_BASE), 0 for static programs.
    pub interp_base: u64,
    /// Initial stack pointer (points at argc).
    pub sp: u64,
    /// Guest address of the program headers (AT_PHDR), their count and entry size.
    pub phdr: u64,
    pub phnum: u64,
    pub phent: u64,
    /// Load bias (0 for ET_EXEC).
    pub load_bias: u64,
    /// Lowest and highest (exclusive) guest address of the program image.
    pub image_start: u64,
    pub image_end: u64,
    /// Start of the heap (initial `brk`).
    pub brk_start: u64,
    /// The auxiliary vector as written to the stack (without AT_NULL).
    pub auxv: Vec<(u64, u64)>,
}

/// Loads the program at `path` for the guest `abi` into `space` (which must be empty),
/// with the given argument and environment strings. `execfn` is AT_EXECFN (the path as the
/// caller named it). Dynamic executables are refused; see [`load_with_sysroot`].
pub fn load(
    space: &mut AddressSpace,
    abi: &Abi,
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    execfn: &str,
) -> Result<Loaded, LoadError> {
    load_with_sysroot(space, abi, path, argv, envp, execfn, None)
}

/// Like [`load`]; a dynamic executable's interpreter (PT_INTERP) is taken from `sysroot`,
/// mapped below the mmap area, and started first (AT_BASE is its load address).
pub fn load_with_sysroot(
    space: &mut AddressSpace,
    abi: &Abi,
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    execfn: &str,
    sysroot: Option<&Path>,
) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let data = read_file(path, None)?;
    check_ident(path, &data, abi)?;
    let corrupt = |why: String| LoadError::Corrupt {
        path: name.clone(),
        why,
    };
    let elf = Elf::parse(&data).map_err(|e| corrupt(e.to_string()))?;
    let is_pie = match elf.header.e_type {
        goblin::elf::header::ET_EXEC => false,
        goblin::elf::header::ET_DYN => true,
        t => return Err(corrupt(format!("not an executable (e_type {t})"))),
    };
    let interp = match elf
        .program_headers
        .iter()
        .find(|p| p.p_type == ph::PT_INTERP)
    {
        None => None,
        Some(p) => {
            let bytes = p
                .p_offset
                .checked_add(p.p_filesz)
                .and_then(|e| data.get(p.p_offset as usize..e as usize))
                .ok_or_else(|| corrupt("PT_INTERP past the end of the file".into()))?;
            let bytes = bytes.split(|&b| b == 0).next().unwrap_or_default();
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    };
    if interp.is_some() && sysroot.is_none() {
        return Err(LoadError::Dynamic(name));
    }
    let min_vaddr = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == ph::PT_LOAD)
        .map(|p| page_down(p.p_vaddr))
        .min()
        .ok_or_else(|| corrupt("no loadable segment".into()))?;
    let bias = if is_pie {
        space.pie_base().wrapping_sub(min_vaddr)
    } else {
        0
    };
    let (lo, hi) = map_image(space, &name, &data, &elf, bias)?;
    space.set_brk_start(hi);
    let phent = elf.header.e_phentsize as u64;
    let phnum = elf.header.e_phnum as u64;
    let phoff = elf.header.e_phoff;
    let phdr = elf
        .program_headers
        .iter()
        .find(|p| p.p_type == ph::PT_PHDR)
        .map(|p| p.p_vaddr + bias)
        .or_else(|| {
            elf.program_headers
                .iter()
                .find(|p| {
                    p.p_type == ph::PT_LOAD
                        && p.p_offset <= phoff
                        && phoff < p.p_offset + p.p_filesz
                })
                .map(|p| p.p_vaddr + (phoff - p.p_offset) + bias)
        })
        .unwrap_or(0);
    let program_entry = elf.header.e_entry.wrapping_add(bias);
    let (entry, interp_base) = match (interp, sysroot) {
        (Some(interp), Some(root)) => load_interp(space, abi, &name, root, &interp)?,
        _ => (program_entry, 0),
    };
    let mut loaded = Loaded {
        entry,
        program_entry,
        interp_base,
        sp: 0,
        phdr,
        phnum,
        phent,
        load_bias: bias,
        image_start: lo,
        image_end: hi,
        brk_start: hi,
        auxv: Vec::new(),
    };
    build_stack(space, abi, &mut loaded, argv, envp, execfn)
        .map_err(|_| LoadError::TooBig(name.clone()))?;
    Ok(loaded)
}

/// A guest path inside `root`; an absolute symlink found there (Debian sysroots unpacked with
/// `dpkg-deb -x` have them) is followed inside `root`, not on the host.
pub fn sysroot_path(root: &Path, guest: &str) -> std::path::PathBuf {
    let mut p = root.join(guest.trim_start_matches('/'));
    for _ in 0..8 {
        match std::fs::read_link(&p) {
            Ok(t) if t.is_absolute() => p = root.join(t.strip_prefix("/").unwrap_or(&t)),
            Ok(t) => p = p.parent().map_or(t.clone(), |d| d.join(&t)),
            Err(_) => break,
        }
    }
    p
}

/// Maps the dynamic loader `interp` from `root`; returns its entry point and load base.
fn load_interp(
    space: &mut AddressSpace,
    abi: &Abi,
    prog: &str,
    root: &Path,
    interp: &str,
) -> Result<(u64, u64), LoadError> {
    let ipath = sysroot_path(root, interp);
    let iname = ipath.display().to_string();
    let data = match read_file(&ipath, None) {
        Err(LoadError::Missing(_)) => {
            return Err(LoadError::MissingInterp {
                path: prog.to_string(),
                interp: iname,
            });
        }
        r => r?,
    };
    check_ident(&ipath, &data, abi)?;
    let elf = Elf::parse(&data).map_err(|e| LoadError::Corrupt {
        path: iname.clone(),
        why: e.to_string(),
    })?;
    let loads = || {
        elf.program_headers
            .iter()
            .filter(|p| p.p_type == ph::PT_LOAD)
    };
    let (Some(lo), Some(hi)) = (
        loads().map(|p| page_down(p.p_vaddr)).min(),
        loads()
            .map(|p| page_up(p.p_vaddr.saturating_add(p.p_memsz)))
            .max(),
    ) else {
        return Err(LoadError::Corrupt {
            path: iname,
            why: "no loadable segment".into(),
        });
    };
    // Let mmap choose a free range of the right size, then map the image over it.
    let at = space
        .mmap(crate::space::MapRequest {
            len: hi.saturating_sub(lo).max(PAGE_SIZE),
            prot: Prot::NONE,
            ..Default::default()
        })
        .map_err(|e| LoadError::Map {
            path: iname.clone(),
            addr: 0,
            why: e.to_string(),
        })?;
    let bias = at.wrapping_sub(lo);
    map_image(space, &iname, &data, &elf, bias)?;
    Ok((elf.header.e_entry.wrapping_add(bias), bias))
}

fn check_ident(path: &Path, data: &[u8], abi: &Abi) -> Result<(), LoadError> {
    let name = path.display().to_string();
    let id = ident(path, data)?;
    if id.machine != abi.elf_machine {
        return Err(LoadError::UnsupportedMachine {
            path: name,
            machine: id.machine,
            name: machine_name(id.machine),
        });
    }
    let want_big = abi.endian == Endian::Big;
    if id.is_64bit != abi.is_64bit || id.big_endian != want_big {
        return Err(LoadError::WrongClass {
            path: name,
            found: describe(id.is_64bit, id.big_endian),
            expected: describe(abi.is_64bit, want_big),
            arch: format!("{:?}", abi.arch),
        });
    }
    Ok(())
}

/// Maps the PT_LOAD segments of `elf` at `bias`: the whole image writable first, the file
/// bytes copied, then each segment's protection (the union where two segments share a page)
/// and the gaps between segments unmapped. Returns the image's page range.
fn map_image(
    space: &mut AddressSpace,
    name: &str,
    data: &[u8],
    elf: &Elf,
    bias: u64,
) -> Result<(u64, u64), LoadError> {
    let corrupt = |why: String| LoadError::Corrupt {
        path: name.to_string(),
        why,
    };
    let mut segs: Vec<&ph::ProgramHeader> = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == ph::PT_LOAD && p.p_memsz > 0)
        .collect();
    if segs.is_empty() {
        return Err(corrupt("no loadable segment".into()));
    }
    segs.sort_by_key(|p| p.p_vaddr);
    for p in &segs {
        let file_end = p.p_offset.checked_add(p.p_filesz);
        if file_end.is_none_or(|e| e > data.len() as u64) {
            return Err(corrupt(format!(
                "segment at {:#x} extends past the end of the file",
                p.p_vaddr
            )));
        }
        if p.p_filesz > p.p_memsz || p.p_vaddr.checked_add(p.p_memsz).is_none() {
            return Err(corrupt(format!("bad segment sizes at {:#x}", p.p_vaddr)));
        }
    }
    let min_vaddr = page_down(segs[0].p_vaddr);
    let max_end = segs
        .iter()
        .map(|p| p.p_vaddr + p.p_memsz)
        .max()
        .unwrap_or(0);
    let lo = min_vaddr.wrapping_add(bias);
    let hi = page_up(max_end.wrapping_add(bias));
    let map_err = |addr: u64, why: String| LoadError::Map {
        path: name.to_string(),
        addr,
        why,
    };
    if hi <= lo || hi > space.stack_top() - STACK_SIZE {
        return Err(map_err(
            lo,
            format!("image [{lo:#x}, {hi:#x}) does not fit the guest address space"),
        ));
    }
    space
        .map_fixed(lo, hi - lo, Prot::RW)
        .map_err(|e| map_err(lo, e.to_string()))?;
    for p in &segs {
        let bytes = &data[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        space
            .write(p.p_vaddr.wrapping_add(bias), bytes)
            .map_err(|e| map_err(p.p_vaddr.wrapping_add(bias), e.to_string()))?;
    }
    let prot_of = |p: &ph::ProgramHeader| {
        let f = p.p_flags;
        Prot(
            (if f & ph::PF_R != 0 { 1 } else { 0 })
                | (if f & ph::PF_W != 0 { 2 } else { 0 })
                | (if f & ph::PF_X != 0 { 4 } else { 0 }),
        )
    };
    let ranges: Vec<(u64, u64, Prot)> = segs
        .iter()
        .map(|p| {
            let s = p.p_vaddr.wrapping_add(bias);
            (page_down(s), page_up(s + p.p_memsz), prot_of(p))
        })
        .collect();
    for (i, &(s, e, prot)) in ranges.iter().enumerate() {
        space
            .mprotect(s, e - s, prot)
            .map_err(|err| map_err(s, err.to_string()))?;
        if i > 0 {
            let (_, pe, pprot) = ranges[i - 1];
            if s < pe {
                let shared_end = pe.min(e);
                space
                    .mprotect(s, shared_end - s, prot | pprot)
                    .map_err(|err| map_err(s, err.to_string()))?;
            } else if s > pe {
                space
                    .munmap(pe, s - pe)
                    .map_err(|err| map_err(pe, err.to_string()))?;
            }
        }
    }
    Ok((lo, hi))
}

/// Maps the stack and writes argc, argv, envp, auxv and the strings they point to.
fn build_stack(
    space: &mut AddressSpace,
    abi: &Abi,
    l: &mut Loaded,
    argv: &[OsString],
    envp: &[OsString],
    execfn: &str,
) -> Result<(), ()> {
    space.map_stack().map_err(|_| ())?;
    let top = space.stack_top();
    let word = abi.word_size() as u64;

    // Strings: argv then envp then execfn, ending 8 bytes below the top (a NULL word, as Linux).
    let mut blob = Vec::new();
    let mut argv_off = Vec::new();
    for a in argv {
        argv_off.push(blob.len() as u64);
        blob.extend_from_slice(a.as_bytes());
        blob.push(0);
    }
    let mut envp_off = Vec::new();
    for e in envp {
        envp_off.push(blob.len() as u64);
        blob.extend_from_slice(e.as_bytes());
        blob.push(0);
    }
    let execfn_off = blob.len() as u64;
    blob.extend_from_slice(execfn.as_bytes());
    blob.push(0);
    let limit = STACK_SIZE / 4;
    if blob.len() as u64 > limit {
        return Err(());
    }
    let strings = top - 8 - blob.len() as u64;
    space.write(strings, &blob).map_err(|_| ())?;
    let platform = (strings - abi.platform.len() as u64 - 1) & !(word - 1);
    let mut pbytes = abi.platform.as_bytes().to_vec();
    pbytes.push(0);
    space.write(platform, &pbytes).map_err(|_| ())?;
    let random = (platform - 16) & !15;
    let mut rnd = [0u8; 16];
    fill_random(&mut rnd);
    space.write(random, &rnd).map_err(|_| ())?;

    // SAFETY: these libc calls only read the process credentials.
    let (uid, euid, gid, egid) = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let mut auxv = vec![
        (at::PHDR, l.phdr),
        (at::PHENT, l.phent),
        (at::PHNUM, l.phnum),
        (at::PAGESZ, abi.page_size),
        (at::BASE, l.interp_base),
        (at::FLAGS, 0),
        (at::ENTRY, l.program_entry),
        (at::UID, uid as u64),
        (at::EUID, euid as u64),
        (at::GID, gid as u64),
        (at::EGID, egid as u64),
        (at::SECURE, 0),
        (at::RANDOM, random),
        (at::HWCAP, abi.hwcap),
        (at::HWCAP2, abi.hwcap2),
        (at::CLKTCK, 100),
        (at::PLATFORM, platform),
        (at::EXECFN, strings + execfn_off),
    ];
    if let Some(m) = abi.minsigstksz {
        auxv.push((at::MINSIGSTKSZ, m));
    }
    auxv.extend_from_slice(abi.extra_auxv);

    let mut table = Vec::new();
    abi.put_word(&mut table, argv.len() as u64);
    for o in &argv_off {
        abi.put_word(&mut table, strings + o);
    }
    abi.put_word(&mut table, 0);
    for o in &envp_off {
        abi.put_word(&mut table, strings + o);
    }
    abi.put_word(&mut table, 0);
    for &(k, v) in auxv.iter().chain(std::iter::once(&(at::NULL, 0))) {
        abi.put_word(&mut table, k);
        abi.put_word(&mut table, v);
    }
    let sp = (random - table.len() as u64) & !(abi.stack_align.max(word) - 1);
    if top - sp > limit {
        return Err(());
    }
    space.write(sp, &table).map_err(|_| ())?;
    l.sp = sp;
    l.auxv = auxv;
    Ok(())
}

/// Fills `buf` from the host's random source (AT_RANDOM seeds glibc's stack protector).
fn fill_random(buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: writes at most `buf.len() - got` bytes into the rest of `buf`.
        let n = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if n <= 0 {
            // No entropy source: fall back to the clock, still distinct per run.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            for (i, b) in buf[got..].iter_mut().enumerate() {
                *b = (t >> ((i % 16) * 8)) as u8;
            }
            return;
        }
        got += n as usize;
    }
}

/// Page size the loader assumes for segment alignment.
pub const LOAD_PAGE: u64 = PAGE_SIZE;

#[cfg(test)]
pub(crate) mod tests;
