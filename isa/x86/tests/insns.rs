//! Instruction tests by encoding: bytes (assembly in the comment), an initial state, the
//! expected final state from the SDM; each runs on tier 0 and compiled, which must agree.

mod common;
use common::*;
use xarch_isa_x86::state::flag::*;
use xarch_translator::interp::BlockExit;
use xarch_translator::ir::TrapKind;

fn flags(s: &xarch_isa_x86::state::X86State) -> u64 {
    s.rflags() & ARITH
}

#[test]
fn add_sets_all_flags() {
    // add eax, ebx ; 0x7fffffff + 1: signed overflow, AF, negative.
    let (s, _) = run(
        &[0x01, 0xd8, 0x90],
        &state(&[(RAX, 0xffff_ffff_7fff_ffff), (RBX, 1)]),
    );
    assert_eq!(s.gpr[RAX], 0x8000_0000, "32-bit result zero-extends");
    assert_eq!(flags(&s), OF | SF | AF | PF);
}

#[test]
fn sub_borrow_and_cmp_branch() {
    // cmp rax, rbx ; jb +0x10
    let (s, e) = run(
        &[0x48, 0x39, 0xd8, 0x72, 0x10],
        &state(&[(RAX, 1), (RBX, 2)]),
    );
    assert_eq!(e, BlockExit::Jump(CODE + 5 + 0x10));
    assert_eq!(flags(&s), CF | SF | AF | PF);
    // cmp rax, rbx ; jl +0x10 with 1 vs -1: not less (signed).
    let (_, e) = run(
        &[0x48, 0x39, 0xd8, 0x7c, 0x10],
        &state(&[(RAX, 1), (RBX, u64::MAX)]),
    );
    assert_eq!(e, BlockExit::Jump(CODE + 5));
}

#[test]
fn adc_sbb_chain() {
    // add rax, rcx ; adc rdx, rbx   (128-bit add of 0xffff..ffff + 1)
    let (s, _) = run(
        &[0x48, 0x01, 0xc8, 0x48, 0x11, 0xda, 0x90],
        &state(&[(RAX, u64::MAX), (RCX, 1), (RDX, 5), (RBX, 0)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (0, 6));
    // sub rax, rcx ; sbb rdx, rbx   (0 - 1 borrows from the high half)
    let (s, _) = run(
        &[0x48, 0x29, 0xc8, 0x48, 0x19, 0xda, 0x90],
        &state(&[(RAX, 0), (RCX, 1), (RDX, 5), (RBX, 0)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (u64::MAX, 4));
}

#[test]
fn byte_registers_and_high_bytes() {
    // mov ah, 0x12 (b4 12) ; add al, ah (00 e0) ; mov sil, 0x7 (40 b6 07)
    let (s, _) = run(
        &[0xb4, 0x12, 0x00, 0xe0, 0x40, 0xb6, 0x07, 0x90],
        &state(&[(RAX, 0xaaaa_0001), (RSI, 0xffff)]),
    );
    assert_eq!(s.gpr[RAX], 0xaaaa_1213);
    assert_eq!(s.gpr[RSI], 0xff07);
}

#[test]
fn inc_preserves_carry() {
    // stc ; inc eax
    let (s, _) = run(&[0xf9, 0xff, 0xc0, 0x90], &state(&[(RAX, 0x7fff_ffff)]));
    assert_eq!(flags(&s), CF | OF | SF | AF | PF);
}

#[test]
fn shifts_and_count_zero() {
    // shl eax, 4
    let (s, _) = run(&[0xc1, 0xe0, 0x04, 0x90], &state(&[(RAX, 0x1800_0001)]));
    assert_eq!(s.gpr[RAX], 0x8000_0010);
    assert_eq!(flags(&s) & (CF | SF | ZF), CF | SF);
    // stc ; shr eax, cl with cl = 0: flags and value unchanged (upper half cleared).
    let (s, _) = run(
        &[0xf9, 0xd3, 0xe8, 0x90],
        &state(&[(RAX, 0xffff_0000_0000_0080), (RCX, 0x100)]),
    );
    assert_eq!(s.gpr[RAX], 0x80);
    assert_eq!(flags(&s) & CF, CF);
    // sar al, cl with cl = 9: the sign fills the byte.
    let (s, _) = run(&[0xd2, 0xf8, 0x90], &state(&[(RAX, 0x80), (RCX, 9)]));
    assert_eq!(s.gpr[RAX], 0xff);
    // rol rax, 1
    let (s, _) = run(
        &[0x48, 0xd1, 0xc0, 0x90],
        &state(&[(RAX, 0x8000_0000_0000_0001)]),
    );
    assert_eq!(s.gpr[RAX], 3);
    assert_eq!(flags(&s) & (CF | OF), CF | OF);
}

#[test]
fn mul_imul_div() {
    // mul rcx: rdx:rax = rax * rcx
    let (s, _) = run(
        &[0x48, 0xf7, 0xe1, 0x90],
        &state(&[(RAX, 1 << 63), (RCX, 4)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (0, 2));
    assert_eq!(flags(&s) & (CF | OF), CF | OF);
    // imul eax, ecx, 10 (6b c1 0a) with ecx = -3
    let (s, _) = run(&[0x6b, 0xc1, 0x0a, 0x90], &state(&[(RCX, 0xffff_fffd)]));
    assert_eq!(s.gpr[RAX], 0xffff_ffe2);
    assert_eq!(flags(&s) & (CF | OF), 0);
    // div rcx: (2^64 + 5) / 3
    let (s, _) = run(
        &[0x48, 0xf7, 0xf1, 0x90],
        &state(&[(RAX, 5), (RDX, 1), (RCX, 3)]),
    );
    let n: u128 = (1u128 << 64) + 5;
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), ((n / 3) as u64, (n % 3) as u64));
    // idiv ecx: -7 / 2 = -3 rem -1
    let (s, _) = run(
        &[0xf7, 0xf9, 0x90],
        &state(&[(RAX, 0xffff_fff9), (RDX, 0xffff_ffff), (RCX, 2)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (0xffff_fffd, 0xffff_ffff));
    // idiv rcx: -7 / 2 in 64 bits through the helper
    let (s, _) = run(
        &[0x48, 0xf7, 0xf9, 0x90],
        &state(&[(RAX, -7i64 as u64), (RDX, u64::MAX), (RCX, 2)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (-3i64 as u64, u64::MAX));
    // div rcx with rdx = 0 (the 64-bit fast path): u64::MAX / 7
    let (s, _) = run(
        &[0x48, 0xf7, 0xf1, 0x90],
        &state(&[(RAX, u64::MAX), (RDX, 0), (RCX, 7)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (u64::MAX / 7, u64::MAX % 7));
    // idiv rcx with rdx = 0 and rax's sign bit set: a positive 128-bit dividend that is not
    // the sign extension of rax (the helper): (2^63 + 6) / 2 = 2^62 + 3
    let (s, _) = run(
        &[0x48, 0xf7, 0xf9, 0x90],
        &state(&[(RAX, (1 << 63) + 6), (RDX, 0), (RCX, 2)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), ((1 << 62) + 3, 0));
    // idiv rcx after cqo (the fast path): -9 / 4 = -2 rem -1
    let (s, _) = run(
        &[0x48, 0xf7, 0xf9, 0x90],
        &state(&[(RAX, -9i64 as u64), (RDX, u64::MAX), (RCX, 4)]),
    );
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (-2i64 as u64, -1i64 as u64));
    // div bl: ax / bl -> al, ah
    let (s, _) = run(&[0xf6, 0xf3, 0x90], &state(&[(RAX, 1000), (RBX, 7)]));
    assert_eq!(s.gpr[RAX] & 0xffff, ((1000 % 7) << 8) | (1000 / 7));
}

#[test]
fn divide_error_traps() {
    use xarch_isa_x86::DIVIDE_TRAP_TAG;
    use xarch_translator::frontend::{CodeBuffer, Frontend};
    // nop ; div ecx with ecx = 0: the side exit names the tagged PC of the div...
    let (_, e) = run(&[0x90, 0xf7, 0xf1, 0x90], &state(&[(RAX, 1)]));
    assert_eq!(e, BlockExit::Jump(DIVIDE_TRAP_TAG | (CODE + 1)));
    // ...whose block is the #DE trap at the div.
    let b = xarch_isa_x86::X86Frontend
        .lift(
            DIVIDE_TRAP_TAG | (CODE + 1),
            &CodeBuffer {
                base: 0,
                bytes: &[],
            },
        )
        .unwrap();
    assert_eq!(
        b.exit,
        xarch_translator::ir::Exit::Trap {
            kind: TrapKind::DivideError,
            pc: CODE + 1
        }
    );
    // Quotient overflow: div ecx with edx:eax = 2^32, ecx = 1.
    let (_, e) = run(&[0xf7, 0xf1, 0x90], &state(&[(RDX, 1), (RCX, 1)]));
    assert_eq!(e, BlockExit::Jump(DIVIDE_TRAP_TAG | CODE));
    // idiv rcx: i64::MIN / -1 overflows.
    let (_, e) = run(
        &[0x48, 0xf7, 0xf9, 0x90],
        &state(&[(RAX, 1 << 63), (RDX, u64::MAX), (RCX, u64::MAX)]),
    );
    assert_eq!(e, BlockExit::Jump(DIVIDE_TRAP_TAG | CODE));
    // div rcx by zero with rdx = 0 (the fast path) and with rdx = 1 (the helper).
    for rdx in [0, 1] {
        let (_, e) = run(&[0x48, 0xf7, 0xf1, 0x90], &state(&[(RAX, 5), (RDX, rdx)]));
        assert_eq!(e, BlockExit::Jump(DIVIDE_TRAP_TAG | CODE));
    }
    // idiv rcx: 2^64 / 1 (rdx = 1, rax = 0) does not fit in 64 bits.
    let (_, e) = run(
        &[0x48, 0xf7, 0xf9, 0x90],
        &state(&[(RAX, 0), (RDX, 1), (RCX, 1)]),
    );
    assert_eq!(e, BlockExit::Jump(DIVIDE_TRAP_TAG | CODE));
}

#[test]
fn lea_movzx_movsx_cdq() {
    // lea rax, [rbx+rcx*4+8] ; movsx edx, byte... (0f be d3: movsx edx, bl) ; cqo
    let (s, _) = run(
        &[
            0x48, 0x8d, 0x44, 0x8b, 0x08, 0x0f, 0xbe, 0xd3, 0x48, 0x99, 0x90,
        ],
        &state(&[(RBX, 0x80), (RCX, 2)]),
    );
    assert_eq!(s.gpr[RAX], 0x80 + 8 + 8);
    assert_eq!(s.gpr[RDX], 0, "cqo overwrote movsx result");
    // movsxd rax, ecx (48 63 c1) ; cdqe on a negative eax
    let (s, _) = run(&[0x48, 0x63, 0xc1, 0x90], &state(&[(RCX, 0x8000_0000)]));
    assert_eq!(s.gpr[RAX], 0xffff_ffff_8000_0000);
}

#[test]
fn setcc_cmovcc() {
    // test eax, eax ; sete cl ; cmovne edx, ebx
    let (s, _) = run(
        &[0x85, 0xc0, 0x0f, 0x94, 0xc1, 0x0f, 0x45, 0xd3, 0x90],
        &state(&[(RCX, 0xff00), (RDX, 0xffff_ffff_0000_0001), (RBX, 7)]),
    );
    assert_eq!(s.gpr[RCX], 0xff01);
    assert_eq!(
        s.gpr[RDX], 1,
        "cmov with a false condition still zero-extends"
    );
}

#[test]
fn stack_call_ret() {
    // push rbx ; pop rcx ; call +0x20
    let (s, e) = run(&[0x53, 0x59, 0xe8, 0x20, 0, 0, 0], &state(&[(RBX, 0x1234)]));
    assert_eq!(s.gpr[RCX], 0x1234);
    assert_eq!(e, BlockExit::Jump(CODE + 7 + 0x20));
    assert_eq!(s.gpr[RSP], STACK_TOP - 0x108);
    // ret
    let mut st = state(&[]);
    st.gpr[RSP] = DATA;
    let (s, e, _) = run_with_mem(&[0xc3], &st, &0x4242u64.to_le_bytes());
    assert_eq!(e, BlockExit::Indirect(0x4242));
    assert_eq!(s.gpr[RSP], DATA + 8);
}

#[test]
fn memory_rmw_and_lock() {
    // add [rdi], eax ; lock xadd [rdi+4], ecx ; lock cmpxchg [rdi+8], edx
    let mut mem = [0u8; 12];
    mem[0..4].copy_from_slice(&10u32.to_le_bytes());
    mem[4..8].copy_from_slice(&100u32.to_le_bytes());
    mem[8..12].copy_from_slice(&7u32.to_le_bytes());
    let code = [
        0x01, 0x07, 0xf0, 0x0f, 0xc1, 0x4f, 0x04, 0xf0, 0x0f, 0xb1, 0x57, 0x08, 0x90,
    ];
    let (s, _, m) = run_with_mem(
        &code,
        &state(&[(RDI, DATA), (RAX, 7), (RCX, 5), (RDX, 99)]),
        &mem,
    );
    assert_eq!(u32::from_le_bytes(m[0..4].try_into().unwrap()), 17);
    assert_eq!(u32::from_le_bytes(m[4..8].try_into().unwrap()), 105);
    assert_eq!(s.gpr[RCX], 100);
    assert_eq!(
        u32::from_le_bytes(m[8..12].try_into().unwrap()),
        99,
        "cmpxchg succeeded (eax == 7)"
    );
    assert_eq!(flags(&s) & ZF, ZF);
}

#[test]
fn cmpxchg16b_swaps_once_then_loads_the_old_value() {
    // lock cmpxchg16b [rdi] twice: the first compares equal (ZF = 1, RCX:RBX stored), the
    // second does not (ZF = 0, RDX:RAX = the value now in memory).
    let code = [
        0xf0, 0x48, 0x0f, 0xc7, 0x0f, 0xf0, 0x48, 0x0f, 0xc7, 0x0f, 0x90,
    ];
    let mut mem = [0u8; 16];
    mem[0..8].copy_from_slice(&1u64.to_le_bytes());
    mem[8..16].copy_from_slice(&(u64::MAX - 1).to_le_bytes());
    let regs = [
        (RDI, DATA),
        (RAX, 1),
        (RDX, u64::MAX - 1),
        (RBX, 0x3333_0000_0000_0033),
        (RCX, 0x4444),
    ];
    let (s, _, m) = run_with_mem(&code, &state(&regs), &mem);
    assert_eq!(
        u64::from_le_bytes(m[0..8].try_into().unwrap()),
        0x3333_0000_0000_0033
    );
    assert_eq!(u64::from_le_bytes(m[8..16].try_into().unwrap()), 0x4444);
    assert_eq!((s.gpr[RAX], s.gpr[RDX]), (0x3333_0000_0000_0033, 0x4444));
    assert_eq!(flags(&s) & ZF, 0);
    // A misaligned operand raises #GP (SIGSEGV on Linux): the block exits to the tagged PC.
    let (_, e) = run(&code[..5], &state(&[(RDI, DATA + 8)]));
    assert_eq!(e, BlockExit::Jump(xarch_isa_x86::GP_FAULT_TAG | CODE));
}

#[test]
fn rep_movsb_iterates_by_branching_back() {
    // rep movsb with rcx = 3: one iteration per run, then a branch back to itself. (Only the
    // interpreter here: compiled code chains the self-branch and runs all iterations.)
    let mut st = state(&[(RSI, DATA), (RDI, DATA + 0x100), (RCX, 3)]);
    let mem = testing_memory();
    let block = lift(&[0xf3, 0xa4]);
    let host = mem.host(xarch_linux::mem::GuestAddr(DATA));
    // SAFETY: DATA is mapped read-write in the test window.
    unsafe { std::ptr::copy_nonoverlapping(b"abc".as_ptr(), host, 3) };
    let mut cpu = xarch_translator::CpuState::new(std::mem::size_of_val(&st));
    cpu.bytes_mut().copy_from_slice(&state_bytes(&st));
    let e = xarch_translator::testing::run_block_interp(
        &block,
        cpu.bytes_mut(),
        &mem,
        xarch_isa_x86::state::off::RIP,
    );
    let s = from_bytes(cpu.bytes());
    assert_eq!(e, BlockExit::Jump(CODE));
    // SAFETY: as above.
    let copied = unsafe { *host.add(0x100) };
    assert_eq!((s.gpr[RCX], s.gpr[RSI], copied), (2, DATA + 1, b'a'));
    // The last iteration (rcx = 1) falls through; both tiers.
    st.gpr[RCX] = 1;
    let mut m = vec![0u8; 0x200];
    m[0] = b'z';
    let (s, e, m) = run_with_mem(&[0xf3, 0xa4], &st, &m);
    assert_eq!(e, BlockExit::Jump(CODE + 2));
    assert_eq!((s.gpr[RCX], m[0x100]), (0, b'z'));
    // rcx = 0: nothing happens, straight to the next instruction.
    st.gpr[RCX] = 0;
    let mut fresh = vec![0u8; 0x200];
    fresh[0] = b'q';
    let (_, e, m) = run_with_mem(&[0xf3, 0xa4], &st, &fresh);
    assert_eq!(e, BlockExit::Jump(CODE + 2));
    assert_eq!(m[0x100], 0);
}

#[test]
fn bit_instructions() {
    // bts eax, 4 (0f ba e8 04) ; bsf ecx, eax ; bswap eax ; popcnt edx, eax
    let (s, _) = run(
        &[
            0x0f, 0xba, 0xe8, 0x04, 0x0f, 0xbc, 0xc8, 0x0f, 0xc8, 0xf3, 0x0f, 0xb8, 0xd0, 0x90,
        ],
        &state(&[(RAX, 0x100)]),
    );
    assert_eq!(s.gpr[RCX], 4);
    assert_eq!(s.gpr[RAX], 0x1001_0000);
    assert_eq!(s.gpr[RDX], 2);
}

#[test]
fn syscall_and_traps() {
    // syscall: RCX = next RIP, R11 = RFLAGS
    let (s, e) = run(&[0x0f, 0x05], &state(&[(RAX, 60)]));
    assert_eq!(e, BlockExit::Syscall(CODE + 2));
    assert_eq!(s.gpr[RCX], CODE + 2);
    assert_eq!(s.gpr[11] & 0x202, 0x202);
    // nop ; ud2
    let (_, e) = run(&[0x90, 0x0f, 0x0b], &state(&[]));
    assert_eq!(e, BlockExit::Trap(TrapKind::Undefined, CODE + 1));
    // an unimplemented instruction (MONITOR, not advertised) after a mov: the mov runs, then
    // the trap.
    let (s, e) = run(&[0xb8, 1, 0, 0, 0, 0x0f, 0x01, 0xc8], &state(&[]));
    assert_eq!(e, BlockExit::Trap(TrapKind::Unimplemented, CODE + 5));
    assert_eq!(s.gpr[RAX], 1);
}

#[test]
fn cpuid_advertises_only_implemented_features() {
    // cpuid with eax = 1
    let (s, _) = run(&[0x0f, 0xa2, 0x90], &state(&[(RAX, 1)]));
    assert_eq!(s.gpr[RDX] as u32, xarch_isa_x86::CPUID1_EDX);
    let ecx = s.gpr[RCX] as u32;
    assert_eq!(ecx, xarch_isa_x86::CPUID1_ECX);
    // SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT; not MOVBE (22), AVX (28).
    for bit in [0, 9, 13, 19, 20, 23] {
        assert_ne!(ecx & (1 << bit), 0, "ECX bit {bit}");
    }
    for bit in [22, 28] {
        assert_eq!(ecx & (1 << bit), 0, "ECX bit {bit}");
    }
    // glibc's x86-64 baseline: FPU (0), CX8 (8), CMOV (15), MMX (23), FXSR (24), SSE (25),
    // SSE2 (26); not HTT (28).
    let edx = s.gpr[RDX] as u32;
    for bit in [0, 8, 15, 23, 24, 25, 26] {
        assert_ne!(edx & (1 << bit), 0, "EDX bit {bit}");
    }
    assert_eq!(edx & (1 << 28), 0, "EDX bit 28");
    // leaf 0x8000_0001: SYSCALL (EDX 11) and LM (EDX 29), LAHF/SAHF (ECX 0).
    let (s, _) = run(&[0x0f, 0xa2, 0x90], &state(&[(RAX, 0x8000_0001)]));
    for bit in [11, 29] {
        assert_ne!(
            s.gpr[RDX] as u32 & (1 << bit),
            0,
            "0x80000001 EDX bit {bit}"
        );
    }
    assert_ne!(s.gpr[RCX] as u32 & 1, 0, "LAHF/SAHF");
    let (s, _) = run(&[0x0f, 0xa2, 0x90], &state(&[(RAX, 0)]));
    assert_eq!(&s.gpr[RBX].to_le_bytes()[..4], b"Genu");
}

#[test]
fn privileged_instructions_fault_like_linux() {
    use xarch_isa_x86::GP_FAULT_TAG;
    use xarch_translator::frontend::{CodeBuffer, Frontend, LiftError};
    // nop ; hlt: the block exits to the tagged address of the hlt...
    let (_, e) = run(&[0x90, 0xf4], &state(&[]));
    assert_eq!(e, BlockExit::Jump(GP_FAULT_TAG | (CODE + 1)));
    // ...whose fetch fails at the hlt: SIGSEGV there, as Linux delivers #GP.
    let r = xarch_isa_x86::X86Frontend.lift(
        GP_FAULT_TAG | (CODE + 1),
        &CodeBuffer {
            base: 0,
            bytes: &[],
        },
    );
    assert_eq!(r.unwrap_err(), LiftError::FetchFault { pc: CODE + 1 });
    // int 0x80 and cli alike.
    let (_, e) = run(&[0xcd, 0x80], &state(&[]));
    assert_eq!(e, BlockExit::Jump(GP_FAULT_TAG | CODE));
    let (_, e) = run(&[0xfa], &state(&[]));
    assert_eq!(e, BlockExit::Jump(GP_FAULT_TAG | CODE));
}

#[test]
fn sse_shift_by_register_count() {
    // psrlw xmm0, xmm1 (66 0f d1 c1) ; psrad xmm2, xmm1 (66 0f e2 d1) ; psllq xmm3, xmm1 (66 0f f3 d9)
    let mut st = state(&[]);
    st.xmm[0] = 0x8000_4000_2000_1000_0800_0400_0200_ffff;
    st.xmm[1] = 3;
    st.xmm[2] = 0x8000_0000_7fff_fff8_ffff_fff0_0000_0010;
    st.xmm[3] = 0x0000_0000_0000_0001_8000_0000_0000_0001;
    let (s, _) = run(
        &[
            0x66, 0x0f, 0xd1, 0xc1, 0x66, 0x0f, 0xe2, 0xd1, 0x66, 0x0f, 0xf3, 0xd9, 0x90,
        ],
        &st,
    );
    assert_eq!(s.xmm[0], 0x1000_0800_0400_0200_0100_0080_0040_1fff);
    assert_eq!(s.xmm[2], 0xf000_0000_0fff_ffff_ffff_fffe_0000_0002);
    assert_eq!(s.xmm[3], 0x0000_0000_0000_0008_0000_0000_0000_0008);
    // A count of the lane width or more: logical shifts give 0, arithmetic ones the sign.
    st.xmm[1] = 32;
    let (s, _) = run(&[0x66, 0x0f, 0xe2, 0xd1, 0x66, 0x0f, 0xd2, 0xc1, 0x90], &st);
    assert_eq!(s.xmm[2], 0xffff_ffff_0000_0000_ffff_ffff_0000_0000);
    assert_eq!(s.xmm[0], 0);
}

#[test]
fn push_rm_is_64_bit() {
    // push qword ptr [rsp + 8] (FF /6): 8 bytes in 64-bit mode without REX.W, like PUSH r;
    // with 66, 2 bytes.
    let mut st = state(&[]);
    let sp = st.gpr[RSP];
    st.gpr[RAX] = 0;
    let code = [
        0x48, 0xc7, 0x44, 0x24, 0x08, 0x78, 0x56, 0x34, 0x12, 0xff, 0x74, 0x24, 0x08, 0x90,
    ];
    let (s, _) = run(&code, &st);
    assert_eq!(s.gpr[RSP], sp - 8);
    let code = [0xff, 0xf0, 0x58, 0x66, 0xff, 0xf0, 0x90];
    let (s, _) = run(&code, &state(&[(RAX, 0x1122_3344_5566_7788)]));
    // push rax; pop rax; push ax: RSP 2 below the start.
    assert_eq!(s.gpr[RSP], sp - 2);
    assert_eq!(s.gpr[RAX], 0x1122_3344_5566_7788);
}
