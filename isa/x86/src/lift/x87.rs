//! x87 FPU (SDM Vol. 1, chapter 8): only the control/status word instructions glibc's printf
//! and startup reach are implemented; arithmetic on the register stack is not (it traps as
//! unimplemented with the instruction's disassembly).

use super::{Ctx, Step};
use crate::decode::Rm;
use crate::state::X86State;
use std::mem::offset_of;
use xarch_translator::ir::Type;

const FCW: u32 = (offset_of!(X86State, x87) + offset_of!(crate::state::X87State, fcw)) as u32;
const FSW: u32 = (offset_of!(X86State, x87) + offset_of!(crate::state::X87State, fsw)) as u32;
const TOP: u32 = (offset_of!(X86State, x87) + offset_of!(crate::state::X87State, top)) as u32;

impl Ctx {
    /// FSW with TOP in bits 11–13.
    fn fsw(&mut self) -> xarch_translator::ir::Value {
        let sw = self.b.get_reg(Type::I16, FSW);
        let top = self.b.get_reg(Type::I32, TOP);
        let top = self.b.trunc(Type::I16, top);
        let top = self.b.and_imm(top, 7);
        let sh = self.b.iconst(Type::I16, 11);
        let top = self.b.shl(top, sh);
        let sw = self.b.and_imm(sw, !0x3800u64 & 0xffff);
        self.b.or(sw, top)
    }
}

pub(crate) fn lift_primary(cx: &mut Ctx) -> Step {
    let i = cx.insn;
    match (i.opcode, i.rm) {
        // FWAIT: no pending x87 exceptions to deliver.
        (0x9b, _) => Step::Next,
        // FNSTCW m16 / FLDCW m16.
        (0xd9, Some(Rm::Mem(m))) if i.ext() == 7 => {
            let a = cx.addr(&m);
            let v = cx.b.get_reg(Type::I16, FCW);
            cx.store(a, v);
            Step::Next
        }
        (0xd9, Some(Rm::Mem(m))) if i.ext() == 5 => {
            let a = cx.addr(&m);
            let v = cx.load(Type::I16, a);
            cx.b.set_reg(FCW, v);
            Step::Next
        }
        // FNSTSW m16 / FNSTSW AX.
        (0xdd, Some(Rm::Mem(m))) if i.ext() == 7 => {
            let a = cx.addr(&m);
            let v = cx.fsw();
            cx.store(a, v);
            Step::Next
        }
        (0xdf, Some(Rm::Reg(0))) if i.ext() == 4 => {
            let v = cx.fsw();
            cx.set_gpr(0, 16, v);
            Step::Next
        }
        // FNINIT.
        (0xdb, Some(Rm::Reg(3))) if i.ext() == 4 => {
            let cw = cx.b.iconst(Type::I16, 0x37f);
            cx.b.set_reg(FCW, cw);
            let z = cx.b.iconst(Type::I16, 0);
            cx.b.set_reg(FSW, z);
            let z = cx.b.const32(0);
            cx.b.set_reg(TOP, z);
            Step::Next
        }
        _ => Step::Unimplemented,
    }
}
