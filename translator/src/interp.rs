//! Tier 0: the IR interpreter.
//!
//! ```text
//!   ir::Block ──► run_block(state bytes, guest memory) ──► BlockExit (next PC, syscall, trap)
//! ```
//!
//! Every value is held as the low bits of a `u128` (floats as their IEEE bits), so one
//! evaluator serves every type. The semantics of each op are the ones pinned in `ir/mod.rs`;
//! [`eval_pure`] is shared with the constant folder in `opt.rs`, so folding and running can
//! never disagree. The interpreter is also the reference the Cranelift tier is tested against.

use crate::ir::{
    AtomicOp, Block, Endian, Exit, FloatCC, IntCC, Op, RoundMode, TrapKind, Type, Value, VecShift,
};
use std::cell::Cell;

mod vector;
use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};
use vector::{vbinary, vmap, vunary};

/// Where a block leaves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockExit {
    /// Continue at this guest PC (direct, conditional or side exit).
    Jump(u64),
    /// Continue at a computed guest PC.
    Indirect(u64),
    /// A system call; the PC after it.
    Syscall(u64),
    /// A trap at `pc`.
    Trap(TrapKind, u64),
}

impl BlockExit {
    /// The guest PC the state holds after this exit.
    pub fn pc(self) -> u64 {
        match self {
            BlockExit::Jump(p)
            | BlockExit::Indirect(p)
            | BlockExit::Syscall(p)
            | BlockExit::Trap(_, p) => p,
        }
    }
}

/// The guest memory window as both tiers see it: `base + (addr & mask)`.
#[derive(Clone, Copy, Debug)]
pub struct MemWindow {
    pub base: *mut u8,
    pub mask: u64,
}

impl MemWindow {
    pub fn of(mem: &xarch_linux::mem::GuestMemory) -> MemWindow {
        MemWindow {
            base: mem.base(),
            mask: mem.mask(),
        }
    }

    fn host(&self, addr: u64) -> *mut u8 {
        self.base.wrapping_add((addr & self.mask) as usize)
    }
}

thread_local! {
    /// Guest PC of the instruction the interpreter is running on this thread (for precise
    /// fault reports from the SIGSEGV handler). Const-initialised: safe to read in a handler.
    pub(crate) static CURRENT_PC: Cell<u64> = const { Cell::new(0) };
}

/// Runs one block over `state` and guest memory. Writes the next PC at `pc_offset` and
/// returns how the block left. Loads from unmapped guest memory fault on the host (SIGSEGV),
/// which `signals.rs` turns into a guest fault report.
///
/// # Safety
/// `mem` must describe a live guest window (a reservation of `mask + 1` bytes at `base`), and
/// the block must have passed [`crate::ir::verify`] (types as the ops require).
pub unsafe fn run_block(
    block: &Block,
    state: &mut [u8],
    mem: MemWindow,
    pc_offset: u32,
) -> BlockExit {
    let mut vals = Vec::new();
    // SAFETY: forwarded contract.
    unsafe { run_block_with(block, state, mem, pc_offset, &mut vals) }
}

/// [`run_block`] with a caller-owned buffer for the values (saves an allocation per block).
///
/// # Safety
/// As for [`run_block`].
pub unsafe fn run_block_with(
    block: &Block,
    state: &mut [u8],
    mem: MemWindow,
    pc_offset: u32,
    vals: &mut Vec<u128>,
) -> BlockExit {
    // Verified IR defines every value before reading it: stale contents are never read.
    if vals.len() < block.types.len() {
        vals.resize(block.types.len(), 0);
    }
    let exit = 'run: {
        for inst in &block.insts {
            let r = match &inst.op {
                Op::InsnStart { pc } => {
                    CURRENT_PC.with(|c| c.set(*pc));
                    continue;
                }
                Op::GetReg { off } => {
                    let ty = block.ty(inst.result.expect("GetReg has a result"));
                    read_le(&state[*off as usize..], ty.bytes() as usize)
                }
                Op::SetReg { off, v } => {
                    let ty = block.ty(*v);
                    write_le(
                        &mut state[*off as usize..],
                        ty.bytes() as usize,
                        vals[v.0 as usize],
                    );
                    continue;
                }
                Op::Load { addr, endian } => {
                    let ty = block.ty(inst.result.expect("Load has a result"));
                    let p = mem.host(vals[addr.0 as usize] as u64);
                    let n = ty.bytes() as usize;
                    // SAFETY: `p` lies in the guest window (masked address); an unmapped page
                    // faults on the host and is handled as a guest fault, never as UB in Rust
                    // objects.
                    let v = unsafe { load_le(p, n) };
                    if *endian == Endian::Big {
                        swap(v, n)
                    } else {
                        v
                    }
                }
                Op::Store { addr, v, endian } => {
                    let n = block.ty(*v).bytes() as usize;
                    let mut x = vals[v.0 as usize];
                    if *endian == Endian::Big {
                        x = swap(x, n);
                    }
                    let p = mem.host(vals[addr.0 as usize] as u64);
                    // SAFETY: as for Load: a masked address inside the guest window.
                    unsafe { store_le(p, n, x) };
                    continue;
                }
                Op::AtomicCas {
                    addr,
                    expected,
                    new,
                    endian,
                } => {
                    let ty = block.ty(*expected);
                    let p = mem.host(vals[addr.0 as usize] as u64);
                    // SAFETY: masked guest address; alignment is checked inside.
                    unsafe {
                        atomic_cas(
                            p,
                            ty,
                            vals[expected.0 as usize],
                            vals[new.0 as usize],
                            *endian,
                        )
                    }
                }
                Op::AtomicRmw {
                    op,
                    addr,
                    v,
                    endian,
                } => {
                    let ty = block.ty(*v);
                    let p = mem.host(vals[addr.0 as usize] as u64);
                    // SAFETY: masked guest address; alignment is checked inside.
                    unsafe { atomic_rmw(p, ty, *op, vals[v.0 as usize], *endian) }
                }
                Op::Fence {} => {
                    std::sync::atomic::fence(Ordering::SeqCst);
                    continue;
                }
                Op::CallHelper { helper, args } | Op::CallHelperReadOnly { helper, args } => {
                    let mut a = [0u64; 4];
                    for (i, v) in args.iter().enumerate() {
                        a[i] = vals[v.0 as usize] as u64;
                    }
                    (helper.func)(state.as_mut_ptr(), mem.base, a[0], a[1], a[2], a[3]) as u128
                }
                Op::CallHelperIf {
                    cond,
                    default,
                    helper,
                    args,
                } => {
                    if vals[cond.0 as usize] == 0 {
                        vals[default.0 as usize]
                    } else {
                        let mut a = [0u64; 4];
                        for (i, v) in args.iter().enumerate() {
                            a[i] = vals[v.0 as usize] as u64;
                        }
                        (helper.func)(state.as_mut_ptr(), mem.base, a[0], a[1], a[2], a[3]) as u128
                    }
                }
                Op::ExitIf { cond, target } => {
                    if vals[cond.0 as usize] != 0 {
                        break 'run BlockExit::Jump(*target);
                    }
                    continue;
                }
                op => {
                    let ty = block.ty(inst.result.expect("pure ops have a result"));
                    eval_pure(op, ty, &|v: Value| (vals[v.0 as usize], block.ty(v)))
                        .expect("every pure op is evaluated")
                }
            };
            if let Some(res) = inst.result {
                vals[res.0 as usize] = r;
            }
        }
        match &block.exit {
            Exit::Jump { target } => BlockExit::Jump(*target),
            Exit::Branch {
                cond,
                taken,
                not_taken,
            } => BlockExit::Jump(if vals[cond.0 as usize] != 0 {
                *taken
            } else {
                *not_taken
            }),
            Exit::Indirect { target } => BlockExit::Indirect(vals[target.0 as usize] as u64),
            Exit::Syscall { next } => BlockExit::Syscall(*next),
            Exit::Trap { kind, pc } => BlockExit::Trap(*kind, *pc),
        }
    };
    write_le(&mut state[pc_offset as usize..], 8, exit.pc() as u128);
    exit
}

#[inline]
fn read_le(bytes: &[u8], n: usize) -> u128 {
    // Fixed-size reads for the common widths: no call to memmove.
    match n {
        8 => u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as u128,
        4 => u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as u128,
        1 => bytes[0] as u128,
        2 => u16::from_le_bytes(bytes[..2].try_into().expect("2 bytes")) as u128,
        16 => u128::from_le_bytes(bytes[..16].try_into().expect("16 bytes")),
        _ => {
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(&bytes[..n]);
            u128::from_le_bytes(b)
        }
    }
}

#[inline]
fn write_le(bytes: &mut [u8], n: usize, v: u128) {
    match n {
        8 => bytes[..8].copy_from_slice(&(v as u64).to_le_bytes()),
        4 => bytes[..4].copy_from_slice(&(v as u32).to_le_bytes()),
        1 => bytes[0] = v as u8,
        2 => bytes[..2].copy_from_slice(&(v as u16).to_le_bytes()),
        _ => bytes[..n].copy_from_slice(&v.to_le_bytes()[..n]),
    }
}

/// Reads `n` little-endian bytes at a host address.
///
/// # Safety
/// `p` must be in the guest window.
#[inline]
unsafe fn load_le(p: *const u8, n: usize) -> u128 {
    // SAFETY: per the contract; unaligned reads of plain integers.
    unsafe {
        match n {
            8 => p.cast::<u64>().read_unaligned() as u128,
            4 => p.cast::<u32>().read_unaligned() as u128,
            1 => p.read() as u128,
            2 => p.cast::<u16>().read_unaligned() as u128,
            _ => {
                let mut buf = [0u8; 16];
                std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n);
                u128::from_le_bytes(buf)
            }
        }
    }
}

/// Writes the low `n` bytes of `v`, little-endian, at a host address.
///
/// # Safety
/// `p` must be in the guest window.
#[inline]
unsafe fn store_le(p: *mut u8, n: usize, v: u128) {
    // SAFETY: per the contract; unaligned writes of plain integers.
    unsafe {
        match n {
            8 => p.cast::<u64>().write_unaligned(v as u64),
            4 => p.cast::<u32>().write_unaligned(v as u32),
            1 => p.write(v as u8),
            2 => p.cast::<u16>().write_unaligned(v as u16),
            _ => std::ptr::copy_nonoverlapping(v.to_le_bytes().as_ptr(), p, n),
        }
    }
}

/// Byte-swaps the low `n` bytes.
fn swap(v: u128, n: usize) -> u128 {
    if n == 0 {
        v
    } else {
        v.swap_bytes() >> (128 - 8 * n)
    }
}

/// # Safety
/// `p` must be in the guest window.
unsafe fn atomic_cas(p: *mut u8, ty: Type, expected: u128, new: u128, endian: Endian) -> u128 {
    let n = ty.bytes() as usize;
    let (e, w) = if endian == Endian::Big {
        (swap(expected, n), swap(new, n))
    } else {
        (expected, new)
    };
    macro_rules! cas {
        ($at:ty, $t:ty) => {{
            if (p as usize) % n == 0 {
                // SAFETY: aligned pointer into the guest window; host faults are guest faults.
                let a = unsafe { <$at>::from_ptr(p.cast()) };
                match a.compare_exchange(e as $t, w as $t, Ordering::SeqCst, Ordering::SeqCst) {
                    Ok(old) | Err(old) => old as u128,
                }
            } else {
                // Misaligned atomics: the guest would fault or tear; do it non-atomically.
                // SAFETY: pointer in the guest window.
                let old = unsafe { std::ptr::read_unaligned(p.cast::<$t>()) };
                if old == e as $t {
                    // SAFETY: as above.
                    unsafe { std::ptr::write_unaligned(p.cast::<$t>(), w as $t) };
                }
                old as u128
            }
        }};
    }
    let old = match n {
        1 => cas!(AtomicU8, u8),
        2 => cas!(AtomicU16, u16),
        4 => cas!(AtomicU32, u32),
        8 => cas!(AtomicU64, u64),
        _ if (p as usize) % 16 == 0 => {
            // SAFETY: aligned pointer into the guest window; host faults are guest faults.
            unsafe { cas128(p, e, w) }
        }
        _ => {
            // Misaligned (both guests fault on it before reaching here): non-atomic, as above.
            // SAFETY: pointer in the guest window.
            let old = unsafe { std::ptr::read_unaligned(p.cast::<u128>()) };
            if old == e {
                // SAFETY: as above.
                unsafe { std::ptr::write_unaligned(p.cast::<u128>(), w) };
            }
            old
        }
    };
    if endian == Endian::Big {
        swap(old, n)
    } else {
        old
    }
}

/// 128-bit compare-and-swap with the host's `lock cmpxchg16b` (std has no AtomicU128), the
/// same instruction the Cranelift tier emits for a 128-bit `atomic_cas`.
///
/// # Safety
/// `p` must be 16-byte aligned and in the guest window.
unsafe fn cas128(p: *mut u8, expected: u128, new: u128) -> u128 {
    let (mut lo, mut hi) = (expected as u64, (expected >> 64) as u64);
    // SAFETY: the caller guarantees an aligned pointer into the guest window; the instruction
    // reads and writes exactly those 16 bytes. RBX is reserved by LLVM, so it is swapped in
    // and out around the instruction.
    unsafe {
        std::arch::asm!(
            "xchg {nlo}, rbx",
            "lock cmpxchg16b [{p}]",
            "mov rbx, {nlo}",
            p = in(reg) p,
            nlo = inout(reg) new as u64 => _,
            in("rcx") (new >> 64) as u64,
            inout("rax") lo,
            inout("rdx") hi,
            options(nostack),
        );
    }
    u128::from(lo) | u128::from(hi) << 64
}

/// # Safety
/// `p` must be in the guest window.
unsafe fn atomic_rmw(p: *mut u8, ty: Type, op: AtomicOp, v: u128, endian: Endian) -> u128 {
    let n = ty.bytes() as usize;
    // Big-endian memory: loop with CAS on the swapped representation.
    loop {
        let mut buf = [0u8; 16];
        // SAFETY: pointer in the guest window.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n) };
        let raw = read_le(&buf, n);
        let old = if endian == Endian::Big {
            swap(raw, n)
        } else {
            raw
        };
        let new = rmw_value(op, ty, old, v);
        // SAFETY: pointer in the guest window.
        let seen = unsafe { atomic_cas(p, ty, old, new, endian) };
        if seen == old {
            return old;
        }
    }
}

/// The value an atomic read-modify-write stores.
pub fn rmw_value(op: AtomicOp, ty: Type, old: u128, v: u128) -> u128 {
    let w = ty.bits();
    let m = mask(w);
    let r = match op {
        AtomicOp::Add => old.wrapping_add(v),
        AtomicOp::AndNot => old & !v,
        AtomicOp::And => old & v,
        AtomicOp::Or => old | v,
        AtomicOp::Xor => old ^ v,
        AtomicOp::Xchg => v,
        AtomicOp::SMax => {
            if sx(old, w) >= sx(v, w) {
                old
            } else {
                v
            }
        }
        AtomicOp::SMin => {
            if sx(old, w) <= sx(v, w) {
                old
            } else {
                v
            }
        }
        AtomicOp::UMax => old.max(v),
        AtomicOp::UMin => old.min(v),
    };
    r & m
}

fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Sign-extends the low `bits` of `v`.
fn sx(v: u128, bits: u32) -> i128 {
    if bits >= 128 {
        v as i128
    } else {
        ((v << (128 - bits)) as i128) >> (128 - bits)
    }
}

fn umulhi128(a: u128, b: u128) -> u128 {
    let (a0, a1) = (a as u64 as u128, a >> 64);
    let (b0, b1) = (b as u64 as u128, b >> 64);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 as u64 as u128) + (p10 as u64 as u128);
    p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64)
}

fn f32v(v: u128) -> f32 {
    f32::from_bits(v as u32)
}
fn f64v(v: u128) -> f64 {
    f64::from_bits(v as u64)
}

/// NaN propagation of arithmetic as the host (x86 SSE) does it for `a op b`: the first NaN
/// operand, quieted. Spelt out because Rust's `+` lets LLVM commute the operands.
fn nan64(a: f64, b: f64, r: f64) -> f64 {
    if a.is_nan() {
        f64::from_bits(a.to_bits() | (1 << 51))
    } else if b.is_nan() {
        f64::from_bits(b.to_bits() | (1 << 51))
    } else {
        r
    }
}
fn nan32(a: f32, b: f32, r: f32) -> f32 {
    if a.is_nan() {
        f32::from_bits(a.to_bits() | (1 << 22))
    } else if b.is_nan() {
        f32::from_bits(b.to_bits() | (1 << 22))
    } else {
        r
    }
}

/// The default NaN that `FMin`/`FMax` give when an operand is NaN.
const DEFAULT_NAN64: u64 = 0x7ff8_0000_0000_0000;
const DEFAULT_NAN32: u32 = 0x7fc0_0000;

fn fmin64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::from_bits(DEFAULT_NAN64)
    } else if a == b {
        f64::from_bits(a.to_bits() | b.to_bits()) // -0 below +0
    } else {
        a.min(b)
    }
}
fn fmax64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::from_bits(DEFAULT_NAN64)
    } else if a == b {
        f64::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}
fn fmin32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::from_bits(DEFAULT_NAN32)
    } else if a == b {
        f32::from_bits(a.to_bits() | b.to_bits())
    } else {
        a.min(b)
    }
}
fn fmax32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::from_bits(DEFAULT_NAN32)
    } else if a == b {
        f32::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}

fn fcmp(cc: FloatCC, a: f64, b: f64) -> bool {
    match cc {
        FloatCC::Eq => a == b,
        FloatCC::Ne => a != b,
        FloatCC::Lt => a < b,
        FloatCC::Le => a <= b,
        FloatCC::Gt => a > b,
        FloatCC::Ge => a >= b,
        FloatCC::Unordered => a.is_nan() || b.is_nan(),
        FloatCC::Ordered => !a.is_nan() && !b.is_nan(),
    }
}

fn icmp(cc: IntCC, a: u128, b: u128, w: u32) -> bool {
    let (sa, sb) = (sx(a, w), sx(b, w));
    match cc {
        IntCC::Eq => a == b,
        IntCC::Ne => a != b,
        IntCC::Slt => sa < sb,
        IntCC::Sle => sa <= sb,
        IntCC::Sgt => sa > sb,
        IntCC::Sge => sa >= sb,
        IntCC::Ult => a < b,
        IntCC::Ule => a <= b,
        IntCC::Ugt => a > b,
        IntCC::Uge => a >= b,
    }
}

fn round64(mode: RoundMode, x: f64) -> f64 {
    match mode {
        RoundMode::Nearest => x.round_ties_even(),
        RoundMode::Floor => x.floor(),
        RoundMode::Ceil => x.ceil(),
        RoundMode::Trunc => x.trunc(),
    }
}
fn round32(mode: RoundMode, x: f32) -> f32 {
    match mode {
        RoundMode::Nearest => x.round_ties_even(),
        RoundMode::Floor => x.floor(),
        RoundMode::Ceil => x.ceil(),
        RoundMode::Trunc => x.trunc(),
    }
}

/// Evaluates an op that has no side effects and reads only its operands. `arg` gives an
/// operand's value (low bits of a u128) and type; `ty` is the result type. `None` for ops
/// with effects (memory, state, helpers, exits, markers).
#[inline]
pub fn eval_pure(op: &Op, ty: Type, arg: &impl Fn(Value) -> (u128, Type)) -> Option<u128> {
    let w = ty.bits();
    let m = mask(w);
    let v = |x: Value| arg(x).0;
    let r = match *op {
        Op::Const { imm } => imm as u128 & m,
        Op::ConstV128 { imm } => imm,
        Op::Add { a, b } => v(a).wrapping_add(v(b)) & m,
        Op::Sub { a, b } => v(a).wrapping_sub(v(b)) & m,
        Op::Mul { a, b } => v(a).wrapping_mul(v(b)) & m,
        Op::UMulHi { a, b } => {
            if w == 128 {
                umulhi128(v(a), v(b))
            } else {
                (v(a) * v(b)) >> w & m
            }
        }
        Op::SMulHi { a, b } => {
            if w == 128 {
                let (x, y) = (v(a), v(b));
                let mut hi = umulhi128(x, y);
                if (x as i128) < 0 {
                    hi = hi.wrapping_sub(y);
                }
                if (y as i128) < 0 {
                    hi = hi.wrapping_sub(x);
                }
                hi
            } else {
                ((sx(v(a), w) * sx(v(b), w)) >> w) as u128 & m
            }
        }
        Op::UDiv { a, b } => v(a).checked_div(v(b)).unwrap_or(0),
        Op::URem { a, b } => v(a).checked_rem(v(b)).unwrap_or(0),
        Op::SDiv { a, b } => {
            let (x, y) = (sx(v(a), w), sx(v(b), w));
            if y == 0 {
                0
            } else {
                x.wrapping_div(y) as u128 & m
            }
        }
        Op::SRem { a, b } => {
            let (x, y) = (sx(v(a), w), sx(v(b), w));
            if y == 0 {
                0
            } else {
                x.wrapping_rem(y) as u128 & m
            }
        }
        Op::And { a, b } => v(a) & v(b),
        Op::Or { a, b } => v(a) | v(b),
        Op::Xor { a, b } => v(a) ^ v(b),
        Op::Shl { a, b } => v(a) << (v(b) as u32 % w) & m,
        Op::LShr { a, b } => v(a) >> (v(b) as u32 % w),
        Op::AShr { a, b } => (sx(v(a), w) >> (v(b) as u32 % w)) as u128 & m,
        Op::Rotl { a, b } => {
            let c = v(b) as u32 % w;
            if c == 0 {
                v(a)
            } else {
                (v(a) << c | v(a) >> (w - c)) & m
            }
        }
        Op::Rotr { a, b } => {
            let c = v(b) as u32 % w;
            if c == 0 {
                v(a)
            } else {
                (v(a) >> c | v(a) << (w - c)) & m
            }
        }
        Op::Not { a } => !v(a) & m,
        Op::Neg { a } => v(a).wrapping_neg() & m,
        Op::Clz { a } => {
            if v(a) == 0 {
                w as u128
            } else {
                (v(a).leading_zeros() - (128 - w)) as u128
            }
        }
        Op::Ctz { a } => {
            if v(a) == 0 {
                w as u128
            } else {
                v(a).trailing_zeros() as u128
            }
        }
        Op::Popcnt { a } => v(a).count_ones() as u128,
        Op::Bswap { a } => swap(v(a), (w / 8) as usize),
        Op::Bitrev { a } => v(a).reverse_bits() >> (128 - w),
        Op::Icmp { cc, a, b } => icmp(cc, v(a), v(b), arg(a).1.bits()) as u128,
        Op::Select { c, a, b } => {
            if v(c) != 0 {
                v(a)
            } else {
                v(b)
            }
        }
        Op::Zext { a } => v(a),
        Op::Sext { a } => sx(v(a), arg(a).1.bits()) as u128 & m,
        Op::Trunc { a } => v(a) & m,
        Op::Bitcast { a } => v(a),
        Op::FAdd { a, b } => fbin(
            ty,
            v(a),
            v(b),
            |x, y| nan32(x, y, x + y),
            |x, y| nan64(x, y, x + y),
        ),
        Op::FSub { a, b } => fbin(
            ty,
            v(a),
            v(b),
            |x, y| nan32(x, y, x - y),
            |x, y| nan64(x, y, x - y),
        ),
        Op::FMul { a, b } => fbin(
            ty,
            v(a),
            v(b),
            |x, y| nan32(x, y, x * y),
            |x, y| nan64(x, y, x * y),
        ),
        Op::FDiv { a, b } => fbin(
            ty,
            v(a),
            v(b),
            |x, y| nan32(x, y, x / y),
            |x, y| nan64(x, y, x / y),
        ),
        Op::FMin { a, b } => fbin(ty, v(a), v(b), fmin32, fmin64),
        Op::FMax { a, b } => fbin(ty, v(a), v(b), fmax32, fmax64),
        Op::FSqrt { a } => fbin(ty, v(a), 0, |x, _| x.sqrt(), |x, _| x.sqrt()),
        Op::FNeg { a } => v(a) ^ (1u128 << (w - 1)),
        Op::FAbs { a } => v(a) & !(1u128 << (w - 1)),
        Op::FRound { mode, a } => fbin(
            ty,
            v(a),
            0,
            |x, _| round32(mode, x),
            |x, _| round64(mode, x),
        ),
        Op::FFma { a, b, c } => {
            if ty == Type::F32 {
                f32v(v(a)).mul_add(f32v(v(b)), f32v(v(c))).to_bits() as u128
            } else {
                f64v(v(a)).mul_add(f64v(v(b)), f64v(v(c))).to_bits() as u128
            }
        }
        Op::Fcmp { cc, a, b } => {
            let t = arg(a).1;
            let (x, y) = if t == Type::F32 {
                (f32v(v(a)) as f64, f32v(v(b)) as f64)
            } else {
                (f64v(v(a)), f64v(v(b)))
            };
            fcmp(cc, x, y) as u128
        }
        Op::FConvert { a } => {
            let from = arg(a).1;
            match (from, ty) {
                (Type::F32, Type::F64) => (f32v(v(a)) as f64).to_bits() as u128,
                (Type::F64, Type::F32) => (f64v(v(a)) as f32).to_bits() as u128,
                _ => v(a),
            }
        }
        Op::FToSInt { a } => {
            let x = if arg(a).1 == Type::F32 {
                f32v(v(a)) as f64
            } else {
                f64v(v(a))
            };
            let (lo, hi) = (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1);
            ((x as i128).clamp(lo, hi) as u128) & m
        }
        Op::FToUInt { a } => {
            let x = if arg(a).1 == Type::F32 {
                f32v(v(a)) as f64
            } else {
                f64v(v(a))
            };
            (x as u128).min(m)
        }
        Op::SIntToF { a } => {
            let x = sx(v(a), arg(a).1.bits()) as i64;
            if ty == Type::F32 {
                (x as f32).to_bits() as u128
            } else {
                (x as f64).to_bits() as u128
            }
        }
        Op::UIntToF { a } => {
            let x = v(a) as u64;
            if ty == Type::F32 {
                (x as f32).to_bits() as u128
            } else {
                (x as f64).to_bits() as u128
            }
        }
        Op::VBinary { op, lane, a, b } => vbinary(op, lane, v(a), v(b)),
        Op::VUnary { op, lane, a } => vunary(op, lane, v(a)),
        Op::VShiftImm { op, lane, a, imm } => {
            let lb = lane.lane_bits();
            vmap(lane, v(a), 0, |x, _| match op {
                VecShift::Shl => x << (imm % lb),
                VecShift::LShr => x >> (imm % lb),
                VecShift::AShr => (sx(x as u128, lb) >> (imm % lb)) as u64,
            })
        }
        Op::VSplat { lane, a } => {
            let lb = lane.lane_bits();
            let x = v(a) & mask(lb);
            (0..lane.lanes()).fold(0u128, |acc, i| acc | x << (i * lb))
        }
        Op::VExtract { lane, idx, a } => {
            let lb = lane.lane_bits();
            v(a) >> (idx as u32 * lb) & mask(lb)
        }
        Op::VInsert { lane, idx, a, b } => {
            let lb = lane.lane_bits();
            let sh = idx as u32 * lb;
            v(a) & !(mask(lb) << sh) | (v(b) & mask(lb)) << sh
        }
        Op::VShuffle { mask: sel, a, b } => {
            let (x, y) = (v(a).to_le_bytes(), v(b).to_le_bytes());
            let mut out = [0u8; 16];
            for (i, &s) in sel.iter().enumerate() {
                let s = s as usize % 32;
                out[i] = if s < 16 { x[s] } else { y[s - 16] };
            }
            u128::from_le_bytes(out)
        }
        _ => return None,
    };
    Some(r)
}

fn fbin(
    ty: Type,
    a: u128,
    b: u128,
    f32op: impl Fn(f32, f32) -> f32,
    f64op: impl Fn(f64, f64) -> f64,
) -> u128 {
    if ty == Type::F32 {
        f32op(f32v(a), f32v(b)).to_bits() as u128
    } else {
        f64op(f64v(a), f64v(b)).to_bits() as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, Exit, Lane, VecOp, VecUnOp, verify};

    /// Evaluates one pure op on constants through a real block run.
    fn eval1(ty: Type, build: impl FnOnce(&mut Builder) -> Value) -> u128 {
        let mut b = Builder::new(0x1000);
        let r = build(&mut b);
        let rt = b.ty(r);
        b.set_reg(16, r);
        let blk = b.finish(Exit::Jump { target: 0x1004 }, 0x1004);
        verify(&blk).unwrap();
        assert_eq!(rt, ty);
        let mut st = vec![0u8; 64];
        let mem = MemWindow {
            base: std::ptr::null_mut(),
            mask: 0,
        };
        // SAFETY: the block does not touch memory.
        let ex = unsafe { run_block(&blk, &mut st, mem, 0) };
        assert_eq!(ex, BlockExit::Jump(0x1004));
        assert_eq!(u64::from_le_bytes(st[0..8].try_into().unwrap()), 0x1004);
        read_le(&st[16..], ty.bytes() as usize)
    }

    fn bin(ty: Type, x: u64, y: u64, f: fn(&mut Builder, Value, Value) -> Value) -> u128 {
        eval1(ty, |b| {
            let a = b.iconst(ty, x);
            let c = b.iconst(ty, y);
            f(b, a, c)
        })
    }

    #[test]
    fn integer_arithmetic() {
        assert_eq!(bin(Type::I32, 0xffff_ffff, 2, Builder::add), 1);
        assert_eq!(bin(Type::I8, 3, 5, Builder::sub), 0xfe);
        assert_eq!(
            bin(Type::I64, u64::MAX, u64::MAX, Builder::umulhi),
            (u64::MAX - 1) as u128
        );
        assert_eq!(bin(Type::I64, u64::MAX, u64::MAX, Builder::smulhi), 0); // -1 * -1 = 1
        assert_eq!(
            bin(Type::I32, (-6i32) as u32 as u64, 4, Builder::smulhi),
            0xffff_ffff
        );
        assert_eq!(bin(Type::I16, 0x8000, 2, Builder::mul), 0);
    }

    #[test]
    fn division_edge_cases() {
        assert_eq!(bin(Type::I32, 7, 0, Builder::udiv), 0);
        assert_eq!(bin(Type::I32, 7, 0, Builder::sdiv), 0);
        assert_eq!(bin(Type::I32, 7, 0, Builder::urem), 0);
        assert_eq!(
            bin(Type::I32, 0x8000_0000, 0xffff_ffff, Builder::sdiv),
            0x8000_0000
        );
        assert_eq!(bin(Type::I32, 0x8000_0000, 0xffff_ffff, Builder::srem), 0);
        assert_eq!(
            bin(Type::I64, (-7i64) as u64, 2, Builder::sdiv),
            (-3i64) as u64 as u128
        );
        assert_eq!(
            bin(Type::I64, (-7i64) as u64, 2, Builder::srem),
            (-1i64) as u64 as u128
        );
        assert_eq!(bin(Type::I8, 200, 7, Builder::udiv), 28);
    }

    #[test]
    fn shifts_take_the_count_modulo_the_width() {
        assert_eq!(bin(Type::I32, 1, 33, Builder::shl), 2);
        assert_eq!(bin(Type::I8, 0x80, 9, Builder::ashr), 0xc0);
        assert_eq!(bin(Type::I16, 0x8000, 17, Builder::lshr), 0x4000);
        assert_eq!(bin(Type::I32, 0x8000_0001, 1, Builder::rotl), 3);
        assert_eq!(bin(Type::I32, 0x8000_0001, 1, Builder::rotr), 0xc000_0000);
        assert_eq!(bin(Type::I64, 0x1234, 64, Builder::rotr), 0x1234);
    }

    #[test]
    fn bit_counts_and_swaps() {
        let un = |ty: Type, x: u64, f: fn(&mut Builder, Value) -> Value| {
            eval1(ty, |b| {
                let a = b.iconst(ty, x);
                f(b, a)
            })
        };
        assert_eq!(un(Type::I32, 0, Builder::clz), 32);
        assert_eq!(un(Type::I16, 1, Builder::clz), 15);
        assert_eq!(un(Type::I64, 0, Builder::ctz), 64);
        assert_eq!(un(Type::I64, 0x100, Builder::ctz), 8);
        assert_eq!(un(Type::I32, 0xf0f0, Builder::popcnt), 8);
        assert_eq!(un(Type::I32, 0x1122_3344, Builder::bswap), 0x4433_2211);
        assert_eq!(un(Type::I16, 1, Builder::bitrev), 0x8000);
        assert_eq!(un(Type::I8, 1, Builder::neg), 0xff);
        assert_eq!(un(Type::I32, 0, Builder::not), 0xffff_ffff);
    }

    #[test]
    fn compares_extends_selects() {
        let cmp = |cc, x, y| {
            eval1(Type::I8, |b| {
                let a = b.iconst(Type::I32, x);
                b.icmp_imm(cc, a, y)
            })
        };
        assert_eq!(cmp(IntCC::Slt, 0xffff_ffff, 0), 1);
        assert_eq!(cmp(IntCC::Ult, 0xffff_ffff, 0), 0);
        assert_eq!(cmp(IntCC::Sge, 5, 5), 1);
        assert_eq!(cmp(IntCC::Ne, 5, 5), 0);
        let s = eval1(Type::I64, |b| {
            let a = b.iconst(Type::I8, 0x80);
            b.sext(Type::I64, a)
        });
        assert_eq!(s, 0xffff_ffff_ffff_ff80);
        let z = eval1(Type::I64, |b| {
            let a = b.iconst(Type::I8, 0x80);
            b.zext(Type::I64, a)
        });
        assert_eq!(z, 0x80);
        let t = eval1(Type::I16, |b| {
            let a = b.const64(0x1234_5678);
            b.trunc(Type::I16, a)
        });
        assert_eq!(t, 0x5678);
        let sel = eval1(Type::I64, |b| {
            let c = b.iconst(Type::I8, 0);
            let x = b.const64(1);
            let y = b.const64(2);
            b.select(c, x, y)
        });
        assert_eq!(sel, 2);
    }

    fn f64op(x: f64, y: f64, f: fn(&mut Builder, Value, Value) -> Value) -> f64 {
        f64::from_bits(eval1(Type::F64, |b| {
            let a = b.f64const(x);
            let c = b.f64const(y);
            f(b, a, c)
        }) as u64)
    }

    #[test]
    fn float_arithmetic_and_min_max() {
        assert_eq!(f64op(1.5, 2.25, Builder::fadd), 3.75);
        assert_eq!(f64op(1.0, 3.0, Builder::fdiv), 1.0 / 3.0);
        assert!(f64op(f64::NAN, 1.0, Builder::fmin).is_nan());
        assert!(f64op(1.0, f64::NAN, Builder::fmax).is_nan());
        assert_eq!(
            f64op(0.0, -0.0, Builder::fmin).to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(f64op(-0.0, 0.0, Builder::fmax).to_bits(), 0.0f64.to_bits());
        assert_eq!(f64op(-3.0, 2.0, Builder::fmin), -3.0);
        let sq = f64::from_bits(eval1(Type::F64, |b| {
            let a = b.f64const(2.0);
            b.fsqrt(a)
        }) as u64);
        assert_eq!(sq, 2f64.sqrt());
        let r = f32::from_bits(eval1(Type::F32, |b| {
            let a = b.f32const(2.5);
            b.fround(RoundMode::Nearest, a)
        }) as u32);
        assert_eq!(r, 2.0);
        let fl = f32::from_bits(eval1(Type::F32, |b| {
            let a = b.f32const(-2.5);
            b.fround(RoundMode::Floor, a)
        }) as u32);
        assert_eq!(fl, -3.0);
    }

    #[test]
    fn float_conversions_saturate() {
        let cvt = |x: f64, ty: Type, signed: bool| {
            eval1(ty, |b| {
                let a = b.f64const(x);
                if signed {
                    b.ftosint(ty, a)
                } else {
                    b.ftouint(ty, a)
                }
            })
        };
        assert_eq!(cvt(f64::NAN, Type::I32, true), 0);
        assert_eq!(cvt(1e20, Type::I32, true), 0x7fff_ffff);
        assert_eq!(cvt(-1e20, Type::I32, true), 0x8000_0000);
        assert_eq!(cvt(-2.9, Type::I64, true), (-2i64) as u64 as u128);
        assert_eq!(cvt(-5.0, Type::I32, false), 0);
        assert_eq!(cvt(1e30, Type::I16, false), 0xffff);
        assert_eq!(cvt(300.7, Type::I8, true), 0x7f);
        let u = eval1(Type::F64, |b| {
            let a = b.const64(u64::MAX);
            b.uinttof(Type::F64, a)
        });
        assert_eq!(f64::from_bits(u as u64), 18446744073709551615.0);
        let s = eval1(Type::F32, |b| {
            let a = b.const32((-3i32) as u32);
            b.sinttof(Type::F32, a)
        });
        assert_eq!(f32::from_bits(s as u32), -3.0);
        let nan_cmp = eval1(Type::I8, |b| {
            let a = b.f64const(f64::NAN);
            let c = b.f64const(1.0);
            b.fcmp(FloatCC::Unordered, a, c)
        });
        assert_eq!(nan_cmp, 1);
    }

    #[test]
    fn vector_lanes() {
        let v = |op, lane, x: u128, y: u128| {
            eval1(Type::V128, |b| {
                let a = b.v128const(x);
                let c = b.v128const(y);
                b.vbinary(op, lane, a, c)
            })
        };
        let a = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0fffu128;
        assert_eq!(v(VecOp::Add, Lane::I8x16, a, 1) & 0xffff, 0x0f00);
        assert_eq!(v(VecOp::AddSatU, Lane::I8x16, a, 1) & 0xffff, 0x0fff);
        assert_eq!(
            v(VecOp::CmpEq, Lane::I32x4, 5 | 7 << 32, 5 | 8 << 32),
            !(0xffff_ffffu128 << 32)
        );
        assert_eq!(v(VecOp::SubSatS, Lane::I16x8, 0x8000, 1) & 0xffff, 0x8000);
        assert_eq!(v(VecOp::MaxS, Lane::I8x16, 0xff, 0x01) & 0xff, 0x01);
        let f = (1.5f64.to_bits() as u128) << 64 | 2.0f64.to_bits() as u128;
        let g = (0.5f64.to_bits() as u128) << 64 | 3.0f64.to_bits() as u128;
        let s = v(VecOp::FMul, Lane::F64x2, f, g);
        assert_eq!(f64::from_bits((s >> 64) as u64), 0.75);
        assert_eq!(f64::from_bits(s as u64), 6.0);
        let sh = eval1(Type::V128, |b| {
            let x = b.v128const(0x8000_0000_0000_0001);
            b.vshift_imm(VecShift::AShr, Lane::I32x4, x, 4)
        });
        assert_eq!(sh, 0xf800_0000_0000_0000);
        let sp = eval1(Type::V128, |b| {
            let x = b.iconst(Type::I16, 0xabcd);
            b.vsplat(Lane::I16x8, x)
        });
        assert_eq!(sp, 0xabcd_abcd_abcd_abcd_abcd_abcd_abcd_abcdu128);
        let ins = eval1(Type::I32, |b| {
            let x = b.v128const(0);
            let s = b.const32(9);
            let y = b.vinsert(Lane::I32x4, 2, x, s);
            b.vextract(Lane::I32x4, 2, y)
        });
        assert_eq!(ins, 9);
        let mut mask = [0u8; 16];
        for (i, m) in mask.iter_mut().enumerate() {
            *m = 16 + i as u8;
        }
        let shuf = eval1(Type::V128, |b| {
            let x = b.v128const(1);
            let y = b.v128const(2);
            b.vshuffle(mask, x, y)
        });
        assert_eq!(shuf, 2);
        let pc = eval1(Type::V128, |b| {
            let x = b.v128const(0xff03);
            b.vunary(VecUnOp::Popcnt, Lane::I8x16, x)
        });
        assert_eq!(pc, 0x0802);
    }

    #[test]
    fn memory_both_endians_and_atomics() {
        let mem = xarch_linux::mem::GuestMemory::reserve(20).unwrap();
        // SAFETY: makes the first page of our own reservation readable and writable.
        let rc =
            unsafe { libc::mprotect(mem.base().cast(), 4096, libc::PROT_READ | libc::PROT_WRITE) };
        assert_eq!(rc, 0);
        let mut b = Builder::new(0);
        let addr = b.const64(0x100 | 1 << 40); // high bits are masked off
        let x = b.const32(0x1122_3344);
        b.store(addr, x, Endian::Big);
        let l = b.load(Type::I32, addr, Endian::Little);
        b.set_reg(8, l);
        let a2 = b.const64(0x200);
        let one = b.const64(5);
        b.store(a2, one, Endian::Little);
        let old = b.atomic_rmw(AtomicOp::Add, a2, one, Endian::Little);
        b.set_reg(16, old);
        let exp = b.const64(10);
        let new = b.const64(77);
        let o2 = b.atomic_cas(a2, exp, new, Endian::Little);
        b.set_reg(24, o2);
        let v = b.load(Type::I64, a2, Endian::Big);
        b.set_reg(32, v);
        let blk = b.finish(Exit::Jump { target: 4 }, 4);
        verify(&blk).unwrap();
        let mut st = vec![0u8; 48];
        // SAFETY: the block touches only the page made accessible above.
        unsafe { run_block(&blk, &mut st, MemWindow::of(&mem), 0) };
        let rd = |o: usize| u64::from_le_bytes(st[o..o + 8].try_into().unwrap());
        assert_eq!(rd(8) as u32, 0x4433_2211);
        assert_eq!(rd(16), 5);
        assert_eq!(rd(24), 10);
        assert_eq!(rd(32), 77u64.swap_bytes());
    }

    #[test]
    fn side_exits_and_branches() {
        let mut b = Builder::new(0);
        let r = b.get_reg(Type::I64, 8);
        let c = b.icmp_imm(IntCC::Eq, r, 3);
        b.exit_if(c, 0x300);
        let one = b.const64(1);
        b.set_reg(8, one);
        let c2 = b.icmp_imm(IntCC::Eq, r, 4);
        let blk = b.finish(
            Exit::Branch {
                cond: c2,
                taken: 0x400,
                not_taken: 0x500,
            },
            4,
        );
        let run = |x: u64| {
            let mut st = vec![0u8; 16];
            st[8..16].copy_from_slice(&x.to_le_bytes());
            // SAFETY: no memory access.
            let e = unsafe {
                run_block(
                    &blk,
                    &mut st,
                    MemWindow {
                        base: std::ptr::null_mut(),
                        mask: 0,
                    },
                    0,
                )
            };
            (e, u64::from_le_bytes(st[8..16].try_into().unwrap()))
        };
        assert_eq!(run(3), (BlockExit::Jump(0x300), 3));
        assert_eq!(run(4), (BlockExit::Jump(0x400), 1));
        assert_eq!(run(5), (BlockExit::Jump(0x500), 1));
    }
}
