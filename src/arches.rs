//! The guest ISAs this build knows, chosen by the ELF header's `e_machine`.
//! Each frontend adds one line here.

use std::sync::Arc;
use xarch_translator::Frontend;

/// The frontend for an ELF machine number, or None if no frontend handles it.
pub fn frontend_for(e_machine: u16, is_64bit: bool, big_endian: bool) -> Option<Arc<dyn Frontend>> {
    match (e_machine, is_64bit, big_endian) {
        (183, true, false) => Some(Arc::new(xarch_isa_aarch64::Aarch64)), // EM_AARCH64
        (62, true, false) => Some(Arc::new(xarch_isa_x86::X86Frontend)),  // EM_X86_64
        (21, true, false) | (20, false, true) => Some(xarch_isa_ppc::frontend(is_64bit)), // EM_PPC64 LE, EM_PPC BE
        _ => None,
    }
}
