//! The small gaps closed after SSE4 (issue 3): 67-prefixed string instructions (ESI/EDI/ECX)
//! by encoding on both tiers. (SHRD's OF for a count of 1 is in the differential test.)

mod common;
use common::*;
use xarch_translator::interp::BlockExit;

#[test]
fn string_instructions_with_32_bit_addresses() {
    // rep movsb with a 67 prefix: addresses and count are ESI/EDI/ECX (upper halves ignored),
    // written back zero-extended. (ECX = 1: compiled code chains a block that branches to
    // itself, so only a last iteration ends alike on both tiers.)
    let (s, e, mem) = run_with_mem(
        &[0x67, 0xf3, 0xa4],
        &state(&[
            (RSI, 0xffff_ffff_0000_0000 | DATA),
            (RDI, 0x1_0000_0000 | (DATA + 0x100)),
            (RCX, 0xffff_ffff_0000_0001),
        ]),
        &[0x5a],
    );
    assert_eq!(e, BlockExit::Jump(CODE + 3));
    assert_eq!(mem[0x100], 0x5a);
    assert_eq!(
        (s.gpr[RSI], s.gpr[RDI], s.gpr[RCX]),
        (DATA + 1, DATA + 0x101, 0)
    );
    // 67 stosd ; 67 lodsw: EDI/ESI step by the operand size.
    let (s, _, mem) = run_with_mem(
        &[0x67, 0xab, 0x66, 0x67, 0xad, 0x90],
        &state(&[
            (RAX, 0x1122_3344),
            (RDI, 0xdead_0000_0000_0000 | (DATA + 8)),
            (RSI, 0x7_0000_0000 | DATA),
        ]),
        &[0xcd, 0xab],
    );
    assert_eq!(&mem[8..12], &[0x44, 0x33, 0x22, 0x11]);
    assert_eq!((s.gpr[RDI], s.gpr[RSI]), (DATA + 12, DATA + 2));
    assert_eq!(s.gpr[RAX], 0x1122_abcd);
    // repne scasb with ECX = 0 (RCX upper half set): no iteration.
    let (s, e, _) = run_with_mem(
        &[0x67, 0xf2, 0xae, 0x90],
        &state(&[(RCX, 0x5_0000_0000), (RDI, DATA)]),
        &[],
    );
    assert_eq!(e, BlockExit::Jump(CODE + 3));
    assert_eq!((s.gpr[RCX], s.gpr[RDI]), (0x5_0000_0000, DATA));
}
