//! Ancillary socket data (`struct cmsghdr` chains of sendmsg/recvmsg) for guests whose plain
//! structs are not the host's ([`Abi::host_struct_layout`] false: 32-bit or big-endian).
//!
//! ```text
//!   guest:  cmsg_len (word) | level (i32) | type (i32) | data, padded to a word  (ppc32: 12-byte header)
//!   host:   cmsg_len (u64)  | level (i32) | type (i32) | data, padded to 8       (16-byte header)
//!   sendmsg: guest chain ─► to_host ─► host kernel
//!   recvmsg: host kernel (buffer of host_room) ─► to_guest (truncated as Linux would) ─► guest
//! ```
//!
//! Payloads converted: `SCM_RIGHTS` (an array of `int`) and `SCM_CREDENTIALS` (`struct ucred`,
//! three 32-bit ids) change byte order only; `SCM_TIMESTAMP`/`SCM_TIMESTAMPNS` (received
//! only) are a host `timeval`/`timespec` of two 64-bit fields, two guest words. Any other
//! payload is passed with its bytes unchanged (the caller warns once). Walking and
//! truncation follow Linux's `__cmsg_nxthdr`, `put_cmsg` and `scm_detach_fds`: a header past
//! the buffer ends the chain; on receive, descriptors that do not fit are closed and
//! MSG_CTRUNC is set.

use crate::abi::Abi;

const SOL_SOCKET: i32 = libc::SOL_SOCKET;
const SCM_RIGHTS: i32 = libc::SCM_RIGHTS;
const SCM_CREDENTIALS: i32 = libc::SCM_CREDENTIALS;
/// `SO_TIMESTAMP_OLD` / `SO_TIMESTAMPNS_OLD` (asm-generic, also PowerPC).
const SCM_TIMESTAMP: i32 = 29;
const SCM_TIMESTAMPNS: i32 = 35;

/// Host `cmsghdr` size and alignment (x86-64).
const HOST_HDR: usize = 16;
const HOST_ALIGN: usize = 8;

fn align(n: usize, to: usize) -> usize {
    n.next_multiple_of(to)
}

/// The guest's header size (`CMSG_LEN(0)`) and alignment (`sizeof(long)`).
fn guest_hdr(abi: &Abi) -> (usize, usize) {
    let ws = abi.word_size();
    (align(ws + 8, ws), ws)
}

/// One control message: level, type and payload in host layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Cmsg {
    pub level: i32,
    pub kind: i32,
    pub data: Vec<u8>,
}

/// Whether the payload of (`level`, `kind`) is one xarch converts.
pub(super) fn known(level: i32, kind: i32) -> bool {
    level == SOL_SOCKET
        && matches!(
            kind,
            SCM_RIGHTS | SCM_CREDENTIALS | SCM_TIMESTAMP | SCM_TIMESTAMPNS
        )
}

/// Parses a guest control buffer (sendmsg). A `cmsg_len` below the header or past the
/// buffer is EINVAL, as Linux's `__scm_send` answers.
pub(super) fn parse_guest(abi: &Abi, buf: &[u8]) -> Result<Vec<Cmsg>, i32> {
    let (hdr, al) = guest_hdr(abi);
    let mut out = Vec::new();
    let mut off = 0;
    while off + hdr <= buf.len() {
        let len = abi.get_word(&buf[off..]);
        if len < hdr as u64 || len > (buf.len() - off) as u64 {
            return Err(libc::EINVAL);
        }
        let len = len as usize;
        let level = abi.get_u32(&buf[off + abi.word_size()..]) as i32;
        let kind = abi.get_u32(&buf[off + abi.word_size() + 4..]) as i32;
        let data = &buf[off + hdr..off + len];
        let data = if level == SOL_SOCKET && matches!(kind, SCM_RIGHTS | SCM_CREDENTIALS) {
            data.chunks(4)
                .flat_map(|c| {
                    if c.len() == 4 {
                        abi.get_u32(c).to_ne_bytes().to_vec()
                    } else {
                        c.to_vec()
                    }
                })
                .collect()
        } else {
            data.to_vec()
        };
        out.push(Cmsg { level, kind, data });
        off += align(len, al);
    }
    Ok(out)
}

/// Builds a host control buffer from messages.
pub(super) fn host_buffer(msgs: &[Cmsg]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        out.extend_from_slice(&((HOST_HDR + m.data.len()) as u64).to_ne_bytes());
        out.extend_from_slice(&m.level.to_ne_bytes());
        out.extend_from_slice(&m.kind.to_ne_bytes());
        out.extend_from_slice(&m.data);
        out.resize(align(out.len(), HOST_ALIGN), 0);
    }
    out
}

/// Parses a host control buffer of `len` bytes (what recvmsg returned in msg_controllen).
pub(super) fn parse_host(buf: &[u8]) -> Vec<Cmsg> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + HOST_HDR <= buf.len() {
        let len = u64::from_ne_bytes(buf[off..off + 8].try_into().expect("8 bytes"));
        if len < HOST_HDR as u64 || len > (buf.len() - off) as u64 {
            break;
        }
        let len = len as usize;
        let level = i32::from_ne_bytes(buf[off + 8..off + 12].try_into().expect("4 bytes"));
        let kind = i32::from_ne_bytes(buf[off + 12..off + 16].try_into().expect("4 bytes"));
        out.push(Cmsg {
            level,
            kind,
            data: buf[off + HOST_HDR..off + len].to_vec(),
        });
        off += align(len, HOST_ALIGN);
    }
    out
}

/// Host control buffer size that holds whatever fits a guest buffer of `guest_len` bytes:
/// per message the host header is at most 4 bytes longer and pads to at most 7 more bytes,
/// and a guest message takes at least a header.
pub(super) fn host_room(abi: &Abi, guest_len: usize) -> usize {
    let (hdr, _) = guest_hdr(abi);
    let msgs = guest_len / hdr + 1;
    guest_len + msgs * (HOST_HDR - hdr.min(HOST_HDR) + HOST_ALIGN)
}

/// A received message's payload in the guest's layout.
fn guest_payload(abi: &Abi, m: &Cmsg) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.data.len());
    if m.level == SOL_SOCKET && matches!(m.kind, SCM_RIGHTS | SCM_CREDENTIALS) {
        for c in m.data.chunks(4) {
            if c.len() == 4 {
                abi.put_u32(&mut out, u32::from_ne_bytes(c.try_into().expect("4 bytes")));
            } else {
                out.extend_from_slice(c);
            }
        }
    } else if m.level == SOL_SOCKET
        && matches!(m.kind, SCM_TIMESTAMP | SCM_TIMESTAMPNS)
        && m.data.len() == 16
    {
        for c in m.data.chunks(8) {
            abi.put_word(&mut out, u64::from_ne_bytes(c.try_into().expect("8 bytes")));
        }
    } else {
        out.extend_from_slice(&m.data);
    }
    out
}

/// The guest control buffer for received messages, at most `room` bytes, and whether it was
/// cut (MSG_CTRUNC). Descriptors of `SCM_RIGHTS` that do not fit are given to `close`, as
/// Linux drops the ones that do not fit the receiver's buffer.
pub(super) fn guest_buffer(
    abi: &Abi,
    msgs: &[Cmsg],
    room: usize,
    close: &mut dyn FnMut(i32),
) -> (Vec<u8>, bool) {
    let (hdr, al) = guest_hdr(abi);
    let mut out = Vec::new();
    let mut cut = false;
    for m in msgs {
        let rights = m.level == SOL_SOCKET && m.kind == SCM_RIGHTS;
        let left = room.saturating_sub(out.len());
        let mut data = guest_payload(abi, m);
        if left < hdr {
            cut = true;
        } else if hdr + data.len() > left {
            cut = true;
            // A partial descriptor array keeps whole descriptors; other data is cut short.
            let fit = if rights {
                (left - hdr) / 4 * 4
            } else {
                left - hdr
            };
            data.truncate(fit);
        }
        if rights {
            let kept = if left < hdr { 0 } else { data.len() / 4 };
            for c in m.data.chunks_exact(4).skip(kept) {
                close(i32::from_ne_bytes(c.try_into().expect("4 bytes")));
            }
        }
        if left < hdr {
            continue;
        }
        let len = hdr + data.len();
        abi.put_word(&mut out, len as u64);
        abi.put_u32(&mut out, m.level as u32);
        abi.put_u32(&mut out, m.kind as u32);
        out.resize(out.len() + hdr - abi.word_size() - 8, 0);
        out.extend_from_slice(&data);
        // Padding to the next header, never past the buffer (Linux's `put_cmsg`).
        let padded = out.len() - len + align(len, al);
        out.resize(padded.min(room), 0);
    }
    (out, cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{Arch, Endian, StatLayout};

    /// A 32-bit big-endian guest ABI (as ppc32) for the layout functions.
    static BE32: Abi = Abi {
        arch: Arch::Ppc,
        is_64bit: false,
        endian: Endian::Big,
        stat: StatLayout::Ppc32Stat64,
        ..crate::abi::x86_64::BASE
    };

    /// A guest SCM_RIGHTS message of `fds` (ppc32: 12-byte header, big-endian).
    fn be32_rights(fds: &[i32]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(12 + 4 * fds.len() as u32).to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        for f in fds {
            b.extend_from_slice(&f.to_be_bytes());
        }
        b
    }

    #[test]
    fn rights_from_a_big_endian_32_bit_guest() {
        let mut g = be32_rights(&[5, 7]);
        g.extend(be32_rights(&[9]));
        let msgs = parse_guest(&BE32, &g).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!((msgs[0].level, msgs[0].kind), (SOL_SOCKET, SCM_RIGHTS));
        let h = host_buffer(&msgs);
        // First: 16-byte header + 8 bytes; second: header + 4, padded to 8.
        assert_eq!(h.len(), 24 + 24);
        assert_eq!(u64::from_ne_bytes(h[..8].try_into().unwrap()), 24);
        assert_eq!(&h[16..24], &[5, 0, 0, 0, 7, 0, 0, 0]);
        assert_eq!(u64::from_ne_bytes(h[24..32].try_into().unwrap()), 20);
        assert_eq!(parse_host(&h), msgs);
    }

    #[test]
    fn bad_guest_lengths_are_einval() {
        let mut g = be32_rights(&[5]);
        g[3] = 40;
        assert_eq!(parse_guest(&BE32, &g), Err(libc::EINVAL));
        g[3] = 8;
        assert_eq!(parse_guest(&BE32, &g), Err(libc::EINVAL));
        // Fewer bytes than a header: no message.
        assert_eq!(parse_guest(&BE32, &g[..11]), Ok(vec![]));
    }

    #[test]
    fn received_rights_are_cut_and_the_rest_closed() {
        let m = Cmsg {
            level: SOL_SOCKET,
            kind: SCM_RIGHTS,
            data: [10i32, 11, 12]
                .iter()
                .flat_map(|f| f.to_ne_bytes())
                .collect(),
        };
        let mut closed = Vec::new();
        let (g, cut) = guest_buffer(&BE32, std::slice::from_ref(&m), 64, &mut |f| closed.push(f));
        assert_eq!(
            (g, cut, closed.len()),
            (be32_rights(&[10, 11, 12]), false, 0)
        );
        // Room for one descriptor (CMSG_LEN(4) = 16 on ppc32).
        let (g, cut) = guest_buffer(&BE32, std::slice::from_ref(&m), 18, &mut |f| closed.push(f));
        assert_eq!((g, cut), (be32_rights(&[10]), true));
        assert_eq!(closed, [11, 12]);
        // Room for no header: everything closed, nothing written.
        closed.clear();
        let (g, cut) = guest_buffer(&BE32, &[m], 8, &mut |f| closed.push(f));
        assert_eq!((g.len(), cut, closed), (0, true, vec![10, 11, 12]));
    }

    #[test]
    fn credentials_and_timestamps_for_the_guest() {
        let cred = Cmsg {
            level: SOL_SOCKET,
            kind: SCM_CREDENTIALS,
            data: [1u32, 1000, 100]
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect(),
        };
        let ts = Cmsg {
            level: SOL_SOCKET,
            kind: SCM_TIMESTAMP,
            data: [7u64, 8].iter().flat_map(|v| v.to_ne_bytes()).collect(),
        };
        let (g, cut) = guest_buffer(&BE32, &[cred, ts], 256, &mut |_| panic!("no fds"));
        assert!(!cut);
        let words: Vec<u32> = g
            .chunks(4)
            .map(|c| u32::from_be_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(words, [24, 1, 2, 1, 1000, 100, 20, 1, 29, 7, 8]);
    }

    #[test]
    fn host_room_holds_what_fits_the_guest() {
        // The guest fits n one-descriptor messages in 16 n bytes; the host needs 24 n.
        for n in 1..10 {
            assert!(host_room(&BE32, 16 * n) >= 24 * n);
        }
    }
}
