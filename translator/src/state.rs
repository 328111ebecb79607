//! Guest CPU state as the engine sees it: a byte buffer. Each frontend defines a `#[repr(C)]`
//! struct for its registers; [`StateBytes`] converts between the two, once for every arch.

/// A frontend's `#[repr(C)]` CPU state, viewed as the engine's state bytes.
///
/// # Safety
/// Implementors are `#[repr(C)]`, made only of integer fields (so every bit pattern is a
/// value) and have no padding (so every byte of the struct is initialised).
pub unsafe trait StateBytes: Sized {
    /// Reads a state from the engine's byte buffer (at least `size_of::<Self>()` bytes).
    fn from_bytes(bytes: &[u8]) -> Self {
        assert!(bytes.len() >= size_of::<Self>(), "state buffer too small");
        // SAFETY: the buffer holds at least size_of::<Self>() bytes (checked above); every bit
        // pattern is a value of Self (trait contract); read_unaligned needs no alignment.
        unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<Self>()) }
    }

    /// The state as bytes, for the engine's buffer.
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: Self has no padding (trait contract), so all size_of::<Self>() bytes behind
        // `self` are initialised and live as long as the borrow.
        unsafe { std::slice::from_raw_parts((self as *const Self).cast::<u8>(), size_of::<Self>()) }
    }

    /// Writes the state into the engine's byte buffer.
    fn write_to(&self, bytes: &mut [u8]) {
        bytes[..size_of::<Self>()].copy_from_slice(self.as_bytes());
    }
}

/// Reads a u64 field of a state buffer at byte offset `off`.
pub fn read_u64(state: &[u8], off: u32) -> u64 {
    let o = off as usize;
    u64::from_ne_bytes(state[o..o + 8].try_into().expect("8 bytes"))
}

/// Writes a u64 field of a state buffer at byte offset `off`.
pub fn write_u64(state: &mut [u8], off: u32, v: u64) {
    let o = off as usize;
    state[o..o + 8].copy_from_slice(&v.to_ne_bytes());
}
