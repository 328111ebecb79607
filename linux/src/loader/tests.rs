//! Loader tests on ELF files made in the test: segments, stack and auxv, bad input.

use super::*;
use crate::abi::x86_64::ABI;
use std::sync::atomic::{AtomicU32, Ordering};

/// One PT_LOAD (or other) program header of a test ELF; `data` is placed at a
/// page-aligned file offset (segment 0 at offset 0 holds the headers themselves).
pub(crate) struct Seg {
    pub p_type: u32,
    pub vaddr: u64,
    pub flags: u32,
    pub data: Vec<u8>,
    pub memsz: u64,
}

/// A minimal little-endian ELF64 file: header, program headers, segment data.
pub(crate) fn elf64(machine: u16, e_type: u16, entry: u64, segs: &[Seg]) -> Vec<u8> {
    let phnum = segs.len();
    let mut f = vec![0u8; 64 + 56 * phnum];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2; // ELFCLASS64
    f[5] = 1; // little-endian
    f[6] = 1; // EV_CURRENT
    f[16..18].copy_from_slice(&e_type.to_le_bytes());
    f[18..20].copy_from_slice(&machine.to_le_bytes());
    f[20..24].copy_from_slice(&1u32.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    f[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    f[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    f[56..58].copy_from_slice(&(phnum as u16).to_le_bytes());
    f[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    let mut offsets = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let off = if i == 0 { 0 } else { page_up(f.len() as u64) };
        if i > 0 {
            f.resize(off as usize, 0);
            f.extend_from_slice(&s.data);
        }
        offsets.push(off);
    }
    // Segment 0's data (after the headers) goes into the first page.
    let hdr_end = 64 + 56 * phnum;
    if let Some(s0) = segs.first() {
        if f.len() < hdr_end + s0.data.len() {
            f.resize(hdr_end + s0.data.len(), 0);
        }
        f[hdr_end..hdr_end + s0.data.len()].copy_from_slice(&s0.data);
    }
    for (i, s) in segs.iter().enumerate() {
        let filesz = if i == 0 {
            (hdr_end + s.data.len()) as u64
        } else {
            s.data.len() as u64
        };
        let p = 64 + 56 * i;
        f[p..p + 4].copy_from_slice(&s.p_type.to_le_bytes());
        f[p + 4..p + 8].copy_from_slice(&s.flags.to_le_bytes());
        f[p + 8..p + 16].copy_from_slice(&offsets[i].to_le_bytes());
        f[p + 16..p + 24].copy_from_slice(&s.vaddr.to_le_bytes());
        f[p + 24..p + 32].copy_from_slice(&s.vaddr.to_le_bytes());
        f[p + 32..p + 40].copy_from_slice(&filesz.to_le_bytes());
        f[p + 40..p + 48].copy_from_slice(&s.memsz.max(filesz).to_le_bytes());
        f[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    }
    f
}

pub(crate) fn temp_file(bytes: &[u8]) -> std::path::PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "xarch-loader-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn two_segments(e_type: u16, base: u64) -> Vec<u8> {
    elf64(
        62,
        e_type,
        base + 0x100,
        &[
            Seg {
                p_type: ph::PT_LOAD,
                vaddr: base,
                flags: ph::PF_R | ph::PF_X,
                data: vec![0x90; 16],
                memsz: 0,
            },
            Seg {
                p_type: ph::PT_LOAD,
                vaddr: base + 0x2000,
                flags: ph::PF_R | ph::PF_W,
                data: b"DATA".to_vec(),
                memsz: 0x2100,
            },
        ],
    )
}

fn strings(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

fn word(s: &mut AddressSpace, a: u64) -> u64 {
    let mut b = [0u8; 8];
    s.read(a, &mut b).unwrap();
    u64::from_le_bytes(b)
}

#[test]
fn static_exec_segments_bss_and_brk() {
    let path = temp_file(&two_segments(2, 0x40_0000));
    let mut s = AddressSpace::new(36).unwrap();
    let l = load(&mut s, &ABI, &path, &strings(&["prog"]), &[], "prog").unwrap();
    assert_eq!(l.entry, 0x40_0100);
    assert_eq!(l.load_bias, 0);
    assert_eq!(l.phdr, 0x40_0040);
    assert_eq!(l.phnum, 2);
    // Code: the ELF header itself is the first page, read-execute only.
    let mut magic = [0u8; 4];
    assert!(s.read_code(0x40_0000, &mut magic));
    assert_eq!(&magic, b"\x7fELF");
    assert!(!s.is_mapped(0x40_0000, 1, Prot::WRITE));
    // The gap between the segments is unmapped.
    assert!(!s.is_mapped(0x40_1000, 1, Prot::NONE));
    // Data then zeroed bss, writable.
    let mut d = [0u8; 8];
    s.read(0x40_2000, &mut d).unwrap();
    assert_eq!(&d, b"DATA\0\0\0\0");
    assert!(s.is_mapped(0x40_2000, 0x2100, Prot::RW));
    assert_eq!(word(&mut s, 0x40_4000), 0);
    assert_eq!(l.brk_start, 0x40_5000);
    assert_eq!(s.brk(0), 0x40_5000);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn initial_stack_layout() {
    let path = temp_file(&two_segments(2, 0x40_0000));
    let mut s = AddressSpace::new(36).unwrap();
    let l = load(
        &mut s,
        &ABI,
        &path,
        &strings(&["prog", "a1"]),
        &strings(&["K=V"]),
        "/bin/prog",
    )
    .unwrap();
    assert_eq!(l.sp % 16, 0);
    assert_eq!(word(&mut s, l.sp), 2); // argc
    let a0 = word(&mut s, l.sp + 8);
    let a1 = word(&mut s, l.sp + 16);
    assert_eq!(s.read_cstr(a0, 100).unwrap(), b"prog");
    assert_eq!(s.read_cstr(a1, 100).unwrap(), b"a1");
    assert_eq!(word(&mut s, l.sp + 24), 0);
    let e0 = word(&mut s, l.sp + 32);
    assert_eq!(s.read_cstr(e0, 100).unwrap(), b"K=V");
    assert_eq!(word(&mut s, l.sp + 40), 0);
    // auxv, in pairs up to AT_NULL.
    let mut auxv = std::collections::HashMap::new();
    let mut p = l.sp + 48;
    loop {
        let (k, v) = (word(&mut s, p), word(&mut s, p + 8));
        if k == at::NULL {
            break;
        }
        auxv.insert(k, v);
        p += 16;
    }
    assert_eq!(auxv[&at::PHDR], 0x40_0040);
    assert_eq!(auxv[&at::PHENT], 56);
    assert_eq!(auxv[&at::PHNUM], 2);
    assert_eq!(auxv[&at::PAGESZ], 4096);
    assert_eq!(auxv[&at::ENTRY], 0x40_0100);
    assert_eq!(auxv[&at::CLKTCK], 100);
    assert_eq!(auxv[&at::SECURE], 0);
    assert_eq!(auxv[&at::BASE], 0);
    assert_eq!(auxv[&at::MINSIGSTKSZ], 2048);
    assert_eq!(s.read_cstr(auxv[&at::EXECFN], 100).unwrap(), b"/bin/prog");
    assert_eq!(s.read_cstr(auxv[&at::PLATFORM], 100).unwrap(), b"x86_64");
    let r = auxv[&at::RANDOM];
    assert!(r > l.sp && r + 16 <= s.stack_top());
    // SAFETY: getuid only reads the credentials.
    assert_eq!(auxv[&at::UID], unsafe { libc::getuid() } as u64);
    // Two loads get different random bytes.
    let mut s2 = AddressSpace::new(36).unwrap();
    let l2 = load(
        &mut s2,
        &ABI,
        &path,
        &strings(&["prog", "a1"]),
        &strings(&["K=V"]),
        "/bin/prog",
    )
    .unwrap();
    let (mut r1, mut r2) = ([0u8; 16], [0u8; 16]);
    s.read(r, &mut r1).unwrap();
    s2.read(
        l2.auxv.iter().find(|a| a.0 == at::RANDOM).unwrap().1,
        &mut r2,
    )
    .unwrap();
    assert_ne!(r1, r2);
    std::fs::remove_file(path).unwrap();
}

#[test]
fn static_pie_gets_a_load_bias() {
    let path = temp_file(&two_segments(3, 0));
    let mut s = AddressSpace::new(36).unwrap();
    let l = load(&mut s, &ABI, &path, &strings(&["p"]), &[], "p").unwrap();
    assert_eq!(l.load_bias, s.pie_base());
    assert_eq!(l.entry, s.pie_base() + 0x100);
    assert_eq!(l.phdr, s.pie_base() + 0x40);
    let mut d = [0u8; 4];
    s.read(s.pie_base() + 0x2000, &mut d).unwrap();
    assert_eq!(&d, b"DATA");
    std::fs::remove_file(path).unwrap();
}

fn load_err(bytes: &[u8]) -> String {
    let path = temp_file(bytes);
    let mut s = AddressSpace::new(36).unwrap();
    let e = load(&mut s, &ABI, &path, &strings(&["p"]), &[], "p")
        .unwrap_err()
        .to_string();
    std::fs::remove_file(path).unwrap();
    e
}

#[test]
fn bad_files_are_one_line_errors() {
    assert!(load_err(b"#!/bin/sh\necho hi\n").ends_with("not an ELF file"));
    assert!(load_err(b"").ends_with("not an ELF file"));
    assert!(load_err(b"\x7fELF\x02\x01").contains("truncated or corrupt"));
    // Cut inside the second segment's data.
    let good = two_segments(2, 0x40_0000);
    assert!(
        load_err(&good[..0x1002]).contains("past the end of the file"),
        "{}",
        load_err(&good[..0x1002])
    );
    // Cut inside the program headers.
    assert!(load_err(&good[..100]).contains("truncated or corrupt"));
    let mut riscv = good.clone();
    riscv[18..20].copy_from_slice(&243u16.to_le_bytes());
    assert!(load_err(&riscv).contains("unsupported machine RISC-V (e_machine 243)"));
    let mut be = good.clone();
    be[5] = 2;
    be[18..20].copy_from_slice(&62u16.to_be_bytes());
    assert!(
        load_err(&be).contains(
            "64-bit big-endian ELF file, but the X86_64 guest needs 64-bit little-endian"
        )
    );
    let dynamic = elf64(
        62,
        2,
        0x40_0000,
        &[
            Seg {
                p_type: ph::PT_LOAD,
                vaddr: 0x40_0000,
                flags: ph::PF_R | ph::PF_X,
                data: vec![0; 16],
                memsz: 0,
            },
            Seg {
                p_type: ph::PT_INTERP,
                vaddr: 0x40_1000,
                flags: ph::PF_R,
                data: b"/lib/ld.so\0".to_vec(),
                memsz: 0,
            },
        ],
    );
    assert!(
        load_err(&dynamic).ends_with("dynamic executable: give the guest's sysroot with -L DIR")
    );
    for e in [load_err(b"xx"), load_err(&riscv)] {
        assert!(!e.contains('\n'));
    }
    let mut s = AddressSpace::new(36).unwrap();
    let e = load(
        &mut s,
        &ABI,
        Path::new("/nonexistent/xarch-prog"),
        &[],
        &[],
        "p",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "/nonexistent/xarch-prog: no such file");
}

#[test]
fn dynamic_program_starts_in_its_interpreter_from_the_sysroot() {
    let root = std::env::temp_dir().join(format!("xarch-sysroot-{}", std::process::id()));
    std::fs::create_dir_all(root.join("lib")).unwrap();
    let interp = elf64(
        62,
        3,
        0x80,
        &[Seg {
            p_type: ph::PT_LOAD,
            vaddr: 0,
            flags: ph::PF_R | ph::PF_X,
            data: vec![0xc3; 16],
            memsz: 0,
        }],
    );
    std::fs::write(root.join("lib/ld-test.so"), interp).unwrap();
    // An absolute symlink in the sysroot resolves inside it.
    std::os::unix::fs::symlink("/lib/ld-test.so", root.join("lib/ld-link.so")).unwrap();
    let prog = |interp: &str| {
        elf64(
            62,
            2,
            0x40_0100,
            &[
                Seg {
                    p_type: ph::PT_LOAD,
                    vaddr: 0x40_0000,
                    flags: ph::PF_R | ph::PF_X,
                    data: vec![0; 16],
                    memsz: 0,
                },
                Seg {
                    p_type: ph::PT_INTERP,
                    vaddr: 0x40_2000,
                    flags: ph::PF_R,
                    data: format!("{interp}\0").into_bytes(),
                    memsz: 0,
                },
            ],
        )
    };
    for name in ["/lib/ld-test.so", "/lib/ld-link.so"] {
        let path = temp_file(&prog(name));
        let mut s = AddressSpace::new(36).unwrap();
        let l = load_with_sysroot(&mut s, &ABI, &path, &strings(&["p"]), &[], "p", Some(&root))
            .unwrap();
        assert_ne!(l.interp_base, 0);
        assert_eq!(l.entry, l.interp_base + 0x80);
        assert_eq!(l.program_entry, 0x40_0100);
        let aux = |k: u64| l.auxv.iter().find(|a| a.0 == k).unwrap().1;
        assert_eq!(aux(at::BASE), l.interp_base);
        assert_eq!(aux(at::ENTRY), 0x40_0100);
        let mut b = [0u8; 4];
        assert!(s.read_code(l.interp_base, &mut b));
        assert_eq!(&b, b"\x7fELF");
        std::fs::remove_file(path).unwrap();
    }
    let path = temp_file(&prog("/lib/missing.so"));
    let mut s = AddressSpace::new(36).unwrap();
    let e = load_with_sysroot(&mut s, &ABI, &path, &[], &[], "p", Some(&root))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("interpreter") && e.contains("missing.so not found"),
        "{e}"
    );
    std::fs::remove_file(path).unwrap();
    std::fs::remove_dir_all(root).unwrap();
}

/// The loader never panics: mutated headers and program headers give errors or loads.
#[test]
fn mutated_elf_files_do_not_panic() {
    let good = two_segments(2, 0x40_0000);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let path = temp_file(&good);
    for _ in 0..400 {
        let mut f = good.clone();
        for _ in 0..1 + next() % 4 {
            // Mostly the ELF header and program headers, where the interesting fields are.
            let i = (next() % 176) as usize;
            f[i] = next() as u8;
        }
        if next() % 8 == 0 {
            f.truncate((next() % f.len() as u64) as usize);
        }
        std::fs::write(&path, &f).unwrap();
        let mut s = AddressSpace::new(36).unwrap();
        let _ = load(&mut s, &ABI, &path, &strings(&["p"]), &[], "p");
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn elf_machine_reads_the_header() {
    let path = temp_file(&two_segments(2, 0x40_0000));
    assert_eq!(
        elf_machine(&path).unwrap(),
        ElfIdent {
            machine: 62,
            is_64bit: true,
            big_endian: false
        }
    );
    std::fs::remove_file(path).unwrap();
    assert!(matches!(
        elf_machine(Path::new("/nonexistent")),
        Err(LoadError::Missing(_))
    ));
}

#[test]
fn the_arch_adds_its_own_auxv_entries() {
    static WITH_CACHE: crate::abi::Abi = crate::abi::Abi {
        extra_auxv: &[(19, 128), (20, 64)],
        ..crate::abi::x86_64::BASE
    };
    let path = temp_file(&two_segments(2, 0x40_0000));
    let mut s = AddressSpace::new(36).unwrap();
    let l = load(&mut s, &WITH_CACHE, &path, &strings(&["p"]), &[], "p").unwrap();
    let aux = |k: u64| l.auxv.iter().find(|a| a.0 == k).map(|a| a.1);
    assert_eq!((aux(19), aux(20)), (Some(128), Some(64)));
    assert_eq!(aux(at::PAGESZ), Some(4096));
    let plain = load(&mut s, &ABI, &path, &strings(&["p"]), &[], "p").unwrap();
    assert!(plain.auxv.iter().all(|a| a.0 != 19));
    std::fs::remove_file(path).unwrap();
}
