//! Guest memory: one host reservation that holds the whole guest address space.
//!
//! A guest address `a` lives at host `base + (a & mask)`. Lifted code computes exactly that,
//! so a guest can reach only its own window, whatever address it forms.

use std::io;

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
#[derive(Debug)]
pub struct GuestMemory {
    base: *mut u8,
    size: u64,
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
        Ok(GuestMemory {
            base: p.cast::<u8>().wrapping_add(head),
            size,
        })
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
        // SAFETY: unmaps exactly the reservation (window and guard) made in `reserve`; no references into it
        // outlive `self` (all accesses go through raw pointers tied to the engine's run).
        unsafe {
            libc::munmap(self.base.cast(), self.span() as usize);
        }
    }
}
