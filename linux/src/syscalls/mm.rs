//! The mmap family: served by the [`AddressSpace`], which keeps the host mappings inside the
//! guest window in step and logs the changes.

use super::{SysResult, Syscalls, int, ptr_out, raw};
use crate::mem::GuestAddr;
use crate::space::{AddressSpace, MapRequest, PAGE_SIZE, Prot, page_up};

// mmap flags: the generic values, shared by AArch64, x86-64 and PowerPC.
const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

impl Syscalls {
    pub(super) fn mmap(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (addr, len, prot, flags, fd, off) = (a[0], a[1], a[2], a[3], a[4] as i32, a[5]);
        let shared = match flags & 3 {
            MAP_SHARED | MAP_SHARED_VALIDATE => true,
            MAP_PRIVATE => false,
            _ => return Err(libc::EINVAL),
        };
        let file = if flags & MAP_ANONYMOUS != 0 {
            None
        } else {
            Some((fd, off))
        };
        let req = MapRequest {
            addr,
            len,
            // PROT_BTI/PROT_MTE (AArch64) and PROT_GROWSDOWN have no meaning here.
            prot: Prot(prot as u32 & 7),
            fixed: flags & MAP_FIXED != 0,
            noreplace: flags & MAP_FIXED_NOREPLACE != 0,
            shared,
            file,
        };
        space.mmap(req).map(|a| a as i64).map_err(|e| e.errno())
    }

    pub(super) fn mremap(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let flags = a[3];
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 {
            return Err(libc::EINVAL);
        }
        let fixed = (flags & MREMAP_FIXED != 0).then_some(a[4]);
        space
            .mremap(a[0], a[1], a[2], flags & MREMAP_MAYMOVE != 0, fixed)
            .map(|a| a as i64)
            .map_err(|e| e.errno())
    }

    pub(super) fn madvise(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let (addr, len, advice) = (a[0], page_up(a[1]), a[2] as i32);
        if addr % PAGE_SIZE != 0 {
            return Err(libc::EINVAL);
        }
        if !space.is_mapped(addr, len, Prot::NONE) {
            return Err(libc::ENOMEM);
        }
        match advice {
            // These change contents (zero-fill on next touch): the host must do them.
            libc::MADV_DONTNEED | libc::MADV_FREE | libc::MADV_REMOVE => {
                if !space.is_mapped(addr, len, Prot::WRITE) {
                    return Ok(0);
                }
                let p = ptr_out(space, addr, len)?;
                raw(libc::SYS_madvise, [p, len as i64, advice as i64, 0, 0, 0])
            }
            // Hints: accepted and ignored.
            _ => Ok(0),
        }
    }

    pub(super) fn msync(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        if !space.is_mapped(a[0], a[1], Prot::NONE) {
            return Err(libc::ENOMEM);
        }
        let p = space.mem().host(GuestAddr(a[0]));
        raw(libc::SYS_msync, [p as i64, a[1] as i64, int(a[2]), 0, 0, 0])
    }

    pub(super) fn mincore(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let len = page_up(a[1]);
        if !space.is_mapped(a[0], len, Prot::NONE) {
            return Err(libc::ENOMEM);
        }
        let vec = ptr_out(space, a[2], len / PAGE_SIZE)?;
        let p = space.mem().host(GuestAddr(a[0]));
        raw(libc::SYS_mincore, [p as i64, len as i64, vec, 0, 0, 0])
    }
}
