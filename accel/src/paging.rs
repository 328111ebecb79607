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
/// Page size: in a PDPT or PD entry, the entry maps a 1 GiB or 2 MiB page.
pub const PTE_PS: u64 = 1 << 7;
pub const PTE_NX: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/// The bits of a leaf that are its rights (all but the address and the page size).
const FLAG_MASK: u64 = !ADDR_MASK & !PTE_PS;

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

    /// The flag bits of a leaf with these rights (0: not present).
    fn leaf_flags(self, user: bool) -> u64 {
        if !self.any() {
            return 0;
        }
        let mut e = PTE_P | PTE_A | PTE_D;
        if self.write {
            e |= PTE_RW;
        }
        if user {
            e |= PTE_US;
        }
        if !self.exec {
            e |= PTE_NX;
        }
        e
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

/// Which page sizes leaves may have besides 4 KiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSizes {
    /// 2 MiB leaves in page directories.
    pub two_m: bool,
    /// 1 GiB leaves in PDPTs (needs CPUID PDPE1GB in the guest).
    pub one_g: bool,
}

impl PageSizes {
    pub const SMALL_ONLY: PageSizes = PageSizes {
        two_m: false,
        one_g: false,
    };

    /// May a table at `level` (1: PD, 2: PDPT) hold a leaf?
    fn leaf_at(self, level: u32) -> bool {
        match level {
            0 => true,
            1 => self.two_m,
            2 => self.one_g,
            _ => false,
        }
    }
}

/// Page tables kept in a host buffer that the guest sees at `gpa_base`.
///
/// A range is mapped with the largest leaves its alignment, its extent and `PageSizes`
/// allow: 1 GiB in a PDPT, 2 MiB in a PD, 4 KiB otherwise. A change to part of a large leaf
/// splits it into a table of smaller leaves with the same rights first; a table whose 512
/// entries come to map one contiguous, equally-righted, suitably aligned range (a heap grown
/// page by page) is folded back into one large leaf. Tables that fall out of use go to a free
/// list.
pub struct PageTables {
    /// Host address of the system region.
    host: *mut u8,
    /// Guest-physical address of the system region.
    gpa_base: u64,
    /// Offset (in the system region) of the next never-used table.
    next: u64,
    /// End of the pool.
    end: u64,
    /// Offset of the PML4.
    pml4: u64,
    /// Offsets of tables no longer in use (zero-filled when they were freed).
    free: Vec<u64>,
    sizes: PageSizes,
}

/// Levels: 3 PML4 (512 GiB per entry), 2 PDPT (1 GiB), 1 PD (2 MiB), 0 PT (4 KiB).
fn entry_size(level: u32) -> u64 {
    1 << (12 + 9 * level)
}

impl PageTables {
    /// Uses `[pool_off, pool_end)` of the system region at host `host` / guest-physical
    /// `gpa_base` as the table pool; the PML4 is the pool's first page. Only 4 KiB leaves
    /// until `set_page_sizes`.
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
            free: Vec::new(),
            sizes: PageSizes::SMALL_ONLY,
        }
    }

    /// Which large leaves later changes may use (existing entries stay as they are).
    pub fn set_page_sizes(&mut self, sizes: PageSizes) {
        self.sizes = sizes;
    }

    /// The large leaves changes may use.
    pub fn page_sizes(&self) -> PageSizes {
        self.sizes
    }

    /// Guest-physical address of the PML4 (the CR3 value).
    pub fn cr3(&self) -> u64 {
        self.gpa_base + self.pml4
    }

    /// Tables in use (the PML4 included), for tests and diagnostics.
    pub fn tables_in_use(&self) -> u64 {
        (self.next - self.pml4) / 0x1000 - self.free.len() as u64
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

    /// A zero-filled table: a freed one, else a new one from the pool.
    fn alloc_table(&mut self) -> Result<u64, AccelError> {
        if let Some(t) = self.free.pop() {
            return Ok(t);
        }
        if self.next + 0x1000 > self.end {
            return Err(AccelError::PageTablesFull);
        }
        let t = self.next;
        self.next += 0x1000;
        Ok(t)
    }

    /// Zeroes `table` and every table below it (`level` is the table's own level) and puts
    /// them on the free list.
    fn free_table(&mut self, table: u64, level: u32) {
        for i in 0..512 {
            let e = self.entry(table, i);
            let v = self.read(e);
            if level > 0 && v & PTE_P != 0 && v & PTE_PS == 0 {
                let child = self.table_of(v);
                self.free_table(child, level - 1);
            }
            self.write(e, 0);
        }
        self.free.push(table);
    }

    fn table_of(&self, e: u64) -> u64 {
        (e & ADDR_MASK) - self.gpa_base
    }

    fn table_entry(&self, table: u64) -> u64 {
        (self.gpa_base + table) | PTE_P | PTE_RW | PTE_US
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
        let va = va & !0xfff;
        let end = va + len.div_ceil(0x1000) * 0x1000;
        let mut stale = Stale::None;
        if end > va {
            let delta = pa.wrapping_sub(va);
            let flags = rights.leaf_flags(user);
            self.map_in(self.pml4, 3, va, end, delta, flags, &mut stale)?;
        }
        Ok(stale)
    }

    /// `map` below the table `table` at `level`, for `[start, end)` inside its span:
    /// virtual `v` maps to `v + delta` with leaf `flags` (0: unmap).
    #[allow(clippy::too_many_arguments)]
    fn map_in(
        &mut self,
        table: u64,
        level: u32,
        start: u64,
        end: u64,
        delta: u64,
        flags: u64,
        stale: &mut Stale,
    ) -> Result<(), AccelError> {
        let size = entry_size(level);
        let mut va = start;
        while va < end {
            let idx = (va >> (12 + 9 * level)) & 511;
            let slot = va & !(size - 1);
            // The top PML4 entry's span ends at 2^64.
            let sub_end = slot.checked_add(size).map_or(end, |e| end.min(e));
            let p = self.entry(table, idx);
            let old = self.read(p);
            let covers = va == slot && sub_end - va == size;
            let pa = va.wrapping_add(delta);
            let is_table = level > 0 && old & PTE_P != 0 && old & PTE_PS == 0;
            if covers && self.sizes.leaf_at(level) && (level == 0 || pa & (size - 1) == 0) {
                // One leaf for the whole entry (or none), replacing what was there.
                let new = if flags == 0 {
                    0
                } else {
                    (pa & ADDR_MASK) | flags | if level > 0 { PTE_PS } else { 0 }
                };
                if is_table {
                    let child = self.table_of(old);
                    *stale = (*stale).max(self.subtree_loss(child, level - 1, slot, delta, flags));
                    self.free_table(child, level - 1);
                } else if old & PTE_P != 0 {
                    *stale = (*stale).max(loss(old, new));
                }
                self.write(p, new);
            } else if level == 0 {
                unreachable!("a 4 KiB entry is always covered whole");
            } else {
                let child = if is_table {
                    self.table_of(old)
                } else if old & PTE_P != 0 {
                    // A large leaf only partly changed: split it into the next size down.
                    let t = self.alloc_table()?;
                    let child_size = entry_size(level - 1);
                    let child_ps = if level - 1 > 0 { PTE_PS } else { 0 };
                    let base = old & ADDR_MASK & !(size - 1);
                    for i in 0..512 {
                        let e = self.entry(t, i);
                        self.write(e, (base + i * child_size) | (old & FLAG_MASK) | child_ps);
                    }
                    self.write(p, self.table_entry(t));
                    t
                } else if flags == 0 {
                    // Unmapping where nothing is mapped.
                    va = sub_end;
                    continue;
                } else {
                    let t = self.alloc_table()?;
                    self.write(p, self.table_entry(t));
                    t
                };
                self.map_in(child, level - 1, va, sub_end, delta, flags, stale)?;
                self.fold(p, child, level);
            }
            va = sub_end;
        }
        Ok(())
    }

    /// After a change below entry `p` (pointing at `child`, a table one level below `level`):
    /// frees an empty child, or folds a child whose entries map one aligned contiguous range
    /// with equal rights into one leaf where `level` may hold leaves.
    fn fold(&mut self, p: *mut u64, child: u64, level: u32) {
        let first = self.read(self.entry(child, 0));
        if first & PTE_P == 0 {
            if (0..512).all(|i| self.read(self.entry(child, i)) & PTE_P == 0) {
                self.write(p, 0);
                self.free_table(child, level - 1);
            }
            return;
        }
        if !self.sizes.leaf_at(level) {
            return;
        }
        let child_leaf = level - 1 == 0 || first & PTE_PS != 0;
        let base = first & ADDR_MASK;
        if !child_leaf || base & (entry_size(level) - 1) != 0 {
            return;
        }
        let child_size = entry_size(level - 1);
        let uniform = (1..512).all(|i| {
            let e = self.read(self.entry(child, i));
            e & PTE_P != 0
                && e & FLAG_MASK == first & FLAG_MASK
                && e & PTE_PS == first & PTE_PS
                && e & ADDR_MASK == base + i * child_size
        });
        if uniform {
            // Same translations and rights as before: nothing goes stale.
            self.write(p, base | (first & FLAG_MASK) | PTE_PS);
            self.free_table(child, level - 1);
        }
    }

    /// What replacing every leaf below `table` (at `level`, spanning from `va`) with leaves
    /// `v -> v + delta` of `flags` takes away.
    fn subtree_loss(&self, table: u64, level: u32, va: u64, delta: u64, flags: u64) -> Stale {
        let mut worst = Stale::None;
        for i in 0..512 {
            let e = self.read(self.entry(table, i));
            if e & PTE_P == 0 {
                continue;
            }
            let v = va + i * entry_size(level);
            if level > 0 && e & PTE_PS == 0 {
                let child = self.table_of(e);
                worst = worst.max(self.subtree_loss(child, level - 1, v, delta, flags));
            } else {
                let new = if flags == 0 {
                    0
                } else {
                    (v.wrapping_add(delta) & ADDR_MASK) | flags
                };
                worst = worst.max(loss(e & !PTE_PS, new));
            }
        }
        worst
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

    /// The leaf entry that maps `va` and the size of its page (`(0, 0)` if not mapped).
    pub fn lookup_sized(&self, va: u64) -> (u64, u64) {
        let mut table = self.pml4;
        for level in (0..4).rev() {
            let v = self.read(self.entry(table, (va >> (12 + 9 * level)) & 511));
            if v & PTE_P == 0 {
                return (0, 0);
            }
            if level == 0 || v & PTE_PS != 0 {
                return (v, entry_size(level));
            }
            table = self.table_of(v);
        }
        (0, 0)
    }

    /// The entry for the 4 KiB page at `va` as a 4 KiB leaf would be (0 if not mapped), for
    /// tests and diagnostics.
    pub fn lookup(&mut self, va: u64) -> u64 {
        let (e, size) = self.lookup_sized(va);
        if e == 0 {
            return 0;
        }
        let page = (e & ADDR_MASK & !(size - 1)) + (va & (size - 1) & !0xfff);
        page | (e & FLAG_MASK)
    }
}

/// How much a present leaf `old` loses when replaced by `new` (both in the 4 KiB format).
fn loss(old: u64, new: u64) -> Stale {
    if grants_at_least(new, old) {
        Stale::None
    } else if grants_at_least(new | PTE_NX, old | PTE_NX) {
        Stale::ExecOnly
    } else {
        Stale::Access
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

    const ALL: PageSizes = PageSizes {
        two_m: true,
        one_g: true,
    };
    const RW: Rights = Rights {
        read: true,
        write: true,
        exec: false,
    };
    const R: Rights = Rights {
        read: true,
        write: false,
        exec: false,
    };
    const RX: Rights = Rights {
        read: true,
        write: false,
        exec: true,
    };
    const K: u64 = 0x1000;
    const M: u64 = 2 << 20;
    const G: u64 = 1 << 30;

    fn huge_pool(sizes: PageSizes) -> (Vec<u64>, PageTables) {
        let (buf, mut pt) = pool();
        pt.set_page_sizes(sizes);
        (buf, pt)
    }

    /// Page size and rights bits (W, NX) of the leaf mapping `va`; checks that it maps `va`
    /// to itself.
    fn leaf(pt: &PageTables, va: u64) -> (u64, u64) {
        let (e, size) = pt.lookup_sized(va);
        assert_ne!(e, 0, "{va:#x} not mapped");
        assert_eq!(
            e & ADDR_MASK,
            va & !(size - 1),
            "{va:#x} not identity-mapped"
        );
        assert_eq!(e & PTE_PS != 0, size > K, "{va:#x}: PS bit vs size");
        (size, e & (PTE_RW | PTE_NX))
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

    #[test]
    fn ranges_split_into_1g_2m_and_4k_leaves() {
        let (_buf, mut pt) = huge_pool(ALL);
        // 4 KiB head, 2 MiB leaves up to 1 GiB, a 1 GiB leaf, 2 MiB leaves, a 4 KiB tail.
        let start = G - M - 3 * K;
        let end = 2 * G + 2 * M + 5 * K;
        pt.map(start, start, end - start, RW, true).unwrap();
        let rw = PTE_RW | PTE_NX;
        assert_eq!(leaf(&pt, start), (K, rw));
        assert_eq!(leaf(&pt, G - M - K), (K, rw));
        assert_eq!(leaf(&pt, G - M + 5 * K), (M, rw));
        assert_eq!(leaf(&pt, G + 12345 * K), (G, rw));
        assert_eq!(leaf(&pt, 2 * G + M + 7 * K), (M, rw));
        assert_eq!(leaf(&pt, end - K), (K, rw));
        assert_eq!(pt.lookup(start - K), 0);
        assert_eq!(pt.lookup(end), 0);
        // The 4 KiB view of a large leaf is that page's own entry.
        assert_eq!(pt.lookup(G + 5 * K) & ADDR_MASK, G + 5 * K);
        // Misaligned physical addresses get no large leaves.
        let (_buf2, mut pt2) = huge_pool(ALL);
        pt2.map(4 * G, 4 * G + K, 2 * M, RW, true).unwrap();
        assert_eq!(pt2.lookup_sized(4 * G).1, K);
        assert_eq!(pt2.lookup(4 * G) & ADDR_MASK, 4 * G + K);
    }

    #[test]
    fn page_sizes_limit_the_leaves() {
        let (_buf, mut pt) = huge_pool(PageSizes {
            two_m: true,
            one_g: false,
        });
        pt.map(G, G, G, RW, true).unwrap();
        assert_eq!(leaf(&pt, G + 3 * M).0, M);
        let (_buf, mut pt) = pool();
        pt.map(0, 0, 2 * M, RW, true).unwrap();
        assert_eq!(leaf(&pt, M + K).0, K);
    }

    #[test]
    fn rights_change_splits_large_leaves() {
        let (_buf, mut pt) = huge_pool(ALL);
        pt.map(G, G, G, RW, true).unwrap();
        assert_eq!(leaf(&pt, G).0, G);
        // Read-only for one page in the middle: 1 GiB -> 2 MiB leaves -> 4 KiB in one of them.
        let page = G + 5 * M + 3 * K;
        assert_eq!(pt.map(page, page, K, R, true).unwrap(), Stale::Access);
        assert_eq!(leaf(&pt, page), (K, PTE_NX));
        assert_eq!(leaf(&pt, page - K), (K, PTE_RW | PTE_NX));
        assert_eq!(leaf(&pt, page + K), (K, PTE_RW | PTE_NX));
        assert_eq!(leaf(&pt, G + 5 * M - K), (M, PTE_RW | PTE_NX));
        assert_eq!(leaf(&pt, G + 6 * M), (M, PTE_RW | PTE_NX));
        assert_eq!(leaf(&pt, 2 * G - K), (M, PTE_RW | PTE_NX));
        // Exec added to a whole 2 MiB: no rights lost, a 2 MiB leaf again.
        assert_eq!(
            pt.map(G + 8 * M, G + 8 * M, M, RX, true).unwrap(),
            Stale::Access
        );
        assert_eq!(leaf(&pt, G + 8 * M + K), (M, 0));
        let rwx = Rights {
            read: true,
            write: true,
            exec: true,
        };
        assert_eq!(
            pt.map(G + 8 * M, G + 8 * M, M, rwx, true).unwrap(),
            Stale::None
        );
        assert_eq!(leaf(&pt, G + 8 * M).0, M);
        // Losing only exec is reported as such.
        assert_eq!(
            pt.map(G + 8 * M, G + 8 * M, K, RW, true).unwrap(),
            Stale::ExecOnly
        );
        // Restoring the page's rights folds its table back into a 2 MiB leaf.
        pt.map(page, page, K, RW, true).unwrap();
        assert_eq!(leaf(&pt, page), (M, PTE_RW | PTE_NX));
    }

    #[test]
    fn unmap_splits_and_frees_tables() {
        let (_buf, mut pt) = huge_pool(ALL);
        let base = pt.tables_in_use();
        pt.map(G, G, G, RW, true).unwrap();
        // A PDPT holds the 1 GiB leaf.
        assert_eq!(pt.tables_in_use(), base + 1);
        assert_eq!(pt.unmap(G + M, K).unwrap(), Stale::Access);
        assert_eq!(pt.lookup(G + M), 0);
        assert_eq!(leaf(&pt, G + M + K).0, K);
        assert_eq!(leaf(&pt, G).0, M);
        assert_eq!(leaf(&pt, G + 2 * M).0, M);
        // Whole 2 MiB ranges go without tables.
        assert_eq!(pt.unmap(G + 4 * M, 2 * M).unwrap(), Stale::Access);
        assert_eq!(pt.lookup(G + 4 * M + 5 * K), 0);
        assert_eq!(leaf(&pt, G + 6 * M).0, M);
        // Unmapping everything frees every table below the PML4.
        pt.unmap(0, 4 * G).unwrap();
        assert_eq!(pt.lookup(G + M + K), 0);
        assert_eq!(pt.tables_in_use(), base);
        assert_eq!(pt.unmap(G, G).unwrap(), Stale::None);
        // Freed tables are reused, clean.
        pt.map(3 * G + K, 3 * G + K, K, R, true).unwrap();
        assert_eq!(pt.tables_in_use(), base + 3);
        assert_eq!(pt.lookup(3 * G), 0);
        assert_eq!(pt.lookup(3 * G + 2 * K), 0);
    }

    #[test]
    fn a_range_grown_page_by_page_folds_into_a_large_leaf() {
        let (_buf, mut pt) = huge_pool(ALL);
        // A heap growing in 132 KiB steps from an aligned start, as brk does.
        let start = 4 * M;
        let mut top = start;
        while top < start + 2 * M {
            let step = (33 * K).min(start + 2 * M - top);
            assert_eq!(pt.map(top, top, step, RW, true).unwrap(), Stale::None);
            top += step;
        }
        assert_eq!(leaf(&pt, start + 77 * K).0, M);
        // Halves with other rights keep a 2 MiB range split.
        let half = M / 2;
        pt.map(8 * M, 8 * M, half, RW, true).unwrap();
        pt.map(8 * M + half, 8 * M + half, half, R, true).unwrap();
        assert_eq!(leaf(&pt, 8 * M).0, K);
        // Supervisor pages do not fold with user pages.
        pt.map(10 * M, 10 * M, half, RW, true).unwrap();
        pt.map(10 * M + half, 10 * M + half, half, RW, false)
            .unwrap();
        assert_eq!(leaf(&pt, 10 * M).0, K);
        // Nor do pages that are not contiguous.
        pt.map(12 * M, 12 * M, half, RW, true).unwrap();
        pt.map(12 * M + half, 12 * M + half + K, half, RW, true)
            .unwrap();
        assert_eq!(leaf(&pt, 12 * M).0, K);
    }
}
