//! Lowering: a region of [`ir::Block`]s → one Cranelift function (the hot tier).
//!
//! ```text
//!   [ir::Block] ──► lower_region ──► clif Function (CallConv::Tail) ──► jit.rs: compile, place, link
//!    fn region(state: i64, mem: i64, ctx: i64) -> i64
//! ```
//!
//! A region is a hot block and the warm blocks on loops through it (the engine picks them);
//! each becomes a Cranelift block, and an exit from one member to another is a local jump
//! (after the exit-request check), so a hot loop never leaves the function. In a region with
//! such an edge, the guest registers it uses live in Cranelift variables: loaded at entry,
//! stored back (those that may have changed on the way) where control leaves the function
//! or a helper call looks at the state. A single block without a loop keeps its registers
//! in the state (the `opt` pass has already forwarded them within the block).
//!
//! Every IR value becomes one SSA value. A guest address is mapped as
//! `mem + (addr & ctx.mask)`. Each exit to a constant PC outside the region loads its
//! **exit slot** (a word owned by the JIT): non-zero is the target's code, tail-called with
//! `return_call_indirect`; zero returns the slot's address to the dispatcher, which compiles
//! the target if hot and patches the slot. Indirect exits probe the jump cache in `ctx`.
//! The return value tells the dispatcher why the chain stopped (see [`ret`]).
//!
//! Semantics are the interpreter's (`interp.rs`): division guards, saturating conversions
//! and shift counts modulo the width are spelt out where Cranelift's differ or trap.

use crate::ir::{
    self, AtomicOp, Endian, Exit, FloatCC, IntCC, Lane, Op, RoundMode, Type, VecShift, VecUnOp,
};
use cranelift_codegen::ir::condcodes::{FloatCC as CFloatCC, IntCC as CIntCC};
use cranelift_codegen::ir::types;
use cranelift_codegen::ir::{
    AbiParam, AtomicRmwOp, Endianness, Function, InstBuilder, MemFlagsData, Signature, SourceLoc,
    UserFuncName, Value as CValue,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::AtomicU64;

mod vector;

/// What a compiled chain returns to the dispatcher.
pub mod ret {
    /// The guest PC in the state is where to continue (the dispatcher looks it up).
    pub const DISPATCH: i64 = 0;
    /// A system call; the guest PC is the next instruction.
    pub const SYSCALL: i64 = 1;
    /// A trap: kind and PC are in the context.
    pub const TRAP: i64 = 2;
    /// An indirect exit missed the jump cache; the guest PC is the target.
    pub const INDIRECT: i64 = 3;
    // Any other value is the address of an exit slot to patch (always >= 4096).
}

/// The JIT context every compiled block receives (`ctx` argument), shared with the engine.
#[repr(C)]
pub struct JitCtx {
    pub mask: u64,
    pub trap_kind: u64,
    pub trap_pc: u64,
    pub blocks: u64,
    pub insns: u64,
    pub chain_hits: u64,
    pub jc_hits: u64,
    pub jc_misses: u64,
    /// Non-zero: every block returns to the dispatcher at its entry (set by the fault
    /// handler after a write to a code page, and by whoever needs the guest stopped).
    pub exit_request: u64,
    /// Guest PC of the instruction whose helper call is running (for faults inside helpers).
    pub helper_pc: u64,
    /// Non-zero while compiled code runs (set by the engine around `enter`).
    pub in_jit: u64,
    pub jcache: [JcEntry; JC_SIZE],
}

/// One jump-cache entry: guest PC → host code of a compiled block.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct JcEntry {
    pub pc: u64,
    pub code: u64,
}

/// Entries in the direct-mapped jump cache.
pub const JC_SIZE: usize = 1024;

/// The jump-cache index of a guest PC (mixes in higher bits: x86 code is not 4-aligned).
pub fn jc_index(pc: u64) -> usize {
    ((pc ^ (pc >> 10)) as usize) & (JC_SIZE - 1)
}

const OFF_MASK: i32 = 0;
const OFF_TRAP_KIND: i32 = 8;
const OFF_TRAP_PC: i32 = 16;
const OFF_BLOCKS: i32 = 24;
const OFF_INSNS: i32 = 32;
const OFF_CHAIN: i32 = 40;
const OFF_JC_HITS: i32 = 48;
const OFF_JC_MISSES: i32 = 56;
const OFF_EXIT: i32 = 64;
const OFF_HELPER_PC: i32 = 72;
const OFF_JCACHE: i64 = 88;

// The offsets compiled code uses must be the struct's.
const _: () = {
    use std::mem::offset_of;
    assert!(offset_of!(JitCtx, mask) == OFF_MASK as usize);
    assert!(offset_of!(JitCtx, trap_kind) == OFF_TRAP_KIND as usize);
    assert!(offset_of!(JitCtx, trap_pc) == OFF_TRAP_PC as usize);
    assert!(offset_of!(JitCtx, blocks) == OFF_BLOCKS as usize);
    assert!(offset_of!(JitCtx, insns) == OFF_INSNS as usize);
    assert!(offset_of!(JitCtx, chain_hits) == OFF_CHAIN as usize);
    assert!(offset_of!(JitCtx, jc_hits) == OFF_JC_HITS as usize);
    assert!(offset_of!(JitCtx, jc_misses) == OFF_JC_MISSES as usize);
    assert!(offset_of!(JitCtx, exit_request) == OFF_EXIT as usize);
    assert!(offset_of!(JitCtx, helper_pc) == OFF_HELPER_PC as usize);
    assert!(offset_of!(JitCtx, jcache) == OFF_JCACHE as usize);
};

/// A block's translation-time inputs that are not in the IR.
pub struct LowerParams<'a> {
    pub pc_offset: u32,
    /// Count statistics in the code.
    pub stats: bool,
    /// One slot per constant-target exit, in the order `lower_block` asks for them.
    pub slot_for: &'a mut dyn FnMut(u64) -> &'static AtomicU64,
    /// The calling convention of blocks (`Tail`) and the target's frontend config.
    pub call_conv: CallConv,
    pub frontend: cranelift_codegen::isa::TargetFrontendConfig,
}

/// Why a block cannot be lowered.
#[derive(Debug, thiserror::Error)]
#[error("cannot lower {what}")]
pub struct LowerError {
    pub what: String,
}

fn unsupported(what: impl Into<String>) -> LowerError {
    LowerError { what: what.into() }
}

/// The signature of every block: `(state, mem, ctx) -> i64`.
pub fn block_signature(cc: CallConv) -> Signature {
    let mut sig = Signature::new(cc);
    for _ in 0..3 {
        sig.params.push(AbiParam::new(types::I64));
    }
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

fn clif_type(t: Type) -> types::Type {
    match t {
        Type::I8 => types::I8,
        Type::I16 => types::I16,
        Type::I32 => types::I32,
        Type::I64 => types::I64,
        Type::I128 => types::I128,
        Type::F32 => types::F32,
        Type::F64 => types::F64,
        Type::V128 => types::I8X16,
    }
}

fn lane_type(l: Lane) -> types::Type {
    match l {
        Lane::I8x16 => types::I8X16,
        Lane::I16x8 => types::I16X8,
        Lane::I32x4 => types::I32X4,
        Lane::I64x2 => types::I64X2,
        Lane::F32x4 => types::F32X4,
        Lane::F64x2 => types::F64X2,
    }
}

fn int_cc(cc: IntCC) -> CIntCC {
    match cc {
        IntCC::Eq => CIntCC::Equal,
        IntCC::Ne => CIntCC::NotEqual,
        IntCC::Slt => CIntCC::SignedLessThan,
        IntCC::Sle => CIntCC::SignedLessThanOrEqual,
        IntCC::Sgt => CIntCC::SignedGreaterThan,
        IntCC::Sge => CIntCC::SignedGreaterThanOrEqual,
        IntCC::Ult => CIntCC::UnsignedLessThan,
        IntCC::Ule => CIntCC::UnsignedLessThanOrEqual,
        IntCC::Ugt => CIntCC::UnsignedGreaterThan,
        IntCC::Uge => CIntCC::UnsignedGreaterThanOrEqual,
    }
}

fn float_cc(cc: FloatCC) -> CFloatCC {
    match cc {
        FloatCC::Eq => CFloatCC::Equal,
        FloatCC::Ne => CFloatCC::NotEqual,
        FloatCC::Lt => CFloatCC::LessThan,
        FloatCC::Le => CFloatCC::LessThanOrEqual,
        FloatCC::Gt => CFloatCC::GreaterThan,
        FloatCC::Ge => CFloatCC::GreaterThanOrEqual,
        FloatCC::Unordered => CFloatCC::Unordered,
        FloatCC::Ordered => CFloatCC::Ordered,
    }
}

fn state_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

fn vec_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

struct Lowerer<'a, 'b, 'p> {
    b: FunctionBuilder<'a>,
    /// The region member being lowered.
    block: &'b ir::Block,
    vals: Vec<Option<CValue>>,
    state: CValue,
    mem: CValue,
    ctx: CValue,
    mask: CValue,
    params: LowerParams<'p>,
    /// Guest PC of the instruction being lowered.
    insn_pc: u64,
    tail_sig: cranelift_codegen::ir::SigRef,
    /// Guest PC of each member → its Cranelift block: exits to these are local jumps.
    members: HashMap<u64, cranelift_codegen::ir::Block>,
    /// Guest PC of each member → its place in lowering order, and the place of the member
    /// being lowered: only a jump back (to the same or an earlier member) checks the exit
    /// request, since every loop in the region takes one.
    member_index: HashMap<u64, usize>,
    cur_index: usize,
    /// Guest registers held in SSA variables for the whole region.
    promo: Promotion,
    /// Guest PC of each source location (a source location is an index here).
    srcloc_pcs: Vec<u64>,
}

/// `XARCH_NO_PROMOTION=1` keeps every guest register in memory (for measuring what keeping
/// them in host registers gains).
static NO_PROMOTION: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("XARCH_NO_PROMOTION").is_some_and(|v| v != "0"));

/// Guest state fields the region keeps in Cranelift variables: loaded once at entry, stored
/// back (those the region writes) wherever control leaves the region or calls a helper.
#[derive(Default)]
struct Promotion {
    /// State offset → (variable, its type); ordered so that flushes are deterministic.
    vars: BTreeMap<u32, (Variable, Type)>,
    /// Offsets some member writes.
    written: BTreeSet<u32>,
    /// Offsets whose variable may differ from the state here (written since the region's
    /// entry or the last helper call): what a flush stores.
    dirty: BTreeSet<u32>,
}

impl Promotion {
    /// Picks the fields to promote: every `GetReg`/`SetReg` offset whose accesses are all
    /// integers up to 64 bits (the variable has the widest, narrower accesses are its low
    /// bytes) or all of one type, and that no access at another offset overlaps. The PC,
    /// which exits store directly, stays in memory.
    fn plan(blocks: &[&ir::Block], pc_offset: u32) -> Vec<(u32, Type, bool)> {
        // offset → (types seen, written)
        let mut seen: BTreeMap<u32, (Vec<Type>, bool)> = BTreeMap::new();
        if *NO_PROMOTION {
            return Vec::new();
        }
        for blk in blocks {
            for i in &blk.insts {
                let (off, ty, w) = match i.op {
                    Op::GetReg { off } => (off, blk.ty(i.result.expect("GetReg result")), false),
                    Op::SetReg { off, v } => (off, blk.ty(v), true),
                    _ => continue,
                };
                let e = seen.entry(off).or_default();
                if !e.0.contains(&ty) {
                    e.0.push(ty);
                }
                e.1 |= w;
            }
        }
        // Every accessed span, promoted or not: a field that overlaps another stays in memory.
        let spans: Vec<(u32, u32)> = seen
            .iter()
            .map(|(&off, (tys, _))| {
                let width = tys.iter().map(|t| t.bytes()).max().unwrap_or(1);
                (off, off + width)
            })
            .collect();
        seen.iter()
            .filter_map(|(&off, (tys, w))| {
                let ty = if tys.iter().all(|t| t.is_int() && t.bits() <= 64) {
                    *tys.iter().max_by_key(|t| t.bits())?
                } else if tys.len() == 1 {
                    tys[0]
                } else {
                    return None;
                };
                let end = off + ty.bytes();
                let pc = off < pc_offset + 8 && pc_offset < end;
                let overlap = spans.iter().any(|&(s, e)| s != off && s < end && off < e);
                (!pc && !overlap).then_some((off, ty, *w))
            })
            .collect()
    }
}

/// The constant targets of a block's exits (side exits, then the final exit).
pub fn const_targets(blk: &ir::Block) -> impl Iterator<Item = u64> + '_ {
    let side = blk.insts.iter().filter_map(|i| match i.op {
        Op::ExitIf { target, .. } => Some(target),
        _ => None,
    });
    let end = match blk.exit {
        Exit::Jump { target } => [Some(target), None],
        Exit::Branch {
            taken, not_taken, ..
        } => [Some(taken), Some(not_taken)],
        _ => [None, None],
    };
    side.chain(end.into_iter().flatten())
}

/// Builds the Cranelift function of one block.
pub fn lower_block(block: &ir::Block, params: LowerParams<'_>) -> Result<Function, LowerError> {
    lower_region(&[block], params, &mut FunctionBuilderContext::new()).map(|(f, _)| f)
}

/// Builds one Cranelift function for a region: `blocks[0]` is the entry, the others are
/// blocks it reaches by constant exits. Exits between members are local jumps (with the
/// exit-request check); guest registers live in SSA variables across the region. Gives the
/// function and the guest PC of each source location index. `fctx` is the builder's
/// scratch state, reusable from one call to the next.
pub fn lower_region(
    blocks: &[&ir::Block],
    params: LowerParams<'_>,
    fctx: &mut FunctionBuilderContext,
) -> Result<(Function, Vec<u64>), LowerError> {
    let head = blocks[0];
    let cc = params.call_conv;
    let mut func = Function::with_name_signature(UserFuncName::user(0, 0), block_signature(cc));
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let p = b.block_params(entry).to_vec();
    let (state, mem, ctx) = (p[0], p[1], p[2]);
    let mask = b.ins().load(types::I64, state_flags(), ctx, OFF_MASK);
    let tail_sig = b.import_signature(block_signature(cc));
    // Leave at entry when the engine asked compiled code to stop.
    let req = b.ins().load(types::I64, state_flags(), ctx, OFF_EXIT);
    let stop = b.create_block();
    let body = b.create_block();
    b.ins().brif(req, stop, &[], body, &[]);
    b.seal_block(stop);
    b.seal_block(body);
    b.switch_to_block(stop);
    let here = b.ins().iconst(types::I64, head.pc as i64);
    b.ins()
        .store(state_flags(), here, state, params.pc_offset as i32);
    let r = b.ins().iconst(types::I64, ret::DISPATCH);
    b.ins().return_(&[r]);
    b.switch_to_block(body);
    let mut members = HashMap::new();
    let mut order = Vec::new();
    for blk in blocks {
        if !members.contains_key(&blk.pc) {
            let cb = b.create_block();
            members.insert(blk.pc, cb);
            order.push((*blk, cb));
        }
    }
    // Registers stay in variables only where control stays in the function: across an edge
    // between members. Elsewhere, loading every field at entry and storing at every exit
    // costs more than the block's own accesses.
    let local_edge = blocks
        .iter()
        .any(|blk| const_targets(blk).any(|t| members.contains_key(&t)));
    let mut promo = Promotion::default();
    let plan = if local_edge {
        Promotion::plan(blocks, params.pc_offset)
    } else {
        Vec::new()
    };
    for (off, ty, written) in plan {
        let var = b.declare_var(clif_type(ty));
        promo.vars.insert(off, (var, ty));
        if written {
            promo.written.insert(off);
        }
    }
    let mut l = Lowerer {
        b,
        block: head,
        vals: Vec::new(),
        state,
        mem,
        ctx,
        mask,
        params,
        insn_pc: head.pc,
        tail_sig,
        member_index: order
            .iter()
            .enumerate()
            .map(|(i, (blk, _))| (blk.pc, i))
            .collect(),
        cur_index: 0,
        members,
        promo,
        srcloc_pcs: Vec::new(),
    };
    // Fields that may be dirty at each member's start: those written on some path to it.
    let writes: HashMap<u64, BTreeSet<u32>> = order
        .iter()
        .map(|(blk, _)| {
            let w = blk
                .insts
                .iter()
                .filter_map(|i| match i.op {
                    Op::SetReg { off, .. } if l.promo.vars.contains_key(&off) => Some(off),
                    _ => None,
                })
                .collect();
            (blk.pc, w)
        })
        .collect();
    let mut dirty_in: HashMap<u64, BTreeSet<u32>> = HashMap::new();
    loop {
        let mut changed = false;
        for (blk, _) in &order {
            let mut out = dirty_in.get(&blk.pc).cloned().unwrap_or_default();
            out.extend(writes[&blk.pc].iter().copied());
            for t in const_targets(blk) {
                if l.members.contains_key(&t) {
                    let d = dirty_in.entry(t).or_default();
                    let n = d.len();
                    d.extend(out.iter().copied());
                    changed |= d.len() != n;
                }
            }
        }
        if !changed {
            break;
        }
    }
    l.reload_vars();
    l.b.ins().jump(order[0].1, &[]);
    for (i, (blk, cb)) in order.into_iter().enumerate() {
        l.cur_index = i;
        l.promo.dirty = dirty_in.remove(&blk.pc).unwrap_or_default();
        l.b.switch_to_block(cb);
        l.block = blk;
        l.insn_pc = blk.pc;
        l.vals = vec![None; blk.types.len()];
        if l.params.stats {
            l.bump(OFF_BLOCKS, 1);
            l.bump(OFF_INSNS, blk.guest_insns as i64);
        }
        for inst in &blk.insts {
            l.inst(inst)?;
        }
        l.exit()?;
    }
    l.b.seal_all_blocks();
    let fc = l.params.frontend;
    let pcs = std::mem::take(&mut l.srcloc_pcs);
    l.b.finalize(fc);
    Ok((func, pcs))
}

impl Lowerer<'_, '_, '_> {
    fn v(&self, v: ir::Value) -> CValue {
        self.vals[v.0 as usize].expect("verified IR: defined before use")
    }

    fn ty(&self, v: ir::Value) -> Type {
        self.block.ty(v)
    }

    fn bump(&mut self, off: i32, n: i64) {
        let x = self.b.ins().load(types::I64, state_flags(), self.ctx, off);
        let y = self.b.ins().iadd_imm_s(x, n);
        self.b.ins().store(state_flags(), y, self.ctx, off);
    }

    fn host_addr(&mut self, addr: CValue) -> CValue {
        let a = self.b.ins().band(addr, self.mask);
        self.b.ins().iadd(self.mem, a)
    }

    /// Loads `ty` from guest memory with the given byte order.
    fn load(&mut self, ty: Type, host: CValue, endian: Endian) -> CValue {
        let ct = clif_type(ty);
        if endian == Endian::Little || ty.bytes() == 1 {
            let flags = if ty == Type::V128 {
                vec_flags()
            } else {
                MemFlagsData::new()
            };
            return self.b.ins().load(ct, flags, host, 0);
        }
        let it = clif_type(Type::int(ty.bits()));
        let raw = self.b.ins().load(it, MemFlagsData::new(), host, 0);
        let sw = self.b.ins().bswap(raw);
        self.from_int(ty, sw)
    }

    fn store(&mut self, v: CValue, ty: Type, host: CValue, endian: Endian) {
        if endian == Endian::Little || ty.bytes() == 1 {
            let flags = if ty == Type::V128 {
                vec_flags()
            } else {
                MemFlagsData::new()
            };
            self.b.ins().store(flags, v, host, 0);
            return;
        }
        let i = self.to_int(ty, v);
        let sw = self.b.ins().bswap(i);
        self.b.ins().store(MemFlagsData::new(), sw, host, 0);
    }

    /// The bits of a value as the integer type of its width.
    fn to_int(&mut self, ty: Type, v: CValue) -> CValue {
        if ty.is_int() {
            v
        } else {
            let it = clif_type(Type::int(ty.bits()));
            self.b.ins().bitcast(it, vec_flags(), v)
        }
    }

    fn from_int(&mut self, ty: Type, v: CValue) -> CValue {
        if ty.is_int() {
            v
        } else {
            self.b.ins().bitcast(clif_type(ty), vec_flags(), v)
        }
    }

    fn as_lanes(&mut self, lane: Lane, v: CValue) -> CValue {
        let lt = lane_type(lane);
        if lt == types::I8X16 {
            v
        } else {
            self.b.ins().bitcast(lt, vec_flags(), v)
        }
    }

    fn from_lanes(&mut self, lane: Lane, v: CValue) -> CValue {
        if lane_type(lane) == types::I8X16 {
            v
        } else {
            self.b.ins().bitcast(types::I8X16, vec_flags(), v)
        }
    }

    fn inst(&mut self, inst: &ir::Inst) -> Result<(), LowerError> {
        let rty = inst.result.map(|r| self.ty(r));
        let r = match &inst.op {
            Op::InsnStart { pc } => {
                self.insn_pc = *pc;
                let idx = self.srcloc_pcs.len() as u32;
                self.srcloc_pcs.push(*pc);
                self.b.set_srcloc(SourceLoc::new(idx));
                return Ok(());
            }
            Op::Const { imm } => {
                let ty = rty.expect("const has a type");
                match ty {
                    Type::F32 => self.b.ins().f32const(f32::from_bits(*imm as u32)),
                    Type::F64 => self.b.ins().f64const(f64::from_bits(*imm)),
                    Type::I128 => {
                        let lo = self.b.ins().iconst(types::I64, *imm as i64);
                        self.b.ins().uextend(types::I128, lo)
                    }
                    Type::V128 => self.v128const(*imm as u128),
                    t => self.b.ins().iconst(clif_type(t), *imm as i64),
                }
            }
            Op::ConstV128 { imm } => {
                let v = self.v128const(*imm);
                if rty == Some(Type::I128) {
                    self.b.ins().bitcast(types::I128, vec_flags(), v)
                } else {
                    v
                }
            }
            Op::GetReg { off } => {
                let ty = rty.expect("GetReg has a type");
                if let Some(&(var, vty)) = self.promo.vars.get(off) {
                    let x = self.b.use_var(var);
                    let r = if vty == ty {
                        x
                    } else {
                        self.b.ins().ireduce(clif_type(ty), x)
                    };
                    self.vals[inst.result.expect("GetReg result").0 as usize] = Some(r);
                    return Ok(());
                }
                let flags = if ty == Type::V128 {
                    vec_flags().with_notrap()
                } else {
                    state_flags()
                };
                self.b
                    .ins()
                    .load(clif_type(ty), flags, self.state, *off as i32)
            }
            Op::SetReg { off, v } => {
                if let Some(&(var, vty)) = self.promo.vars.get(off) {
                    let (x, ty) = (self.v(*v), self.ty(*v));
                    let x = if vty == ty {
                        x
                    } else {
                        // A narrower write replaces the low bytes of the field.
                        let keep = !ty.mask() & vty.mask();
                        let old = self.b.use_var(var);
                        let hi = self.b.ins().band_imm_u(old, keep as i64);
                        let lo = self.b.ins().uextend(clif_type(vty), x);
                        self.b.ins().bor(hi, lo)
                    };
                    self.b.def_var(var, x);
                    self.promo.dirty.insert(*off);
                    return Ok(());
                }
                let flags = if self.ty(*v) == Type::V128 {
                    vec_flags().with_notrap()
                } else {
                    state_flags()
                };
                let x = self.v(*v);
                self.b.ins().store(flags, x, self.state, *off as i32);
                return Ok(());
            }
            Op::Load { addr, endian } => {
                let a = self.v(*addr);
                let h = self.host_addr(a);
                self.load(rty.expect("Load has a type"), h, *endian)
            }
            Op::Store { addr, v, endian } => {
                let a = self.v(*addr);
                let h = self.host_addr(a);
                let x = self.v(*v);
                let ty = self.ty(*v);
                self.store(x, ty, h, *endian);
                return Ok(());
            }
            Op::AtomicCas {
                addr,
                expected,
                new,
                endian,
            } => {
                let ty = self.ty(*expected);
                if ty.bits() > 64 && *endian == Endian::Big {
                    return Err(unsupported("a big-endian 128-bit AtomicCas"));
                }
                let a = self.v(*addr);
                let h = self.host_addr(a);
                let (mut e, mut n) = (self.v(*expected), self.v(*new));
                let big = *endian == Endian::Big && ty.bytes() > 1;
                if big {
                    e = self.b.ins().bswap(e);
                    n = self.b.ins().bswap(n);
                }
                let old = self.b.ins().atomic_cas(MemFlagsData::new(), h, e, n);
                if big { self.b.ins().bswap(old) } else { old }
            }
            Op::AtomicRmw {
                op,
                addr,
                v,
                endian,
            } => {
                let ty = self.ty(*v);
                let big = *endian == Endian::Big && ty.bytes() > 1;
                let a = self.v(*addr);
                let h = self.host_addr(a);
                let mut x = self.v(*v);
                let cop = match op {
                    AtomicOp::Add => AtomicRmwOp::Add,
                    AtomicOp::AndNot => {
                        x = self.b.ins().bnot(x);
                        AtomicRmwOp::And
                    }
                    AtomicOp::And => AtomicRmwOp::And,
                    AtomicOp::Or => AtomicRmwOp::Or,
                    AtomicOp::Xor => AtomicRmwOp::Xor,
                    AtomicOp::Xchg => AtomicRmwOp::Xchg,
                    AtomicOp::SMax => AtomicRmwOp::Smax,
                    AtomicOp::SMin => AtomicRmwOp::Smin,
                    AtomicOp::UMax => AtomicRmwOp::Umax,
                    AtomicOp::UMin => AtomicRmwOp::Umin,
                };
                let bitwise = matches!(
                    cop,
                    AtomicRmwOp::And | AtomicRmwOp::Or | AtomicRmwOp::Xor | AtomicRmwOp::Xchg
                );
                if big && !bitwise {
                    return Err(unsupported("an arithmetic big-endian AtomicRmw"));
                }
                if big {
                    x = self.b.ins().bswap(x);
                }
                let old = self
                    .b
                    .ins()
                    .atomic_rmw(clif_type(ty), MemFlagsData::new(), cop, h, x);
                if big { self.b.ins().bswap(old) } else { old }
            }
            Op::Fence {} => {
                self.b.ins().fence();
                return Ok(());
            }
            Op::Add { a, b } => self.bin(*a, *b, |i, x, y| i.ins().iadd(x, y)),
            Op::Sub { a, b } => self.bin(*a, *b, |i, x, y| i.ins().isub(x, y)),
            Op::Mul { a, b } => self.bin(*a, *b, |i, x, y| i.ins().imul(x, y)),
            Op::UMulHi { a, b } => self.bin(*a, *b, |i, x, y| i.ins().umulhi(x, y)),
            Op::SMulHi { a, b } => self.bin(*a, *b, |i, x, y| i.ins().smulhi(x, y)),
            Op::And { a, b } => self.bin(*a, *b, |i, x, y| i.ins().band(x, y)),
            Op::Or { a, b } => self.bin(*a, *b, |i, x, y| i.ins().bor(x, y)),
            Op::Xor { a, b } => self.bin(*a, *b, |i, x, y| i.ins().bxor(x, y)),
            Op::Shl { a, b } => self.bin(*a, *b, |i, x, y| i.ins().ishl(x, y)),
            Op::LShr { a, b } => self.bin(*a, *b, |i, x, y| i.ins().ushr(x, y)),
            Op::AShr { a, b } => self.bin(*a, *b, |i, x, y| i.ins().sshr(x, y)),
            Op::Rotl { a, b } => self.bin(*a, *b, |i, x, y| i.ins().rotl(x, y)),
            Op::Rotr { a, b } => self.bin(*a, *b, |i, x, y| i.ins().rotr(x, y)),
            Op::UDiv { a, b } | Op::URem { a, b } | Op::SDiv { a, b } | Op::SRem { a, b } => {
                self.div(&inst.op, *a, *b)
            }
            Op::Not { a } => self.un(*a, |i, x| i.ins().bnot(x)),
            Op::Neg { a } => self.un(*a, |i, x| i.ins().ineg(x)),
            Op::Clz { a } => self.un(*a, |i, x| i.ins().clz(x)),
            Op::Ctz { a } => self.un(*a, |i, x| i.ins().ctz(x)),
            Op::Popcnt { a } => self.un(*a, |i, x| i.ins().popcnt(x)),
            Op::Bswap { a } => {
                if self.ty(*a) == Type::I8 {
                    self.v(*a)
                } else {
                    self.un(*a, |i, x| i.ins().bswap(x))
                }
            }
            Op::Bitrev { a } => self.un(*a, |i, x| i.ins().bitrev(x)),
            Op::Icmp { cc, a, b } => {
                let (x, y) = (self.v(*a), self.v(*b));
                self.b.ins().icmp(int_cc(*cc), x, y)
            }
            Op::Select { c, a, b } => {
                let (c, x, y) = (self.v(*c), self.v(*a), self.v(*b));
                self.b.ins().select(c, x, y)
            }
            Op::Zext { a } => {
                let x = self.v(*a);
                self.b.ins().uextend(clif_type(rty.expect("typed")), x)
            }
            Op::Sext { a } => {
                let x = self.v(*a);
                self.b.ins().sextend(clif_type(rty.expect("typed")), x)
            }
            Op::Trunc { a } => {
                let x = self.v(*a);
                self.b.ins().ireduce(clif_type(rty.expect("typed")), x)
            }
            Op::Bitcast { a } => {
                let x = self.v(*a);
                let (from, to) = (clif_type(self.ty(*a)), clif_type(rty.expect("typed")));
                if from == to {
                    x
                } else {
                    self.b.ins().bitcast(to, vec_flags(), x)
                }
            }
            Op::FAdd { a, b } => self.bin(*a, *b, |i, x, y| i.ins().fadd(x, y)),
            Op::FSub { a, b } => self.bin(*a, *b, |i, x, y| i.ins().fsub(x, y)),
            Op::FMul { a, b } => self.bin(*a, *b, |i, x, y| i.ins().fmul(x, y)),
            Op::FDiv { a, b } => self.bin(*a, *b, |i, x, y| i.ins().fdiv(x, y)),
            Op::FMin { a, b } => {
                let r = self.bin(*a, *b, |i, x, y| i.ins().fmin(x, y));
                self.default_nan(r)
            }
            Op::FMax { a, b } => {
                let r = self.bin(*a, *b, |i, x, y| i.ins().fmax(x, y));
                self.default_nan(r)
            }
            Op::FSqrt { a } => self.un(*a, |i, x| i.ins().sqrt(x)),
            Op::FNeg { a } => self.un(*a, |i, x| i.ins().fneg(x)),
            Op::FAbs { a } => self.un(*a, |i, x| i.ins().fabs(x)),
            Op::FRound { mode, a } => match mode {
                RoundMode::Nearest => self.un(*a, |i, x| i.ins().nearest(x)),
                RoundMode::Floor => self.un(*a, |i, x| i.ins().floor(x)),
                RoundMode::Ceil => self.un(*a, |i, x| i.ins().ceil(x)),
                RoundMode::Trunc => self.un(*a, |i, x| i.ins().trunc(x)),
            },
            Op::FFma { a, b, c } => {
                let (x, y, z) = (self.v(*a), self.v(*b), self.v(*c));
                self.b.ins().fma(x, y, z)
            }
            Op::Fcmp { cc, a, b } => {
                let (x, y) = (self.v(*a), self.v(*b));
                self.b.ins().fcmp(float_cc(*cc), x, y)
            }
            Op::FConvert { a } => {
                let x = self.v(*a);
                match (self.ty(*a), rty.expect("typed")) {
                    (Type::F32, Type::F64) => self.b.ins().fpromote(types::F64, x),
                    (Type::F64, Type::F32) => self.b.ins().fdemote(types::F32, x),
                    _ => x,
                }
            }
            Op::FToSInt { a } | Op::FToUInt { a } => {
                let signed = matches!(inst.op, Op::FToSInt { .. });
                self.ftoint(signed, *a, rty.expect("typed"))
            }
            Op::SIntToF { a } | Op::UIntToF { a } => {
                let signed = matches!(inst.op, Op::SIntToF { .. });
                let (from, to) = (self.ty(*a), clif_type(rty.expect("typed")));
                let x = self.v(*a);
                if from == Type::I64 {
                    if signed {
                        self.b.ins().fcvt_from_sint(to, x)
                    } else {
                        self.b.ins().fcvt_from_uint(to, x)
                    }
                } else {
                    // Narrower sources fit an i64 exactly either way.
                    let w = if signed {
                        self.b.ins().sextend(types::I64, x)
                    } else {
                        self.b.ins().uextend(types::I64, x)
                    };
                    self.b.ins().fcvt_from_sint(to, w)
                }
            }
            Op::VBinary { op, lane, a, b } => self.vbinary(*op, *lane, *a, *b)?,
            Op::VUnary { op, lane, a } => {
                let lane = if *op == VecUnOp::Popcnt {
                    Lane::I8x16
                } else {
                    *lane
                };
                let x = self.v(*a);
                let x = self.as_lanes(lane, x);
                let r = match op {
                    VecUnOp::Not => self.b.ins().bnot(x),
                    VecUnOp::Neg => self.b.ins().ineg(x),
                    VecUnOp::Abs => self.b.ins().iabs(x),
                    VecUnOp::Popcnt => self.b.ins().popcnt(x),
                    VecUnOp::FNeg => self.b.ins().fneg(x),
                    VecUnOp::FAbs => self.b.ins().fabs(x),
                    VecUnOp::FSqrt => self.b.ins().sqrt(x),
                };
                self.from_lanes(lane, r)
            }
            Op::VShiftImm { op, lane, a, imm } => {
                let x = self.v(*a);
                let x = self.as_lanes(*lane, x);
                let n = self
                    .b
                    .ins()
                    .iconst(types::I32, (*imm % lane.lane_bits()) as i64);
                let r = match op {
                    VecShift::Shl => self.b.ins().ishl(x, n),
                    VecShift::LShr => self.b.ins().ushr(x, n),
                    VecShift::AShr => self.b.ins().sshr(x, n),
                };
                self.from_lanes(*lane, r)
            }
            Op::VSplat { lane, a } => {
                let x = self.v(*a);
                let r = self.b.ins().splat(lane_type(*lane), x);
                self.from_lanes(*lane, r)
            }
            Op::VExtract { lane, idx, a } => {
                let x = self.v(*a);
                let x = self.as_lanes(*lane, x);
                self.b.ins().extractlane(x, *idx)
            }
            Op::VInsert { lane, idx, a, b } => {
                let (x, y) = (self.v(*a), self.v(*b));
                let x = self.as_lanes(*lane, x);
                let r = self.b.ins().insertlane(x, y, *idx);
                self.from_lanes(*lane, r)
            }
            Op::VShuffle { mask, a, b } => {
                let (x, y) = (self.v(*a), self.v(*b));
                let m: Vec<u8> = mask.iter().map(|i| i % 32).collect();
                let imm = self.b.func.dfg.immediates.push(m.into());
                self.b.ins().shuffle(x, y, imm)
            }
            Op::CallHelper { helper, args } => {
                let mut sig = Signature::new(CallConv::SystemV);
                for _ in 0..6 {
                    sig.params.push(AbiParam::new(types::I64));
                }
                sig.returns.push(AbiParam::new(types::I64));
                let sref = self.b.import_signature(sig);
                let f = self.b.ins().iconst(types::I64, helper.func as usize as i64);
                let mut cargs = vec![self.state, self.mem];
                for a in args {
                    cargs.push(self.v(*a));
                }
                while cargs.len() < 6 {
                    let z = self.b.ins().iconst(types::I64, 0);
                    cargs.push(z);
                }
                // A fault inside the helper is reported at this instruction.
                let here = self.b.ins().iconst(types::I64, self.insn_pc as i64);
                self.b
                    .ins()
                    .store(state_flags(), here, self.ctx, OFF_HELPER_PC);
                // The helper sees and may change the whole state.
                self.flush();
                let call = self.b.ins().call_indirect(sref, f, &cargs);
                let r = self.b.inst_results(call)[0];
                self.reload_vars();
                self.promo.dirty.clear();
                r
            }
            Op::CallHelperReadOnly { helper, args } => {
                // The helper reads the state: it must see the registers held in variables.
                // It writes nothing and cannot fault, so they stay valid after it (no reload)
                // and no helper PC is needed.
                self.flush();
                self.promo.dirty.clear();
                let sref = self.helper_sig();
                let f = self.b.ins().iconst(types::I64, helper.func as usize as i64);
                let mut cargs = vec![self.state, self.mem];
                for a in args {
                    cargs.push(self.v(*a));
                }
                while cargs.len() < 6 {
                    let z = self.b.ins().iconst(types::I64, 0);
                    cargs.push(z);
                }
                let call = self.b.ins().call_indirect(sref, f, &cargs);
                self.b.inst_results(call)[0]
            }
            Op::CallHelperIf {
                cond,
                default,
                helper,
                args,
            } => {
                // The call, with its flush and reload, only on the taken side; the fields
                // dirty before stay dirty after (the other side flushed nothing).
                let c = self.v(*cond);
                let d = self.v(*default);
                let mut cargs = vec![self.state, self.mem];
                for a in args {
                    cargs.push(self.v(*a));
                }
                let call_blk = self.b.create_block();
                let join = self.b.create_block();
                let r = self.b.append_block_param(join, types::I64);
                self.b.ins().brif(c, call_blk, &[], join, &[d.into()]);
                self.b.seal_block(call_blk);
                self.b.switch_to_block(call_blk);
                let mut sig = Signature::new(CallConv::SystemV);
                for _ in 0..6 {
                    sig.params.push(AbiParam::new(types::I64));
                }
                sig.returns.push(AbiParam::new(types::I64));
                let sref = self.b.import_signature(sig);
                let f = self.b.ins().iconst(types::I64, helper.func as usize as i64);
                while cargs.len() < 6 {
                    let z = self.b.ins().iconst(types::I64, 0);
                    cargs.push(z);
                }
                let here = self.b.ins().iconst(types::I64, self.insn_pc as i64);
                self.b
                    .ins()
                    .store(state_flags(), here, self.ctx, OFF_HELPER_PC);
                self.flush();
                let call = self.b.ins().call_indirect(sref, f, &cargs);
                let res = self.b.inst_results(call)[0];
                self.reload_vars();
                self.b.ins().jump(join, &[res.into()]);
                self.b.seal_block(join);
                self.b.switch_to_block(join);
                r
            }
            Op::ExitIf { cond, target } => {
                let c = self.v(*cond);
                let exit = self.b.create_block();
                let cont = self.b.create_block();
                self.b.ins().brif(c, exit, &[], cont, &[]);
                self.b.seal_block(exit);
                self.b.seal_block(cont);
                self.b.switch_to_block(exit);
                self.direct_exit(*target);
                self.b.switch_to_block(cont);
                return Ok(());
            }
        };
        if let Some(res) = inst.result {
            self.vals[res.0 as usize] = Some(r);
        }
        Ok(())
    }

    /// Replaces a NaN result (lane) by the default NaN: Cranelift's `fmin`/`fmax` leave the
    /// NaN's sign and payload unspecified, the IR pins them.
    fn default_nan(&mut self, r: CValue) -> CValue {
        let t = self.b.func.dfg.value_type(r);
        let uno = self.b.ins().fcmp(CFloatCC::Unordered, r, r);
        if t == types::F32 {
            let n = self.b.ins().f32const(f32::from_bits(0x7fc0_0000));
            self.b.ins().select(uno, n, r)
        } else if t == types::F64 {
            let n = self.b.ins().f64const(f64::from_bits(0x7ff8_0000_0000_0000));
            self.b.ins().select(uno, n, r)
        } else {
            let lane: u128 = if t == types::F32X4 {
                0x7fc0_0000
            } else {
                0x7ff8_0000_0000_0000
            };
            let bits = if t == types::F32X4 { 32 } else { 64 };
            let splat = (0..128 / bits).fold(0u128, |acc, k| acc | lane << (k * bits));
            let n = self.v128const(splat);
            let n = self.b.ins().bitcast(t, vec_flags(), n);
            let m = self.b.ins().bitcast(t, vec_flags(), uno);
            self.b.ins().bitselect(m, n, r)
        }
    }

    fn v128const(&mut self, imm: u128) -> CValue {
        let c = self
            .b
            .func
            .dfg
            .constants
            .insert(imm.to_le_bytes().to_vec().into());
        self.b.ins().vconst(types::I8X16, c)
    }

    fn bin(
        &mut self,
        a: ir::Value,
        b: ir::Value,
        f: impl FnOnce(&mut FunctionBuilder, CValue, CValue) -> CValue,
    ) -> CValue {
        let (x, y) = (self.v(a), self.v(b));
        f(&mut self.b, x, y)
    }

    fn un(
        &mut self,
        a: ir::Value,
        f: impl FnOnce(&mut FunctionBuilder, CValue) -> CValue,
    ) -> CValue {
        let x = self.v(a);
        f(&mut self.b, x)
    }

    /// Division with the IR's rules: by zero gives 0, `MIN / -1` gives MIN (`% -1` gives 0).
    /// The divisor is replaced by 1 where the host would trap, and the result fixed after.
    fn div(&mut self, op: &Op, a: ir::Value, b: ir::Value) -> CValue {
        let ty = self.ty(a);
        let ct = clif_type(ty);
        let (x, y) = (self.v(a), self.v(b));
        let zero = self.b.ins().iconst(ct, 0);
        let one = self.b.ins().iconst(ct, 1);
        let is_zero = self.b.ins().icmp(CIntCC::Equal, y, zero);
        let signed = matches!(op, Op::SDiv { .. } | Op::SRem { .. });
        let bad = if signed {
            let min = self.b.ins().iconst(ct, (1u64 << (ty.bits() - 1)) as i64);
            let m1 = self.b.ins().iconst(ct, -1);
            let a_min = self.b.ins().icmp(CIntCC::Equal, x, min);
            let b_m1 = self.b.ins().icmp(CIntCC::Equal, y, m1);
            let ovf = self.b.ins().band(a_min, b_m1);
            self.b.ins().bor(is_zero, ovf)
        } else {
            is_zero
        };
        let safe = self.b.ins().select(bad, one, y);
        let q = match op {
            Op::UDiv { .. } => self.b.ins().udiv(x, safe),
            Op::URem { .. } => self.b.ins().urem(x, safe),
            Op::SDiv { .. } => self.b.ins().sdiv(x, safe),
            _ => self.b.ins().srem(x, safe),
        };
        self.b.ins().select(is_zero, zero, q)
    }

    fn ftoint(&mut self, signed: bool, a: ir::Value, to: Type) -> CValue {
        let x = self.v(a);
        if to.bits() >= 32 {
            let ct = clif_type(to);
            return if signed {
                self.b.ins().fcvt_to_sint_sat(ct, x)
            } else {
                self.b.ins().fcvt_to_uint_sat(ct, x)
            };
        }
        // i8/i16: saturate to i32, then clamp to the narrow range.
        let (lo, hi) = if signed {
            (-(1i64 << (to.bits() - 1)), (1i64 << (to.bits() - 1)) - 1)
        } else {
            (0, (1i64 << to.bits()) - 1)
        };
        let w = if signed {
            self.b.ins().fcvt_to_sint_sat(types::I32, x)
        } else {
            self.b.ins().fcvt_to_uint_sat(types::I32, x)
        };
        let hi_c = self.b.ins().iconst(types::I32, hi);
        let r = if signed {
            let lo_c = self.b.ins().iconst(types::I32, lo);
            let t = self.b.ins().smin(w, hi_c);
            self.b.ins().smax(t, lo_c)
        } else {
            self.b.ins().umin(w, hi_c)
        };
        self.b.ins().ireduce(clif_type(to), r)
    }

    /// Stores the promoted fields the region writes back to the state (before control
    /// leaves the region or a helper looks at the state).
    fn flush(&mut self) {
        let written: Vec<(Variable, Type, u32)> = self
            .promo
            .dirty
            .iter()
            .map(|off| {
                let (var, ty) = self.promo.vars[off];
                (var, ty, *off)
            })
            .collect();
        for (var, ty, off) in written {
            let x = self.b.use_var(var);
            let flags = if ty == Type::V128 {
                vec_flags().with_notrap()
            } else {
                state_flags()
            };
            self.b.ins().store(flags, x, self.state, off as i32);
        }
    }

    /// (Re)loads every promoted field from the state.
    fn reload_vars(&mut self) {
        let vars: Vec<(u32, Variable, Type)> = self
            .promo
            .vars
            .iter()
            .map(|(&o, &(v, t))| (o, v, t))
            .collect();
        for (off, var, ty) in vars {
            let flags = if ty == Type::V128 {
                vec_flags().with_notrap()
            } else {
                state_flags()
            };
            let x = self
                .b
                .ins()
                .load(clif_type(ty), flags, self.state, off as i32);
            self.b.def_var(var, x);
        }
    }

    /// The signature of helper calls: System V, `(state, mem, a, b, c, d) -> i64`.
    fn helper_sig(&mut self) -> cranelift_codegen::ir::SigRef {
        let mut sig = Signature::new(CallConv::SystemV);
        for _ in 0..6 {
            sig.params.push(AbiParam::new(types::I64));
        }
        sig.returns.push(AbiParam::new(types::I64));
        self.b.import_signature(sig)
    }

    fn store_pc(&mut self, pc: CValue) {
        self.b
            .ins()
            .store(state_flags(), pc, self.state, self.params.pc_offset as i32);
    }

    fn ret(&mut self, code: i64) {
        let c = self.b.ins().iconst(types::I64, code);
        self.b.ins().return_(&[c]);
    }

    /// Leaves for a constant guest PC: through the exit slot when it holds code, else back to
    /// the dispatcher with the slot's address (PC stored first).
    fn direct_exit(&mut self, target: u64) {
        if let Some(&dest) = self.members.get(&target) {
            if self.member_index[&target] > self.cur_index {
                // Forward: no loop closes here.
                self.b.ins().jump(dest, &[]);
                return;
            }
            // A region member: a local jump, unless the engine asked compiled code to stop.
            let req = self
                .b
                .ins()
                .load(types::I64, state_flags(), self.ctx, OFF_EXIT);
            let stop = self.b.create_block();
            self.b.ins().brif(req, stop, &[], dest, &[]);
            self.b.switch_to_block(stop);
            self.flush();
            let t = self.b.ins().iconst(types::I64, target as i64);
            self.store_pc(t);
            self.ret(ret::DISPATCH);
            return;
        }
        self.flush();
        let slot = (self.params.slot_for)(target) as *const AtomicU64 as i64;
        let s = self.b.ins().iconst(types::I64, slot);
        let code = self.b.ins().load(types::I64, state_flags(), s, 0);
        let chain = self.b.create_block();
        let back = self.b.create_block();
        self.b.ins().brif(code, chain, &[], back, &[]);
        self.b.seal_block(chain);
        self.b.seal_block(back);
        self.b.switch_to_block(chain);
        if self.params.stats {
            self.bump(OFF_CHAIN, 1);
        }
        let args = [self.state, self.mem, self.ctx];
        self.b
            .ins()
            .return_call_indirect(self.tail_sig, code, &args);
        self.b.switch_to_block(back);
        let t = self.b.ins().iconst(types::I64, target as i64);
        self.store_pc(t);
        self.b.ins().return_(&[s]);
    }

    fn exit(&mut self) -> Result<(), LowerError> {
        match &self.block.exit {
            Exit::Jump { target } => self.direct_exit(*target),
            Exit::Branch {
                cond,
                taken,
                not_taken,
            } => {
                let c = self.v(*cond);
                let t = self.b.create_block();
                let n = self.b.create_block();
                self.b.ins().brif(c, t, &[], n, &[]);
                self.b.seal_block(t);
                self.b.seal_block(n);
                self.b.switch_to_block(t);
                self.direct_exit(*taken);
                self.b.switch_to_block(n);
                self.direct_exit(*not_taken);
            }
            Exit::Indirect { target } => {
                self.flush();
                let t = self.v(*target);
                let t = match self.ty(*target) {
                    Type::I64 => t,
                    Type::I128 => self.b.ins().ireduce(types::I64, t),
                    _ => self.b.ins().uextend(types::I64, t),
                };
                self.store_pc(t);
                // idx = (t ^ (t >> 10)) & (JC_SIZE - 1); entry = ctx + OFF_JCACHE + idx * 16
                let sh = self.b.ins().ushr_imm_u(t, 10);
                let mix = self.b.ins().bxor(t, sh);
                let idx = self.b.ins().band_imm_u(mix, (JC_SIZE - 1) as i64);
                let off = self.b.ins().ishl_imm_u(idx, 4);
                let e = self.b.ins().iadd(self.ctx, off);
                let epc = self
                    .b
                    .ins()
                    .load(types::I64, state_flags(), e, OFF_JCACHE as i32);
                let hit = self.b.ins().icmp(CIntCC::Equal, epc, t);
                let yes = self.b.create_block();
                let no = self.b.create_block();
                self.b.ins().brif(hit, yes, &[], no, &[]);
                self.b.seal_block(yes);
                self.b.seal_block(no);
                self.b.switch_to_block(yes);
                if self.params.stats {
                    self.bump(OFF_JC_HITS, 1);
                }
                let code = self
                    .b
                    .ins()
                    .load(types::I64, state_flags(), e, OFF_JCACHE as i32 + 8);
                let args = [self.state, self.mem, self.ctx];
                self.b
                    .ins()
                    .return_call_indirect(self.tail_sig, code, &args);
                self.b.switch_to_block(no);
                if self.params.stats {
                    self.bump(OFF_JC_MISSES, 1);
                }
                self.ret(ret::INDIRECT);
            }
            Exit::Syscall { next } => {
                self.flush();
                let t = self.b.ins().iconst(types::I64, *next as i64);
                self.store_pc(t);
                self.ret(ret::SYSCALL);
            }
            Exit::Trap { kind, pc } => {
                self.flush();
                let t = self.b.ins().iconst(types::I64, *pc as i64);
                self.store_pc(t);
                let k = self.b.ins().iconst(types::I64, trap_code(*kind) as i64);
                self.b
                    .ins()
                    .store(state_flags(), k, self.ctx, OFF_TRAP_KIND);
                self.b.ins().store(state_flags(), t, self.ctx, OFF_TRAP_PC);
                self.ret(ret::TRAP);
            }
        }
        Ok(())
    }
}

/// Trap kinds as stored in the context.
pub fn trap_code(k: ir::TrapKind) -> u64 {
    match k {
        ir::TrapKind::Undefined => 0,
        ir::TrapKind::Unimplemented => 1,
        ir::TrapKind::Breakpoint => 2,
        ir::TrapKind::DivideError => 3,
    }
}

pub fn trap_kind(code: u64) -> ir::TrapKind {
    match code {
        0 => ir::TrapKind::Undefined,
        2 => ir::TrapKind::Breakpoint,
        3 => ir::TrapKind::DivideError,
        _ => ir::TrapKind::Unimplemented,
    }
}
