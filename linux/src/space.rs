//! The guest address space: the [`GuestMemory`] window plus the list of guest mappings (VMAs).
//!
//! ```text
//!  guest mmap/munmap/mprotect/mremap/brk ─► AddressSpace ─► host mmap/mprotect inside the window
//!                                              │
//!                                              └─► change log (MemEvent) ─► DBT invalidation,
//!                                                                          KVM page tables
//! ```
//!
//! Host protections inside the window always equal the guest's (read for `PROT_EXEC`, since
//! the DBT reads code as data), except for *code pages*: pages the DBT translated and asked to
//! write-protect. A guest store to one faults in the host; the DBT then calls
//! [`AddressSpace::unprotect_code_range`], which restores write access and logs
//! [`MemEvent::CodeWritten`]. Every checked accessor that writes guest memory (and every
//! syscall that lets the host kernel write into it) unprotects first, so the host never sees a
//! fault from a code page.
//!
//! Layout of a window of `2^bits` bytes (1 TiB for 64-bit guests, 4 GiB for 32-bit):
//! the program near the bottom (or at [`AddressSpace::pie_base`] for static PIE), the heap
//! (`brk`) right after it, the stack at the top, and `mmap` placing mappings top-down below
//! the stack.

use crate::mem::{GuestAddr, GuestMemory};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;

/// Host (and xarch) page size.
pub const PAGE_SIZE: u64 = 4096;
/// Size of the initial stack mapping.
pub const STACK_SIZE: u64 = 8 << 20;
/// Lowest address `mmap` hands out without MAP_FIXED (Linux's default `mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;

/// Rounds down to a page boundary.
pub fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

/// Rounds up to a page boundary (saturating at the top of the address range).
pub fn page_up(a: u64) -> u64 {
    a.checked_add(PAGE_SIZE - 1)
        .map_or(!(PAGE_SIZE - 1), page_down)
}

/// Guest memory protection, with Linux's `PROT_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Prot(pub u32);

impl Prot {
    pub const NONE: Prot = Prot(0);
    pub const READ: Prot = Prot(1);
    pub const WRITE: Prot = Prot(2);
    pub const EXEC: Prot = Prot(4);
    pub const RW: Prot = Prot(3);
    pub const RX: Prot = Prot(5);

    /// True if every bit of `other` is set here.
    pub fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }

    /// The host protection that implements this guest protection: executable pages must be
    /// readable by the host, which reads them to translate; the host never executes them.
    fn host(self) -> i32 {
        let mut p = 0;
        if self.0 & (1 | 4) != 0 {
            p |= libc::PROT_READ;
        }
        if self.0 & 2 != 0 {
            p |= libc::PROT_READ | libc::PROT_WRITE;
        }
        p
    }
}

impl std::ops::BitOr for Prot {
    type Output = Prot;
    fn bitor(self, o: Prot) -> Prot {
        Prot(self.0 | o.0)
    }
}

impl std::fmt::Display for Prot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = |bit: u32, ch: char| if self.0 & bit != 0 { ch } else { '-' };
        write!(f, "{}{}{}", c(1, 'r'), c(2, 'w'), c(4, 'x'))
    }
}

/// What backs a mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaKind {
    /// Anonymous private memory (also the ELF image and bss).
    Anon,
    /// Anonymous shared memory (shared with forked children).
    AnonShared,
    /// A file mapping; `shared` for MAP_SHARED.
    File { shared: bool },
    /// The heap grown by `brk`.
    Heap,
    /// The initial stack.
    Stack,
}

/// One guest mapping `[start, end)`, page aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub kind: VmaKind,
}

impl Vma {
    fn mergeable(&self, o: &Vma) -> bool {
        self.prot == o.prot && self.kind == o.kind && !matches!(self.kind, VmaKind::File { .. })
    }
}

/// A change to the guest address space, for the DBT (drop translations) and the KVM path
/// (update page tables). Ranges are page aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemEvent {
    Mapped {
        start: u64,
        len: u64,
        prot: Prot,
    },
    Unmapped {
        start: u64,
        len: u64,
    },
    Protected {
        start: u64,
        len: u64,
        prot: Prot,
    },
    /// A write-protected code page became writable again because the guest (or a syscall on
    /// its behalf) writes to it: translations of this page are stale.
    CodeWritten {
        start: u64,
        len: u64,
    },
}

/// A guest pointer that does not point to memory mapped with the needed protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("bad guest address")]
pub struct Efault;

/// Why a mapping call failed; [`MapError::errno`] is what the guest sees.
#[derive(Debug, Error)]
pub enum MapError {
    /// Misaligned address, zero length or bad flags (EINVAL).
    #[error("invalid argument")]
    Invalid,
    /// No room, or a range that is not (fully) mapped (ENOMEM).
    #[error("out of guest address space")]
    NoMemory,
    /// MAP_FIXED_NOREPLACE over an existing mapping (EEXIST).
    #[error("range already mapped")]
    Exists,
    /// The host refused (its errno is passed on).
    #[error("host: {0}")]
    Host(io::Error),
}

impl MapError {
    /// The errno for the guest.
    pub fn errno(&self) -> i32 {
        match self {
            MapError::Invalid => libc::EINVAL,
            MapError::NoMemory => libc::ENOMEM,
            MapError::Exists => libc::EEXIST,
            MapError::Host(e) => e.raw_os_error().unwrap_or(libc::ENOMEM),
        }
    }
}

/// How `mmap` should place and back a mapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct MapRequest {
    /// The guest's address argument (a hint unless `fixed`).
    pub addr: u64,
    pub len: u64,
    pub prot: Prot,
    /// MAP_FIXED: exactly at `addr`, replacing what is there.
    pub fixed: bool,
    /// MAP_FIXED_NOREPLACE: exactly at `addr`, EEXIST if anything is there.
    pub noreplace: bool,
    /// MAP_SHARED.
    pub shared: bool,
    /// A host file descriptor and offset, or None for anonymous memory.
    pub file: Option<(i32, u64)>,
}

/// The address space's bookkeeping, behind the lock of [`Shared`].
#[derive(Debug)]
struct Inner {
    /// A view of the window (the owner is [`Shared::mem`]).
    mem: GuestMemory,
    vmas: BTreeMap<u64, Vma>,
    code_pages: BTreeSet<u64>,
    events: Vec<MemEvent>,
    brk_start: u64,
    brk: u64,
    mmap_top: u64,
    stack_top: u64,
}

impl Inner {
    fn new(mem: GuestMemory) -> Inner {
        let size = mem.size();
        // Leave the top 64 KiB unmapped, like the kernel's guard gap below TASK_SIZE.
        let stack_top = size - 0x10000;
        let mmap_top = stack_top - STACK_SIZE - (size / 64).min(1 << 30);
        Inner {
            mem,
            vmas: BTreeMap::new(),
            code_pages: BTreeSet::new(),
            events: Vec::new(),
            brk_start: 0,
            brk: 0,
            mmap_top,
            stack_top,
        }
    }

    /// Top of the initial stack (exclusive).
    pub fn stack_top(&self) -> u64 {
        self.stack_top
    }

    /// Where a static-PIE (ET_DYN) program is loaded: about 2/3 up the window, 64 KiB aligned,
    /// like the kernel's ELF_ET_DYN_BASE.
    pub fn pie_base(&self) -> u64 {
        (self.mem.size() / 3 * 2) & !0xffff
    }

    /// All mappings in address order.
    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }

    /// The mapping that contains `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    /// True if every byte of `[addr, addr + len)` is mapped with at least `prot`.
    pub fn is_mapped(&self, addr: u64, len: u64, prot: Prot) -> bool {
        if len == 0 {
            return true;
        }
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let mut at = addr;
        while at < end {
            match self.find_vma(at) {
                Some(v) if v.prot.contains(prot) => at = v.end,
                _ => return false,
            }
        }
        true
    }

    // ---- checked guest accessors (for syscalls) -------------------------------------------

    /// Host pointer to `[addr, addr + len)` after checking that the guest mapped it with
    /// `prot`. With `Prot::WRITE` it also unprotects code pages in the range, so the host
    /// kernel may write there. Valid until the next change to the address space.
    pub fn host_ptr(&mut self, addr: u64, len: u64, prot: Prot) -> Result<*mut u8, Efault> {
        if !self.is_mapped(addr, len, prot) {
            return Err(Efault);
        }
        if prot.contains(Prot::WRITE) && len > 0 {
            self.unprotect_code_range(addr, len);
        }
        Ok(self.mem.host(GuestAddr(addr)))
    }

    /// Instruction fetch: fills `buf` from `addr`; false unless every byte is mapped
    /// executable.
    pub fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        if !self.is_mapped(addr, buf.len() as u64, Prot::EXEC) {
            return false;
        }
        // SAFETY: the range is mapped executable, hence host-readable, inside the window.
        let src = unsafe { std::slice::from_raw_parts(self.mem.host(GuestAddr(addr)), buf.len()) };
        buf.copy_from_slice(src);
        true
    }

    // ---- code page protection (DBT) --------------------------------------------------------

    /// Removes host write access from the page at `page` (page aligned) because the DBT
    /// translated code there; the guest's VMA keeps its protection. Returns true if the page
    /// is now protected (false if it is unmapped or not writable anyway).
    pub fn protect_code_page(&mut self, page: u64) -> bool {
        let page = page_down(page);
        let Some(v) = self.find_vma(page).copied() else {
            return false;
        };
        if !v.prot.contains(Prot::WRITE) {
            return false;
        }
        if self.code_pages.contains(&page) {
            return true;
        }
        let host = Prot(v.prot.0 & !Prot::WRITE.0).host() | libc::PROT_READ;
        // Marked before the host protection changes: a write that faults on it must find
        // the mark (the fault handler of another guest thread may see it at once).
        self.mem.set_code_page(page, true);
        if self.host_mprotect(page, PAGE_SIZE, host).is_err() {
            self.mem.set_code_page(page, false);
            return false;
        }
        self.code_pages.insert(page);
        true
    }

    /// True if `page` is write-protected as a code page.
    pub fn is_code_page(&self, page: u64) -> bool {
        self.code_pages.contains(&page_down(page))
    }

    /// Restores host write access on the code pages in `[addr, addr + len)` and logs
    /// [`MemEvent::CodeWritten`] for each. Returns how many pages were unprotected.
    pub fn unprotect_code_range(&mut self, addr: u64, len: u64) -> usize {
        let start = page_down(addr);
        let end = page_up(addr.saturating_add(len));
        let pages: Vec<u64> = self.code_pages.range(start..end).copied().collect();
        for &p in &pages {
            self.code_pages.remove(&p);
            if let Some(v) = self.find_vma(p).copied() {
                let _ = self.host_mprotect(p, PAGE_SIZE, v.prot.host());
            }
            self.mem.set_code_page(p, false);
            self.events.push(MemEvent::CodeWritten {
                start: p,
                len: PAGE_SIZE,
            });
        }
        pages.len()
    }

    /// Forgets code-page protection in a range whose host mapping is being replaced.
    fn drop_code_pages(&mut self, start: u64, end: u64) {
        let pages: Vec<u64> = self.code_pages.range(start..end).copied().collect();
        for p in pages {
            self.code_pages.remove(&p);
            self.mem.set_code_page(p, false);
        }
    }

    // ---- mmap family ----------------------------------------------------------------------

    /// Guest `mmap`: returns the guest address of the new mapping.
    pub fn mmap(&mut self, req: MapRequest) -> Result<u64, MapError> {
        if req.len == 0 || req.prot.0 & !7 != 0 {
            return Err(MapError::Invalid);
        }
        let len = page_up(req.len);
        if len == 0 || len > self.mem.size() {
            return Err(MapError::NoMemory);
        }
        if let Some((_, off)) = req.file
            && off % PAGE_SIZE != 0
        {
            return Err(MapError::Invalid);
        }
        let start = if req.fixed || req.noreplace {
            if !req.addr.is_multiple_of(PAGE_SIZE) {
                return Err(MapError::Invalid);
            }
            if !self.in_window(req.addr, len) {
                return Err(MapError::NoMemory);
            }
            if req.noreplace && self.overlaps(req.addr, req.addr + len) {
                return Err(MapError::Exists);
            }
            req.addr
        } else {
            let hint = page_down(req.addr);
            if hint >= MMAP_MIN_ADDR
                && self.in_window(hint, len)
                && !self.overlaps(hint, hint + len)
            {
                hint
            } else {
                self.find_free(len).ok_or(MapError::NoMemory)?
            }
        };
        let kind = match (req.file, req.shared) {
            (Some(_), shared) => VmaKind::File { shared },
            (None, true) => VmaKind::AnonShared,
            (None, false) => VmaKind::Anon,
        };
        self.map_at(start, len, req.prot, kind, req.file)?;
        Ok(start)
    }

    /// Maps `[start, start + len)` (page aligned, inside the window), replacing anything
    /// there, and records it.
    fn map_at(
        &mut self,
        start: u64,
        len: u64,
        prot: Prot,
        kind: VmaKind,
        file: Option<(i32, u64)>,
    ) -> Result<(), MapError> {
        let end = start + len;
        let host = self.mem.host(GuestAddr(start));
        let shared = matches!(kind, VmaKind::AnonShared | VmaKind::File { shared: true });
        let flags = libc::MAP_FIXED
            | if shared {
                libc::MAP_SHARED
            } else {
                libc::MAP_PRIVATE
            };
        let (flags, fd, off) = match file {
            Some((fd, off)) => (flags, fd, off as libc::off_t),
            None => (flags | libc::MAP_ANONYMOUS, -1, 0),
        };
        // SAFETY: `[host, host + len)` lies inside the reservation owned by `self.mem`
        // (checked by the callers through `in_window`); MAP_FIXED replaces only our own pages.
        let p = unsafe { libc::mmap(host.cast(), len as usize, prot.host(), flags, fd, off) };
        if p == libc::MAP_FAILED {
            return Err(MapError::Host(io::Error::last_os_error()));
        }
        let removed = self.carve(start, end);
        self.drop_code_pages(start, end);
        for r in removed {
            self.events.push(MemEvent::Unmapped {
                start: r.start,
                len: r.end - r.start,
            });
        }
        self.insert(Vma {
            start,
            end,
            prot,
            kind,
        });
        self.events.push(MemEvent::Mapped { start, len, prot });
        Ok(())
    }

    /// Guest `munmap`.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<(), MapError> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(MapError::Invalid);
        }
        let end = addr.saturating_add(page_up(len)).min(self.mem.size());
        if addr >= end {
            return Ok(());
        }
        self.unmap_range(addr, end).map_err(MapError::Host)
    }

    fn unmap_range(&mut self, start: u64, end: u64) -> io::Result<()> {
        let removed = self.carve(start, end);
        self.drop_code_pages(start, end);
        for r in &removed {
            self.host_reserve(r.start, r.end - r.start)?;
            self.events.push(MemEvent::Unmapped {
                start: r.start,
                len: r.end - r.start,
            });
        }
        Ok(())
    }

    /// Guest `mprotect`: the whole range must be mapped (else ENOMEM, as Linux).
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MapError> {
        if !addr.is_multiple_of(PAGE_SIZE) || prot.0 & !7 != 0 {
            return Err(MapError::Invalid);
        }
        let len = page_up(len);
        if len == 0 {
            return Ok(());
        }
        if !self.is_mapped(addr, len, Prot::NONE) {
            return Err(MapError::NoMemory);
        }
        let end = addr + len;
        self.host_mprotect(addr, len, prot.host())
            .map_err(MapError::Host)?;
        let pieces = self.carve(addr, end);
        self.drop_code_pages(addr, end);
        for mut p in pieces {
            p.prot = prot;
            self.insert(p);
        }
        self.events.push(MemEvent::Protected {
            start: addr,
            len,
            prot,
        });
        Ok(())
    }

    /// Guest `mremap`. `may_move` is MREMAP_MAYMOVE; `fixed` (MREMAP_FIXED) moves to
    /// `new_addr`.
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed: Option<u64>,
    ) -> Result<u64, MapError> {
        if !old.is_multiple_of(PAGE_SIZE) || new_len == 0 || (fixed.is_some() && !may_move) {
            return Err(MapError::Invalid);
        }
        let old_len = page_up(old_len);
        let new_len = page_up(new_len);
        // old_len == 0 duplicates a shared mapping: not supported.
        if old_len == 0 {
            return Err(MapError::Invalid);
        }
        let Some(v) = self.find_vma(old).copied() else {
            return Err(MapError::NoMemory);
        };
        if old + old_len > v.end {
            // The range must lie in one mapping (Linux: EFAULT).
            return Err(MapError::NoMemory);
        }
        // The host moves or grows only a range with one protection: code pages in it lose
        // their write protection (their translations are stale once the range moves anyway).
        self.unprotect_code_range(old, old_len);
        if fixed.is_none() && new_len <= old_len {
            if new_len < old_len {
                self.unmap_range(old + new_len, old + old_len)
                    .map_err(MapError::Host)?;
            }
            return Ok(old);
        }
        // Grow in place if the pages after the mapping are free.
        if fixed.is_none()
            && self.in_window(old, new_len)
            && !self.overlaps(old + old_len, old + new_len)
        {
            let extra_host = self.mem.host(GuestAddr(old + old_len));
            // SAFETY: the range after the mapping is our own PROT_NONE reservation; removing
            // it lets the host extend the mapping in place (re-reserved below on failure).
            unsafe { libc::munmap(extra_host.cast(), (new_len - old_len) as usize) };
            // SAFETY: grows our own mapping in place (no MREMAP_MAYMOVE), into the hole above.
            let p = unsafe {
                libc::mremap(
                    self.mem.host(GuestAddr(old)).cast(),
                    old_len as usize,
                    new_len as usize,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                self.insert(Vma {
                    start: old + old_len,
                    end: old + new_len,
                    ..v
                });
                self.events.push(MemEvent::Mapped {
                    start: old + old_len,
                    len: new_len - old_len,
                    prot: v.prot,
                });
                return Ok(old);
            }
            self.host_reserve(old + old_len, new_len - old_len)
                .map_err(MapError::Host)?;
        }
        if !may_move {
            return Err(MapError::NoMemory);
        }
        let dest = match fixed {
            Some(a) => {
                if a % PAGE_SIZE != 0
                    || !self.in_window(a, new_len)
                    || (a < old + old_len && old < a + new_len)
                {
                    return Err(MapError::Invalid);
                }
                self.unmap_range(a, a + new_len).map_err(MapError::Host)?;
                a
            }
            None => self.find_free(new_len).ok_or(MapError::NoMemory)?,
        };
        // SAFETY: moves our own mapping to `dest`, which is inside the window and holds only
        // our reservation (MREMAP_FIXED replaces it); the old range is re-reserved below.
        let p = unsafe {
            libc::mremap(
                self.mem.host(GuestAddr(old)).cast(),
                old_len as usize,
                new_len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                self.mem.host(GuestAddr(dest)),
            )
        };
        if p == libc::MAP_FAILED {
            return Err(MapError::Host(io::Error::last_os_error()));
        }
        self.host_reserve(old, old_len).map_err(MapError::Host)?;
        self.carve(old, old + old_len);
        self.drop_code_pages(old, old + old_len);
        self.events.push(MemEvent::Unmapped {
            start: old,
            len: old_len,
        });
        self.insert(Vma {
            start: dest,
            end: dest + new_len,
            ..v
        });
        self.events.push(MemEvent::Mapped {
            start: dest,
            len: new_len,
            prot: v.prot,
        });
        Ok(dest)
    }

    // ---- brk ------------------------------------------------------------------------------

    /// Sets where the heap starts (the loader calls this with the end of the program image).
    pub fn set_brk_start(&mut self, start: u64) {
        self.brk_start = start;
        self.brk = start;
    }

    /// The current program break.
    pub fn brk_current(&self) -> u64 {
        self.brk
    }

    /// Guest `brk`: moves the break if possible and returns the (new or unchanged) break, as
    /// the raw Linux syscall does.
    pub fn brk(&mut self, new: u64) -> u64 {
        if new < self.brk_start {
            return self.brk;
        }
        let cur_top = page_up(self.brk);
        let new_top = page_up(new);
        if new_top > cur_top {
            if !self.in_window(cur_top, new_top - cur_top)
                || self.overlaps(cur_top, new_top)
                || new_top > self.mmap_top
            {
                return self.brk;
            }
            if self
                .map_at(cur_top, new_top - cur_top, Prot::RW, VmaKind::Heap, None)
                .is_err()
            {
                return self.brk;
            }
        } else if new_top < cur_top && self.unmap_range(new_top, cur_top).is_err() {
            return self.brk;
        }
        self.brk = new;
        self.brk
    }

    /// Maps the initial stack `[stack_top - STACK_SIZE, stack_top)` read-write.
    pub fn map_stack(&mut self) -> Result<(), MapError> {
        self.map_at(
            self.stack_top - STACK_SIZE,
            STACK_SIZE,
            Prot::RW,
            VmaKind::Stack,
            None,
        )
    }

    /// Maps anonymous memory exactly at `[start, start + len)` (page aligned), for the loader.
    pub fn map_fixed(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), MapError> {
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(MapError::Invalid);
        }
        if !self.in_window(start, len) {
            return Err(MapError::NoMemory);
        }
        self.map_at(start, len, prot, VmaKind::Anon, None)
    }

    // ---- internals ------------------------------------------------------------------------

    fn in_window(&self, start: u64, len: u64) -> bool {
        start.checked_add(len).is_some_and(|e| e <= self.mem.size())
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    /// Highest free gap of `len` bytes below the mmap top.
    fn find_free(&self, len: u64) -> Option<u64> {
        let mut end = self.mmap_top;
        for v in self.vmas.range(..self.mmap_top).rev().map(|(_, v)| v) {
            if v.end <= end && end - v.end >= len {
                return Some(end - len);
            }
            end = end.min(v.start);
        }
        (end >= MMAP_MIN_ADDR + len).then(|| end - len)
    }

    /// Removes the parts of all mappings inside `[start, end)`, splitting those that straddle
    /// its ends; returns the removed parts.
    fn carve(&mut self, start: u64, end: u64) -> Vec<Vma> {
        let keys: Vec<u64> = self
            .vmas
            .range(..end)
            .rev()
            .take_while(|(_, v)| v.end > start)
            .map(|(&k, _)| k)
            .collect();
        let mut removed = Vec::new();
        for k in keys.into_iter().rev() {
            let v = self.vmas.remove(&k).expect("key just listed");
            if v.start < start {
                self.vmas.insert(v.start, Vma { end: start, ..v });
            }
            if v.end > end {
                self.vmas.insert(end, Vma { start: end, ..v });
            }
            removed.push(Vma {
                start: v.start.max(start),
                end: v.end.min(end),
                ..v
            });
        }
        removed
    }

    /// Inserts a mapping into a free range and merges it with compatible neighbours.
    fn insert(&mut self, mut v: Vma) {
        if let Some((&k, prev)) = self.vmas.range(..v.start).next_back()
            && prev.end == v.start
            && prev.mergeable(&v)
        {
            v.start = k;
            self.vmas.remove(&k);
        }
        if let Some(next) = self.vmas.get(&v.end).copied()
            && next.mergeable(&v)
        {
            self.vmas.remove(&next.start);
            v.end = next.end;
        }
        self.vmas.insert(v.start, v);
    }

    fn host_reserve(&self, start: u64, len: u64) -> io::Result<()> {
        // SAFETY: replaces our own pages inside the window with a fresh PROT_NONE reservation.
        let p = unsafe {
            libc::mmap(
                self.mem.host(GuestAddr(start)).cast(),
                len as usize,
                libc::PROT_NONE,
                libc::MAP_FIXED | libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    fn host_mprotect(&self, start: u64, len: u64, host_prot: i32) -> io::Result<()> {
        // SAFETY: changes protection of our own pages inside the window only.
        let r = unsafe {
            libc::mprotect(
                self.mem.host(GuestAddr(start)).cast(),
                len as usize,
                host_prot,
            )
        };
        if r != 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }
}

/// What every handle of one address space shares: the window and the locked bookkeeping.
#[derive(Debug)]
struct Shared {
    /// The owner of the window (the bookkeeping holds a view of it).
    mem: GuestMemory,
    inner: Mutex<Inner>,
    /// Each handle's change log, by handle id: a change made through any handle is logged
    /// for all of them (every guest thread's engine drops its own translations).
    logs: Mutex<HashMap<u64, Vec<MemEvent>>>,
    next_id: AtomicU64,
    /// A `fn()` called after a change was logged for other handles (0: none); see
    /// [`AddressSpace::set_change_hook`].
    hook: AtomicUsize,
}

/// The guest address space (see the module header): one handle per guest thread
/// ([`AddressSpace::share`]), all naming the same window and mappings. Each call locks the
/// bookkeeping only for its own duration, so a guest thread blocked in a syscall holds no
/// lock; pointers returned into the window stay valid until the guest changes the mapping.
#[derive(Debug)]
pub struct AddressSpace {
    shared: Arc<Shared>,
    id: u64,
}

impl AddressSpace {
    /// An empty address space in a window of `2^bits` bytes.
    pub fn new(bits: u32) -> io::Result<AddressSpace> {
        if !(24..=46).contains(&bits) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("guest window of 2^{bits} bytes"),
            ));
        }
        let mem = GuestMemory::reserve(bits)?;
        let inner = Inner::new(mem.view());
        Ok(AddressSpace {
            shared: Arc::new(Shared {
                mem,
                inner: Mutex::new(inner),
                logs: Mutex::new(HashMap::from([(0, Vec::new())])),
                next_id: AtomicU64::new(1),
                hook: AtomicUsize::new(0),
            }),
            id: 0,
        })
    }

    /// The default window for a guest: 1 TiB for 64-bit guests, 4 GiB for 32-bit ones.
    pub fn for_abi(abi: &crate::abi::Abi) -> io::Result<AddressSpace> {
        AddressSpace::new(if abi.is_64bit { 40 } else { 32 })
    }

    /// Another handle on the same address space (for a new guest thread), with its own
    /// change log that starts empty.
    pub fn share(&self) -> AddressSpace {
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.shared.logs).insert(id, Vec::new());
        AddressSpace {
            shared: self.shared.clone(),
            id,
        }
    }

    /// Sets a function called after a change was logged for the other handles (the DBT asks
    /// every guest thread's engine to look at its log). It must not use this address space.
    pub fn set_change_hook(&self, hook: fn()) {
        self.shared.hook.store(hook as usize, Ordering::SeqCst);
    }

    /// Runs `f` on the locked bookkeeping, then hands the changes it logged to every handle.
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut others = false;
        let r = {
            let mut inner = lock(&self.shared.inner);
            let r = f(&mut inner);
            if !inner.events.is_empty() {
                // Still under the bookkeeping's lock, so that every log holds the changes in
                // the order they were made (the KVM path's page tables follow that order).
                for (id, log) in lock(&self.shared.logs).iter_mut() {
                    log.extend_from_slice(&inner.events);
                    others |= *id != self.id;
                }
                inner.events.clear();
            }
            r
        };
        let hook = self.shared.hook.load(Ordering::SeqCst);
        if others && hook != 0 {
            // SAFETY: `hook` only ever holds a `fn()` stored by `set_change_hook`.
            let f: fn() = unsafe { std::mem::transmute::<usize, fn()>(hook) };
            f();
        }
        r
    }

    /// The host reservation (base, mask) that lifted code and the KVM path use.
    pub fn mem(&self) -> &GuestMemory {
        &self.shared.mem
    }

    /// Top of the initial stack (exclusive).
    pub fn stack_top(&self) -> u64 {
        self.with(|i| i.stack_top())
    }

    /// Where a static-PIE (ET_DYN) program is loaded: about 2/3 up the window, 64 KiB aligned,
    /// like the kernel's ELF_ET_DYN_BASE.
    pub fn pie_base(&self) -> u64 {
        self.with(|i| i.pie_base())
    }

    /// All mappings in address order (a snapshot).
    pub fn vmas(&self) -> impl Iterator<Item = Vma> + use<> {
        self.with(|i| i.vmas().copied().collect::<Vec<_>>())
            .into_iter()
    }

    /// The mapping that contains `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<Vma> {
        self.with(|i| i.find_vma(addr).copied())
    }

    /// True if every byte of `[addr, addr + len)` is mapped with at least `prot`.
    pub fn is_mapped(&self, addr: u64, len: u64, prot: Prot) -> bool {
        self.with(|i| i.is_mapped(addr, len, prot))
    }

    /// Drains this handle's change log.
    pub fn take_events(&mut self) -> Vec<MemEvent> {
        lock(&self.shared.logs)
            .get_mut(&self.id)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Host pointer to `[addr, addr + len)` after checking that the guest mapped it with
    /// `prot`. With `Prot::WRITE` it also unprotects code pages in the range, so the host
    /// kernel may write there. Valid until the next change to the address space.
    pub fn host_ptr(&mut self, addr: u64, len: u64, prot: Prot) -> Result<*mut u8, Efault> {
        self.with(|i| i.host_ptr(addr, len, prot))
    }

    /// The guest bytes `[addr, addr + len)` as a host slice, checked like [`Self::host_ptr`].
    pub fn host_slice(&mut self, addr: u64, len: u64, prot: Prot) -> Result<&mut [u8], Efault> {
        if len == 0 {
            return Ok(&mut []);
        }
        let p = self.host_ptr(addr, len, prot)?;
        // SAFETY: `host_ptr` checked that the whole range lies in guest mappings, which are
        // host mappings inside the window with at least the host protection asked for (code
        // pages were just unprotected for writes). Another guest thread may unmap them
        // meanwhile, as under Linux; a racing guest then faults in the host.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len as usize) })
    }

    /// Copies guest memory at `addr` into `buf`.
    pub fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), Efault> {
        let s = self.host_slice(addr, buf.len() as u64, Prot::READ)?;
        buf.copy_from_slice(s);
        Ok(())
    }

    /// Copies `data` into guest memory at `addr`. The copy runs under the bookkeeping's lock,
    /// so another guest thread cannot write-protect a code page in the range between the
    /// unprotection and the copy (which would fault in xarch itself).
    pub fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Efault> {
        if data.is_empty() {
            return Ok(());
        }
        self.with_host_ptr(addr, data.len() as u64, Prot::WRITE, |p| {
            // SAFETY: `with_host_ptr` checked that `[addr, addr + len)` is mapped with host
            // write access (code pages unprotected) and holds the lock that any change to
            // that needs; `data` is a separate host buffer.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) }
        })
    }

    /// Runs `f` on the host pointer to `[addr, addr + len)`, checked like [`Self::host_ptr`],
    /// while the bookkeeping stays locked: no other guest thread can unmap or write-protect
    /// the range before `f` returns. `f` must be short and must not use the address space.
    pub fn with_host_ptr<R>(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        f: impl FnOnce(*mut u8) -> R,
    ) -> Result<R, Efault> {
        self.with(|i| i.host_ptr(addr, len, prot).map(f))
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstr(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, Efault> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let chunk = (PAGE_SIZE - at % PAGE_SIZE).min((max + 1 - out.len()) as u64);
            let s = self.host_slice(at, chunk, Prot::READ)?;
            if let Some(n) = s.iter().position(|&b| b == 0) {
                out.extend_from_slice(&s[..n]);
                return Ok(out);
            }
            out.extend_from_slice(s);
            if out.len() > max {
                return Err(Efault);
            }
            at += chunk;
        }
    }

    /// Instruction fetch: fills `buf` from `addr`; false unless every byte is mapped
    /// executable.
    pub fn read_code(&self, addr: u64, buf: &mut [u8]) -> bool {
        self.with(|i| i.read_code(addr, buf))
    }

    /// Removes host write access from the page at `page` (page aligned) because the DBT
    /// translated code there; the guest's VMA keeps its protection. Returns true if the page
    /// is now protected (false if it is unmapped or not writable anyway).
    pub fn protect_code_page(&mut self, page: u64) -> bool {
        self.with(|i| i.protect_code_page(page))
    }

    /// True if `page` is write-protected as a code page.
    pub fn is_code_page(&self, page: u64) -> bool {
        self.with(|i| i.is_code_page(page))
    }

    /// Restores host write access on the code pages in `[addr, addr + len)` and logs
    /// [`MemEvent::CodeWritten`] for each. Returns how many pages were unprotected.
    pub fn unprotect_code_range(&mut self, addr: u64, len: u64) -> usize {
        self.with(|i| i.unprotect_code_range(addr, len))
    }

    /// Guest `mmap`: returns the guest address of the new mapping.
    pub fn mmap(&mut self, req: MapRequest) -> Result<u64, MapError> {
        self.with(|i| i.mmap(req))
    }

    /// Guest `munmap`.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<(), MapError> {
        self.with(|i| i.munmap(addr, len))
    }

    /// Guest `mprotect`.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<(), MapError> {
        self.with(|i| i.mprotect(addr, len, prot))
    }

    /// Guest `mremap` (see the bookkeeping's rules).
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed: Option<u64>,
    ) -> Result<u64, MapError> {
        self.with(|i| i.mremap(old, old_len, new_len, may_move, fixed))
    }

    /// Sets where the heap starts (end of the loaded program, page aligned up).
    pub fn set_brk_start(&mut self, start: u64) {
        self.with(|i| i.set_brk_start(start))
    }

    /// The current program break.
    pub fn brk_current(&self) -> u64 {
        self.with(|i| i.brk_current())
    }

    /// Guest `brk`.
    pub fn brk(&mut self, new: u64) -> u64 {
        self.with(|i| i.brk(new))
    }

    /// Maps the initial stack below [`Self::stack_top`].
    pub fn map_stack(&mut self) -> Result<(), MapError> {
        self.with(|i| i.map_stack())
    }

    /// Maps anonymous memory at exactly `[start, start + len)`.
    pub fn map_fixed(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), MapError> {
        self.with(|i| i.map_fixed(start, len, prot))
    }

    /// Locks the bookkeeping until the guard drops: held across a host `fork`, so that the
    /// child does not inherit it locked by another guest thread.
    pub fn lock_for_fork(&self) -> ForkLock<'_> {
        ForkLock {
            _inner: lock(&self.shared.inner),
            _logs: lock(&self.shared.logs),
        }
    }
}

/// The locks of [`AddressSpace::lock_for_fork`], held until dropped.
pub struct ForkLock<'a> {
    _inner: MutexGuard<'a, Inner>,
    _logs: MutexGuard<'a, HashMap<u64, Vec<MemEvent>>>,
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        lock(&self.shared.logs).remove(&self.id);
    }
}

/// Locks a mutex; a thread that panicked while holding it left plain data behind, usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
