//! `struct termios` (TCGETS/TCSETS*) of PowerPC guests.
//!
//! ```text
//!  host (x86-64, generic)  iflag oflag cflag lflag | c_line | c_cc[19]            36 bytes
//!  powerpc                 iflag oflag cflag lflag | c_cc[19] | c_line | ispeed ospeed  44
//! ```
//!
//! PowerPC keeps the old termbits (arch/powerpc/include/uapi/asm/termbits.h): many flag bits,
//! the baud codes and the `c_cc` indices differ from the generic values that x86-64 and
//! AArch64 use, so the struct is rebuilt field by field, in the guest's byte order. Other
//! guests share the host's values and pass the host struct through (byte order aside).

use crate::abi::{Abi, Arch, Endian};

/// Size of the host's `struct termios` for TCGETS.
pub(super) const HOST_SIZE: usize = 36;
/// Size of PowerPC's `struct termios`.
const PPC_SIZE: usize = 44;

/// A flag field as (PowerPC mask, host mask): the field's value moves between the two
/// positions. Bits that are listed in no field have the same value on both.
type Fields = &'static [(u32, u32)];

const IFLAG: Fields = &[
    (0x0200, 0x0400), // IXON
    (0x0400, 0x1000), // IXOFF
    (0x1000, 0x0200), // IUCLC
];

const OFLAG: Fields = &[
    (0x00002, 0x0004), // ONLCR
    (0x00004, 0x0002), // OLCUC
    (0x00300, 0x0100), // NLDLY (PowerPC has NL2 and NL3; the host only NL1)
    (0x00c00, 0x1800), // TABDLY
    (0x03000, 0x0600), // CRDLY
    (0x04000, 0x8000), // FFDLY
    (0x08000, 0x2000), // BSDLY
    (0x10000, 0x4000), // VTDLY
];

/// c_cflag fields other than the baud codes (CBAUD, CIBAUD: see [`baud_to_host`]).
const CFLAG: Fields = &[
    (0x0300, 0x0030), // CSIZE
    (0x0400, 0x0040), // CSTOPB
    (0x0800, 0x0080), // CREAD
    (0x1000, 0x0100), // PARENB
    (0x2000, 0x0200), // PARODD
    (0x4000, 0x0400), // HUPCL
    (0x8000, 0x0800), // CLOCAL
];
const PPC_CBAUD: u32 = 0xff;
const PPC_CIBAUD: u32 = 0xff_0000;
const HOST_CBAUD: u32 = 0x100f;
const HOST_CIBAUD: u32 = 0x100f_0000;

const LFLAG: Fields = &[
    (0x0000_0080, 0x0000_0001), // ISIG
    (0x0000_0100, 0x0000_0002), // ICANON
    (0x0000_4000, 0x0000_0004), // XCASE
    (0x0000_0002, 0x0000_0010), // ECHOE
    (0x0000_0004, 0x0000_0020), // ECHOK
    (0x0000_0010, 0x0000_0040), // ECHONL
    (0x8000_0000, 0x0000_0080), // NOFLSH
    (0x0040_0000, 0x0000_0100), // TOSTOP
    (0x0000_0040, 0x0000_0200), // ECHOCTL
    (0x0000_0020, 0x0000_0400), // ECHOPRT
    (0x0000_0001, 0x0000_0800), // ECHOKE
    (0x0080_0000, 0x0000_1000), // FLUSHO
    (0x2000_0000, 0x0000_4000), // PENDIN
    (0x0000_0400, 0x0000_8000), // IEXTEN
    (0x1000_0000, 0x0001_0000), // EXTPROC
];

/// PowerPC `c_cc` index → host index (VINTR, VQUIT, VERASE, VKILL, VEOF, VMIN, VEOL, VTIME,
/// VEOL2, VSWTC, VWERASE, VREPRINT, VSUSP, VSTART, VSTOP, VLNEXT, VDISCARD).
const CC: [usize; 17] = [0, 1, 2, 3, 4, 6, 11, 5, 16, 7, 14, 12, 10, 8, 9, 15, 13];

/// Line speeds of the baud codes B0..B38400 (the same codes on both), then the extended
/// ones (PowerPC 0x10.., host 0x1001..): B57600 .. B4000000.
const SPEEDS: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000,
    3000000, 3500000, 4000000,
];

/// True if the guest's termios differs from the host's beyond byte order.
pub(super) fn is_ppc(abi: &Abi) -> bool {
    matches!(abi.arch, Arch::Ppc64le | Arch::Ppc)
}

/// Size of the guest's `struct termios`.
pub(super) fn guest_size(abi: &Abi) -> usize {
    if is_ppc(abi) { PPC_SIZE } else { HOST_SIZE }
}

fn move_fields(v: u32, fields: Fields, to_host: bool) -> u32 {
    let mut listed = 0;
    let mut out = 0;
    for &(ppc, host) in fields {
        let (from, to) = if to_host { (ppc, host) } else { (host, ppc) };
        listed |= from;
        out |= ((v & from) >> from.trailing_zeros() << to.trailing_zeros()) & to;
    }
    out | (v & !listed)
}

/// A PowerPC baud code (0..=0x1e, BOTHER 0x1f) → the host's (0..=15, 0x1001..=0x100f,
/// BOTHER 0x1000), and back.
fn baud_to_host(code: u32) -> u32 {
    match code {
        0..=15 => code,
        0x1f => 0x1000,
        _ => 0x1000 | (code - 15).min(15),
    }
}

fn baud_to_ppc(code: u32) -> u32 {
    match code {
        0..=15 => code,
        0x1000 => 0x1f,
        _ => (code & 15) + 15,
    }
}

fn cflag(v: u32, to_host: bool) -> u32 {
    let (cbaud, cibaud, conv): (u32, u32, fn(u32) -> u32) = if to_host {
        (PPC_CBAUD, PPC_CIBAUD, baud_to_host)
    } else {
        (HOST_CBAUD, HOST_CIBAUD, baud_to_ppc)
    };
    let rest = move_fields(v & !(cbaud | cibaud), CFLAG, to_host);
    rest | conv(v & cbaud) | conv((v & cibaud) >> 16) << 16
}

fn speed(host_code: u32) -> u32 {
    let i = baud_to_ppc(host_code) as usize;
    SPEEDS.get(i).copied().unwrap_or(0)
}

fn put32(out: &mut [u8], off: usize, v: u32, e: Endian) {
    let b = match e {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    out[off..off + 4].copy_from_slice(&b);
}

fn get32(b: &[u8], off: usize, e: Endian) -> u32 {
    let w: [u8; 4] = b[off..off + 4].try_into().expect("4 bytes");
    match e {
        Endian::Little => u32::from_le_bytes(w),
        Endian::Big => u32::from_be_bytes(w),
    }
}

/// The host's termios (TCGETS) as the guest's bytes.
pub(super) fn to_guest(abi: &Abi, host: &[u8; HOST_SIZE]) -> Vec<u8> {
    let e = abi.endian;
    let h = |i: usize| u32::from_ne_bytes(host[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    if !is_ppc(abi) {
        let mut out = host.to_vec();
        for i in 0..4 {
            put32(&mut out, 4 * i, h(i), e);
        }
        return out;
    }
    let mut out = vec![0u8; PPC_SIZE];
    put32(&mut out, 0, move_fields(h(0), IFLAG, false), e);
    put32(&mut out, 4, move_fields(h(1), OFLAG, false), e);
    put32(&mut out, 8, cflag(h(2), false), e);
    put32(&mut out, 12, move_fields(h(3), LFLAG, false), e);
    for (ppc, &hi) in CC.iter().enumerate() {
        out[16 + ppc] = host[17 + hi];
    }
    out[35] = host[16];
    put32(&mut out, 36, speed((h(2) & HOST_CIBAUD) >> 16), e);
    put32(&mut out, 40, speed(h(2) & HOST_CBAUD), e);
    // An input speed of 0 means "same as the output speed".
    if get32(&out, 36, e) == 0 {
        let o = get32(&out, 40, e);
        put32(&mut out, 36, o, e);
    }
    out
}

/// The guest's termios bytes (TCSETS*) as the host's.
pub(super) fn to_host(abi: &Abi, guest: &[u8]) -> [u8; HOST_SIZE] {
    let e = abi.endian;
    let g = |i: usize| get32(guest, 4 * i, e);
    let mut out = [0u8; HOST_SIZE];
    let mut put = |i: usize, v: u32| out[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
    if !is_ppc(abi) {
        for i in 0..4 {
            put(i, g(i));
        }
        out[16..].copy_from_slice(&guest[16..HOST_SIZE]);
        return out;
    }
    put(0, move_fields(g(0), IFLAG, true));
    put(1, move_fields(g(1), OFLAG, true));
    put(2, cflag(g(2), true));
    put(3, move_fields(g(3), LFLAG, true));
    out[16] = guest[35];
    for (ppc, &hi) in CC.iter().enumerate() {
        out[17 + hi] = guest[16 + ppc];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ppc() -> Abi {
        Abi {
            arch: Arch::Ppc,
            is_64bit: false,
            endian: Endian::Big,
            ..crate::abi::x86_64::BASE
        }
    }

    /// A host termios as `stty sane` leaves it: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD,
    /// ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN; VINTR ^C, VMIN 1, VEOF ^D.
    fn sane() -> [u8; HOST_SIZE] {
        let mut h = [0u8; HOST_SIZE];
        let flags: [u32; 4] = [0x100 | 0x400, 0x1 | 0x4, 0xf | 0x30 | 0x80, 0x8a3b];
        for (i, f) in flags.iter().enumerate() {
            h[4 * i..4 * i + 4].copy_from_slice(&f.to_ne_bytes());
        }
        h[17] = 3; // VINTR
        h[17 + 4] = 4; // VEOF
        h[17 + 6] = 1; // VMIN
        h
    }

    #[test]
    fn sane_settings_in_powerpc_bits() {
        let abi = ppc();
        let g = to_guest(&abi, &sane());
        assert_eq!(g.len(), PPC_SIZE);
        let w = |o: usize| u32::from_be_bytes(g[o..o + 4].try_into().unwrap());
        assert_eq!(w(0), 0x100 | 0x200); // ICRNL|IXON
        assert_eq!(w(4), 0x1 | 0x2); // OPOST|ONLCR
        assert_eq!(w(8), 0xf | 0x300 | 0x800); // B38400|CS8|CREAD
        // ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN
        assert_eq!(w(12), 0x80 | 0x100 | 0x8 | 0x2 | 0x4 | 0x40 | 0x1 | 0x400);
        assert_eq!((g[16], g[16 + 4], g[16 + 5]), (3, 4, 1)); // VINTR, VEOF, VMIN
        assert_eq!((w(36), w(40)), (38400, 38400));
        assert_eq!(to_host(&abi, &g), sane());
    }

    #[test]
    fn extended_baud_codes_round_trip() {
        for host in [0u32, 9, 15, 0x1000, 0x1001, 0x1002, 0x100f] {
            assert_eq!(baud_to_host(baud_to_ppc(host)), host, "{host:#x}");
        }
        assert_eq!(baud_to_ppc(0x1002), 0x11); // B115200
        assert_eq!(speed(0x1002), 115200);
    }

    #[test]
    fn generic_guests_keep_the_host_layout() {
        let le = crate::abi::x86_64::BASE;
        let g = to_guest(&le, &sane());
        assert_eq!(g, sane());
        assert_eq!(to_host(&le, &g), sane());
    }
}
