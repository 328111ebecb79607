//! The guest's 4-level page tables, written by the host.
//!
//! The tables live in the system region's pool; a table is allocated the first time a mapping
//! needs it and never freed (the pool is sized for sparse 64-bit address spaces). Guest memory
//! is identity-mapped: a leaf for virtual page `va` points at guest-physical `va`.

use crate::AccelError;

/// Leaf and table entry bits (Intel SDM vol. 3A 4.5).
pub const PTE_P: u64 = 1 << 0;
pub const PTE_RW: u64 = 1 << 1;
pub const PTE_US: u64 = 1 << 2;
pub const PTE_A: u64 = 1 << 5;
pub const PTE_D: u64 = 1 << 6;
pub const PTE_NX: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Access rights of a mapping, as the Linux layer's PROT_* bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rights {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Rights {
    /// From PROT_READ | PROT_WRITE | PROT_EXEC bits.
    pub fn from_prot(prot: u32) -> Rights {
        Rights {
            read: prot & libc::PROT_READ as u32 != 0,
            write: prot & libc::PROT_WRITE as u32 != 0,
            exec: prot & libc::PROT_EXEC as u32 != 0,
        }
    }

    fn any(self) -> bool {
        self.read || self.write || self.exec
    }
}

/// What a change did to entries the guest may have cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stale {
    /// No present entry lost a right.
    None,
    /// Entries lost only the right to execute.
    ExecOnly,
    /// Entries became not present, or lost write or user access.
    Access,
}

/// Page tables kept in a host buffer that the guest sees at `gpa_base`.
pub struct PageTables {
    /// Host address of the system region.
    host: *mut u8,
    /// Guest-physical address of the system region.
    gpa_base: u64,
    /// Offset (in the system region) of the next free table.
    next: u64,
    /// End of the pool.
    end: u64,
    /// Offset of the PML4.
    pml4: u64,
}

impl PageTables {
    /// Uses `[pool_off, pool_end)` of the system region at host `host` / guest-physical
    /// `gpa_base` as the table pool; the PML4 is the pool's first page.
    ///
    /// # Safety
    /// `host .. host + pool_end` must be writable memory that only this value writes to,
    /// zero-filled from `pool_off`, for as long as this value lives.
    pub unsafe fn new(host: *mut u8, gpa_base: u64, pool_off: u64, pool_end: u64) -> PageTables {
        PageTables {
            host,
            gpa_base,
            next: pool_off + 0x1000,
            end: pool_end,
            pml4: pool_off,
        }
    }

    /// Guest-physical address of the PML4 (the CR3 value).
    pub fn cr3(&self) -> u64 {
        self.gpa_base + self.pml4
    }

    fn entry(&self, table_off: u64, index: u64) -> *mut u64 {
        debug_assert!(table_off + 0x1000 <= self.end && index < 512);
        self.host
            .wrapping_add((table_off + index * 8) as usize)
            .cast()
    }

    fn read(&self, p: *mut u64) -> u64 {
        // SAFETY: `p` comes from `entry`, inside the pool that `new`'s contract makes ours.
        unsafe { p.read() }
    }

    fn write(&self, p: *mut u64, v: u64) {
        // SAFETY: as in `read`.
        unsafe { p.write(v) }
    }

    /// The leaf entry for `va`, allocating the intermediate tables if `alloc`.
    fn leaf(&mut self, va: u64, alloc: bool) -> Result<Option<*mut u64>, AccelError> {
        let mut table = self.pml4;
        for level in (1..4).rev() {
            let idx = (va >> (12 + 9 * level)) & 511;
            let e = self.entry(table, idx);
            let v = self.read(e);
            if v & PTE_P == 0 {
                if !alloc {
                    return Ok(None);
                }
                if self.next + 0x1000 > self.end {
                    return Err(AccelError::PageTablesFull);
                }
                let t = self.next;
                self.next += 0x1000;
                // Pool pages are zero from the start and never reused, so the table is empty.
                self.write(e, (self.gpa_base + t) | PTE_P | PTE_RW | PTE_US);
                table = t;
            } else {
                table = (v & ADDR_MASK) - self.gpa_base;
            }
        }
        Ok(Some(self.entry(table, (va >> 12) & 511)))
    }

    /// Maps `[va, va + len)` to guest-physical `pa ..` with `rights` (ring 3 if `user`). Pages
    /// without any right are left not present. Says which present entries lost rights (the
    /// guest may still hold them in its TLB).
    pub fn map(
        &mut self,
        va: u64,
        pa: u64,
        len: u64,
        rights: Rights,
        user: bool,
    ) -> Result<Stale, AccelError> {
        let mut stale = Stale::None;
        let pages = len.div_ceil(0x1000);
        for i in 0..pages {
            let v = va + i * 0x1000;
            let new = if rights.any() {
                let mut e = ((pa + i * 0x1000) & ADDR_MASK) | PTE_P | PTE_A | PTE_D;
                if rights.write {
                    e |= PTE_RW;
                }
                if user {
                    e |= PTE_US;
                }
                if !rights.exec {
                    e |= PTE_NX;
                }
                e
            } else {
                0
            };
            let slot = if new == 0 {
                self.leaf(v, false)?
            } else {
                self.leaf(v, true)?
            };
            if let Some(p) = slot {
                let old = self.read(p);
                if old & PTE_P != 0 && !grants_at_least(new, old) {
                    let exec_only = grants_at_least(new | PTE_NX, old | PTE_NX);
                    stale = stale.max(if exec_only {
                        Stale::ExecOnly
                    } else {
                        Stale::Access
                    });
                }
                self.write(p, new);
            }
        }
        Ok(stale)
    }

    /// Removes `[va, va + len)`. Says if any page was present.
    pub fn unmap(&mut self, va: u64, len: u64) -> Result<Stale, AccelError> {
        self.map(
            va,
            0,
            len,
            Rights {
                read: false,
                write: false,
                exec: false,
            },
            false,
        )
    }

    /// The leaf entry for `va` (0 if not mapped), for tests and diagnostics.
    pub fn lookup(&mut self, va: u64) -> u64 {
        match self.leaf(va, false) {
            Ok(Some(p)) => self.read(p),
            _ => 0,
        }
    }
}

/// True if entry `new` maps the same page as `old` with at least its rights.
fn grants_at_least(new: u64, old: u64) -> bool {
    new & PTE_P != 0
        && new & ADDR_MASK == old & ADDR_MASK
        && (new & PTE_RW != 0 || old & PTE_RW == 0)
        && (new & PTE_US != 0 || old & PTE_US == 0)
        && (new & PTE_NX == 0 || old & PTE_NX != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> (Vec<u64>, PageTables) {
        let mut buf = vec![0u64; 64 * 512];
        // SAFETY: the buffer is zeroed, 64 pages long and outlives the tables in each test.
        let pt = unsafe { PageTables::new(buf.as_mut_ptr().cast(), 1 << 40, 0, 64 * 0x1000) };
        (buf, pt)
    }

    #[test]
    fn map_sets_rights_and_identity_address() {
        let (_buf, mut pt) = pool();
        let rw = Rights {
            read: true,
            write: true,
            exec: false,
        };
        assert_eq!(
            pt.map(0x40_1000, 0x40_1000, 0x2000, rw, true).unwrap(),
            Stale::None
        );
        let e = pt.lookup(0x40_2000);
        assert_eq!(e & ADDR_MASK, 0x40_2000);
        assert_eq!(
            e & (PTE_P | PTE_RW | PTE_US | PTE_NX),
            PTE_P | PTE_RW | PTE_US | PTE_NX
        );
        assert_eq!(pt.lookup(0x40_3000), 0);
        assert_eq!(pt.lookup(0x7fff_0000_0000), 0);
    }

    #[test]
    fn reducing_rights_reports_stale_entries() {
        let (_buf, mut pt) = pool();
        let rwx = Rights {
            read: true,
            write: true,
            exec: true,
        };
        let r = Rights {
            read: true,
            write: false,
            exec: false,
        };
        pt.map(0x1000, 0x1000, 0x1000, r, true).unwrap();
        let rw = Rights {
            read: true,
            write: true,
            exec: false,
        };
        // Adding rights needs no flush; removing them does.
        assert_eq!(
            pt.map(0x1000, 0x1000, 0x1000, rwx, true).unwrap(),
            Stale::None
        );
        assert_eq!(
            pt.map(0x1000, 0x1000, 0x1000, rw, true).unwrap(),
            Stale::ExecOnly
        );
        assert_eq!(
            pt.map(0x1000, 0x1000, 0x1000, r, true).unwrap(),
            Stale::Access
        );
        assert_eq!(pt.unmap(0x1000, 0x1000).unwrap(), Stale::Access);
        assert_eq!(pt.lookup(0x1000), 0);
        assert_eq!(pt.unmap(0x1000, 0x1000).unwrap(), Stale::None);
    }

    #[test]
    fn pool_exhaustion_is_an_error() {
        let (_buf, mut pt) = pool();
        let r = Rights {
            read: true,
            write: false,
            exec: false,
        };
        // Each 1 GiB-apart page needs its own PD and PT: 62 free pages run out.
        let mut failed = false;
        for i in 0..64u64 {
            if pt.map(i << 30, i << 30, 0x1000, r, true).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}
