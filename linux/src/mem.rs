//! Guest memory: one host reservation that holds the whole guest address space.
//!
//! A guest address `a` lives at host `base + (a & mask)`. Lifted code computes exactly that,
//! so a guest can reach only its own window, whatever address it forms.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};

/// A guest virtual address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GuestAddr(pub u64);

/// Inaccessible bytes reserved after the window. A guest access is masked to start inside the
/// window but may run up to 15 bytes past its last byte (a 16-byte vector load at the top);
/// the guard makes that a fault in the reservation instead of a touch of host memory.
pub const GUARD_BYTES: u64 = 64 * 1024;

/// Alignment of the window's host base (a host huge page).
const HUGE_ALIGN: usize = 2 << 20;

/// The host reservation behind a guest address space.
///
/// It also holds one bit per guest page that marks the pages the DBT write-protected because
/// it translated code there ([`GuestMemory::is_code_page`]): the engines of every guest
/// thread and their host fault handler read it without a lock, the address space sets and
/// clears it around the host `mprotect`s.
#[derive(Debug)]
pub struct GuestMemory {
    base: *mut u8,
    size: u64,
    /// One bit per guest page (a MAP_NORESERVE mapping: costs memory only where touched).
    code_bits: *mut AtomicU64,
    /// False for a [`GuestMemory::view`]: the mappings belong to another value.
    owned: bool,
}

// SAFETY: the reservation is plain memory owned by this value; sharing its address between
// threads is as safe as sharing any raw allocation whose accesses the callers synchronise.
unsafe impl Send for GuestMemory {}
// SAFETY: as above.
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    /// Reserves `1 << bits` bytes of address space (plus [`GUARD_BYTES`]), inaccessible until
    /// mapped by the address space (PROT_NONE, MAP_NORESERVE: costs no memory until touched).
    pub fn reserve(bits: u32) -> io::Result<GuestMemory> {
        assert!((20..=46).contains(&bits), "guest window of 2^{bits} bytes");
        let size = 1u64 << bits;
        let span = (size + GUARD_BYTES) as usize;
        // SAFETY: an anonymous PROT_NONE mapping at an address of the kernel's choosing does
        // not alias any Rust object.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                span + HUGE_ALIGN,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // Keep a 2 MiB-aligned span and give back the rest, so that 2 MiB-aligned guest
        // ranges sit on 2 MiB-aligned host ranges (host huge pages; the KVM path needs it).
        let head = (p as usize).next_multiple_of(HUGE_ALIGN) - p as usize;
        // SAFETY: both pieces lie inside the mapping just made and nothing refers to them.
        unsafe {
            if head > 0 {
                libc::munmap(p, head);
            }
            libc::munmap(p.cast::<u8>().add(head + span).cast(), HUGE_ALIGN - head);
        }
        let bits_len = Self::code_bits_len(size);
        // SAFETY: an anonymous read-write mapping at an address of the kernel's choosing; it
        // reads as zeros (no code page) until set.
        let b = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bits_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if b == libc::MAP_FAILED {
            let e = io::Error::last_os_error();
            // SAFETY: unmaps the window reserved above, which nothing refers to yet.
            unsafe { libc::munmap(p.cast::<u8>().add(head).cast(), span) };
            return Err(e);
        }
        Ok(GuestMemory {
            base: p.cast::<u8>().wrapping_add(head),
            size,
            code_bits: b.cast(),
            owned: true,
        })
    }

    /// Bytes of the code-page bitmap of a window of `size` bytes (whole words).
    fn code_bits_len(size: u64) -> usize {
        ((size / 4096).div_ceil(64) * 8) as usize
    }

    /// A second value naming the same reservation that does not own it (its drop unmaps
    /// nothing). The owner must outlive every view.
    pub(crate) fn view(&self) -> GuestMemory {
        GuestMemory {
            base: self.base,
            size: self.size,
            code_bits: self.code_bits,
            owned: false,
        }
    }

    /// The bitmap word and bit of guest page `page` (any address in the page).
    fn code_bit(&self, page: u64) -> (&AtomicU64, u64) {
        let n = (page & self.mask()) / 4096;
        // SAFETY: `n / 64` is below the bitmap's word count (the page is masked into the
        // window); the mapping lives as long as the owner of `self`.
        let w = unsafe { &*self.code_bits.add((n / 64) as usize) };
        (w, 1u64 << (n % 64))
    }

    /// True if the page holding guest address `page` is write-protected because translated
    /// code lives there. Lock-free: the host fault handler calls it.
    pub fn is_code_page(&self, page: u64) -> bool {
        let (w, bit) = self.code_bit(page);
        w.load(Ordering::SeqCst) & bit != 0
    }

    /// Marks or unmarks the page at `page` as a write-protected code page.
    pub(crate) fn set_code_page(&self, page: u64, on: bool) {
        let (w, bit) = self.code_bit(page);
        if on {
            w.fetch_or(bit, Ordering::SeqCst);
        } else {
            w.fetch_and(!bit, Ordering::SeqCst);
        }
    }

    /// Host address of guest address 0.
    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// The mask applied to every guest address (`size - 1`).
    pub fn mask(&self) -> u64 {
        self.size - 1
    }

    /// Size of the window in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes of host address space the reservation covers: the window and its guard. A host
    /// fault in this span is a guest fault.
    pub fn span(&self) -> u64 {
        self.size + GUARD_BYTES
    }

    /// Host address of a guest address (masked into the window). Dereferencing it is valid
    /// only where the address space has mapped that page.
    pub fn host(&self, a: GuestAddr) -> *mut u8 {
        self.base.wrapping_add((a.0 & self.mask()) as usize)
    }

    /// True if `[host, host + len)` lies inside the window (for the SIGSEGV handler).
    pub fn contains_host(&self, host: usize, len: usize) -> bool {
        let b = self.base as usize;
        host >= b
            && host
                .checked_add(len)
                .is_some_and(|e| e <= b + self.size as usize)
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        // SAFETY: unmaps exactly the reservation (window and guard) made in `reserve`; no references into it
        // outlive `self` (all accesses go through raw pointers tied to the engine's run).
        unsafe {
            libc::munmap(self.base.cast(), self.span() as usize);
            libc::munmap(self.code_bits.cast(), Self::code_bits_len(self.size));
        }
    }
}
