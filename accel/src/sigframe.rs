//! The x86-64 `rt_sigframe` for the KVM path, written from vCPU registers and the vCPU's
//! XSAVE area, as Linux writes it (arch/x86/kernel/signal_64.c, fpu/signal.c).
//!
//! ```text
//!  new rsp ─► +0    pretcode (sa_restorer)
//!             +8    ucontext { uc_flags, uc_link, uc_stack, uc_mcontext (sigcontext),
//!                              uc_sigmask }                      (xarch_isa_x86::signal)
//!             +312  siginfo
//!  below the 128-byte red zone, 64-aligned: fpstate = the XSAVE area (standard format, its
//!  first 512 bytes the FXSAVE image, sw_reserved with FP_XSTATE_MAGIC1) + FP_XSTATE_MAGIC2
//! ```
//!
//! The offsets of the ucontext come from the DBT's x86 frame writer; the fpstate here is the
//! real XSAVE area (AVX, AVX-512 state included) because under kvm_pvm the program sees the
//! host's CPUID and XCR0 and uses those registers. Without KVM_CAP_XSAVE the fpstate is the
//! 512-byte FXSAVE image alone, as Linux writes it on a CPU without XSAVE.

use kvm_bindings::kvm_regs;
use xarch_isa_x86::signal::{FRAME_SIZE, INFO, MCONTEXT, SC_ORDER, SIGMASK, UC, USER_FLAGS};
use xarch_linux::AddressSpace;

/// sigcontext fields after the 16 general registers (arch/x86/include/uapi/asm/sigcontext.h).
const SC_RIP: u64 = MCONTEXT + 128;
const SC_FLAGS: u64 = MCONTEXT + 136;
const SC_CS: u64 = MCONTEXT + 144;
const SC_SS: u64 = MCONTEXT + 150;
const SC_ERR: u64 = MCONTEXT + 152;
const SC_TRAPNO: u64 = MCONTEXT + 160;
const SC_OLDMASK: u64 = MCONTEXT + 168;
const SC_CR2: u64 = MCONTEXT + 176;
const SC_FPSTATE: u64 = MCONTEXT + 184;

/// uc_flags: the frame has an XSAVE fpstate; the sigcontext's SS is meaningful.
const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;

const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// `struct _fpx_sw_bytes` inside the FXSAVE image's software-reserved bytes.
const SW_BYTES: usize = 464;
/// The XSAVE header (XSTATE_BV, XCOMP_BV).
const XSAVE_HEADER: usize = 512;
/// RFLAGS.DF and TF, cleared for the handler.
const DF_TF: u64 = 0x400 | 0x100;

/// The layout of the guest's XSAVE state: size for its enabled features and XCR0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Xstate {
    pub size: u32,
    pub features: u64,
}

impl Xstate {
    /// The guest's: the host's CPUID leaf 0xD and XCR0. Under kvm_pvm ring 3 runs `cpuid`
    /// and `xgetbv` natively, so these are exactly what the program sees. None without
    /// OSXSAVE or if the area does not fit KVM's 4 KiB `kvm_xsave`.
    pub fn host() -> Option<Xstate> {
        use std::arch::x86_64::__cpuid_count;
        if __cpuid_count(1, 0).ecx & (1 << 27) == 0 {
            return None;
        }
        let size = __cpuid_count(0xd, 0).ebx;
        let (lo, hi): (u32, u32);
        // SAFETY: CPUID lists OSXSAVE, so `xgetbv` with ECX = 0 is allowed in ring 3; it
        // only reads XCR0.
        unsafe {
            std::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi,
                options(nomem, nostack, preserves_flags));
        }
        (576..=4096).contains(&size).then_some(Xstate {
            size,
            features: u64::from(lo) | (u64::from(hi) << 32),
        })
    }
}

/// `ss_flags` values (include/uapi/linux/signal.h).
const SS_ONSTACK: u32 = 1;
const SS_DISABLE: u32 = 2;
/// `ss_flags` bit the kernel accepts besides the mode (SS_AUTODISARM).
const SS_AUTODISARM: u32 = 1 << 31;
/// The smallest alternate stack x86-64 Linux accepts (MINSIGSTKSZ).
const MINSIGSTKSZ: u64 = 2048;

/// The guest's alternate signal stack (sigaltstack), for SA_ONSTACK handlers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    sp: u64,
    size: u64,
    enabled: bool,
}

impl AltStack {
    /// Whether `rsp` is on the alternate stack (the kernel's `on_sig_stack`).
    fn on(&self, rsp: u64) -> bool {
        self.enabled && rsp > self.sp && rsp - self.sp <= self.size
    }

    /// `stack_t` as the guest reads it with `rsp` its stack pointer: ss_sp, ss_flags, ss_size.
    fn stack_t(&self, rsp: u64) -> [u8; 24] {
        let flags = if !self.enabled {
            SS_DISABLE
        } else if self.on(rsp) {
            SS_ONSTACK
        } else {
            0
        };
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&self.sp.to_le_bytes());
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..24].copy_from_slice(&self.size.to_le_bytes());
        b
    }

    /// Sets it from a guest `stack_t` (the kernel's `do_sigaltstack`); Err(errno).
    fn set(&mut self, b: &[u8; 24], rsp: u64) -> Result<(), i32> {
        if self.on(rsp) {
            return Err(libc::EPERM);
        }
        let sp = get64(b, 0);
        let flags = get32(b, 8);
        let size = get64(b, 16);
        match flags & !SS_AUTODISARM {
            SS_DISABLE => *self = AltStack::default(),
            0 | SS_ONSTACK => {
                if size < MINSIGSTKSZ {
                    return Err(libc::ENOMEM);
                }
                *self = AltStack {
                    sp,
                    size,
                    enabled: true,
                };
            }
            _ => return Err(libc::EINVAL),
        }
        Ok(())
    }

    /// The `sigaltstack(ss, old_ss)` syscall from a program whose stack pointer is `rsp`.
    pub fn syscall(&mut self, space: &mut AddressSpace, ss: u64, old: u64, rsp: u64) -> i64 {
        let before = self.stack_t(rsp);
        if ss != 0 {
            let mut b = [0u8; 24];
            if space.read(ss, &mut b).is_err() {
                return -i64::from(libc::EFAULT);
            }
            if let Err(e) = self.set(&b, rsp) {
                return -i64::from(e);
            }
        }
        if old != 0 && space.write(old, &before).is_err() {
            return -i64::from(libc::EFAULT);
        }
        0
    }

    /// Where the frame of an SA_ONSTACK handler goes: the top of the alternate stack, unless
    /// it is disabled or already in use (then the current stack, as Linux does).
    pub fn top_for(&self, rsp: u64) -> Option<u64> {
        (self.enabled && !self.on(rsp)).then_some(self.sp.wrapping_add(self.size))
    }
}

/// What the frame is for: the signal, its siginfo and the guest's action.
pub struct Delivery<'a> {
    pub sig: u32,
    pub info: &'a [u8; 128],
    pub handler: u64,
    pub restorer: u64,
    /// The mask before delivery (restored by sigreturn).
    pub mask: u64,
    /// For a fault: the exception vector, error code and CR2 (sigcontext trapno, err, cr2).
    pub trap: Option<(u64, u64, u64)>,
    /// The alternate stack: uc_stack, and the frame's place for SA_ONSTACK (`onstack`).
    pub altstack: AltStack,
    pub onstack: bool,
}

/// Why a frame could not be written or read: the guest gets SIGSEGV.
#[derive(Debug, PartialEq, Eq)]
pub struct BadFrame(pub u64);

impl std::fmt::Display for BadFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "signal frame at {:#x} is not accessible", self.0)
    }
}

/// General registers in `SC_ORDER`'s index order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15).
fn gprs(r: &kvm_regs) -> [u64; 16] {
    [
        r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp, r.rsi, r.rdi, r.r8, r.r9, r.r10, r.r11, r.r12,
        r.r13, r.r14, r.r15,
    ]
}

fn set_gprs(r: &mut kvm_regs, g: &[u64; 16]) {
    [
        r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp, r.rsi, r.rdi, r.r8, r.r9, r.r10, r.r11, r.r12,
        r.r13, r.r14, r.r15,
    ] = *g;
}

fn put(b: &mut [u8], off: u64, v: &[u8]) {
    b[off as usize..off as usize + v.len()].copy_from_slice(v);
}

fn get64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

/// The FP state a handler starts with (Linux's `fpu__clear_user_states`): FNINIT state,
/// MXCSR 0x1f80, every vector register zero. `like` is an image from `Vm::fp_state`
/// (its length and MXCSR_MASK are kept).
pub fn init_fp_state(like: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; like.len()];
    b[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
    b[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    b[28..32].copy_from_slice(&like[28..32]);
    if b.len() > XSAVE_HEADER + 8 {
        // x87 and SSE state as above; the other components in their init state.
        b[XSAVE_HEADER..XSAVE_HEADER + 8].copy_from_slice(&3u64.to_le_bytes());
    }
    b
}

/// Builds the frame for `d` on the guest stack below `regs.rsp` and points the registers at
/// the handler (rdi = signal, rsi = &info, rdx = &uc, rax = 0, DF and TF clear). `fp` is the
/// program's FP state from `Vm::fp_state`; the caller then loads `init_fp_state`.
pub fn setup(
    space: &mut AddressSpace,
    regs: &mut kvm_regs,
    fp: &[u8],
    xstate: Option<Xstate>,
    selectors: (u16, u16),
    d: &Delivery<'_>,
) -> Result<(), BadFrame> {
    let xstate = xstate.filter(|x| fp.len() >= x.size as usize);
    let fp_len = xstate.map_or(512, |x| u64::from(x.size) + 4);
    let sp = regs.rsp.wrapping_sub(128);
    let sp = match d.altstack.top_for(sp) {
        Some(top) if d.onstack => top,
        _ => sp,
    };
    let fp_addr = sp.wrapping_sub(fp_len) & !63;
    let frame = (fp_addr.wrapping_sub(FRAME_SIZE) & !15).wrapping_sub(8);

    let mut f = vec![0u8; fp_len as usize];
    let n = (fp_len as usize).min(fp.len());
    f[..n].copy_from_slice(&fp[..n]);
    // Software-reserved bytes: Linux's _fpx_sw_bytes with an XSAVE frame, zero without.
    f[SW_BYTES..512].fill(0);
    if let Some(x) = xstate {
        let s = SW_BYTES;
        f[s..s + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_le_bytes());
        f[s + 4..s + 8].copy_from_slice(&(x.size + 4).to_le_bytes());
        f[s + 8..s + 16].copy_from_slice(&x.features.to_le_bytes());
        f[s + 16..s + 20].copy_from_slice(&x.size.to_le_bytes());
        // XCOMP_BV: the standard format.
        f[XSAVE_HEADER + 8..XSAVE_HEADER + 16].fill(0);
        let m = x.size as usize;
        f[m..m + 4].copy_from_slice(&FP_XSTATE_MAGIC2.to_le_bytes());
    }

    let mut b = vec![0u8; FRAME_SIZE as usize];
    put(&mut b, 0, &d.restorer.to_le_bytes());
    let uc_flags =
        UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | if xstate.is_some() { UC_FP_XSTATE } else { 0 };
    put(&mut b, UC, &uc_flags.to_le_bytes());
    put(&mut b, UC + 16, &d.altstack.stack_t(regs.rsp));
    let g = gprs(regs);
    for (i, &r) in SC_ORDER.iter().enumerate() {
        put(&mut b, MCONTEXT + 8 * i as u64, &g[r].to_le_bytes());
    }
    put(&mut b, SC_RIP, &regs.rip.to_le_bytes());
    put(&mut b, SC_FLAGS, &regs.rflags.to_le_bytes());
    put(&mut b, SC_CS, &selectors.0.to_le_bytes());
    put(&mut b, SC_SS, &selectors.1.to_le_bytes());
    if let Some((trapno, err, cr2)) = d.trap {
        put(&mut b, SC_TRAPNO, &trapno.to_le_bytes());
        put(&mut b, SC_ERR, &err.to_le_bytes());
        put(&mut b, SC_CR2, &cr2.to_le_bytes());
    }
    put(&mut b, SC_OLDMASK, &d.mask.to_le_bytes());
    put(&mut b, SC_FPSTATE, &fp_addr.to_le_bytes());
    put(&mut b, SIGMASK, &d.mask.to_le_bytes());
    put(&mut b, INFO, d.info);
    if space.write(fp_addr, &f).is_err() || space.write(frame, &b).is_err() {
        return Err(BadFrame(frame));
    }
    regs.rdi = u64::from(d.sig);
    regs.rsi = frame + INFO;
    regs.rdx = frame + UC;
    regs.rax = 0;
    regs.rsp = frame;
    regs.rip = d.handler;
    regs.rflags &= !DF_TF;
    Ok(())
}

/// What `rt_sigreturn` restores besides the registers: the signal mask and the FP state
/// to load (None: none in the frame, the FP state is reset as Linux does).
pub struct Restored {
    pub mask: u64,
    pub fp: Vec<u8>,
}

/// `rt_sigreturn`'s `restore_altstack`: the alternate stack from the uc_stack of the frame
/// at `frame`, judged with the restored stack pointer `rsp` (EPERM and EINVAL ignored, as
/// the kernel does).
pub fn restore_altstack(space: &mut AddressSpace, frame: u64, rsp: u64, alt: &mut AltStack) {
    let mut b = [0u8; 24];
    if space.read(frame + UC + 16, &mut b).is_ok() {
        let _ = alt.set(&b, rsp);
    }
}

/// Reads the frame at `regs.rsp - 8` (the handler's `ret` popped pretcode) back into
/// `regs`. `current` is the vCPU's FP state now (its form tells XSAVE from FXSAVE).
pub fn restore(
    space: &mut AddressSpace,
    regs: &mut kvm_regs,
    current: &[u8],
    xstate: Option<Xstate>,
) -> Result<Restored, BadFrame> {
    let frame = regs.rsp.wrapping_sub(8);
    let mut b = vec![0u8; FRAME_SIZE as usize];
    space.read(frame, &mut b).map_err(|_| BadFrame(frame))?;
    let mut g = [0u64; 16];
    for (i, &r) in SC_ORDER.iter().enumerate() {
        g[r] = get64(&b, (MCONTEXT + 8 * i as u64) as usize);
    }
    set_gprs(regs, &g);
    regs.rip = get64(&b, SC_RIP as usize);
    let fl = get64(&b, SC_FLAGS as usize);
    regs.rflags = (regs.rflags & !USER_FLAGS) | (fl & USER_FLAGS) | 0x2;
    let mask = get64(&b, SIGMASK as usize);
    let fp_addr = get64(&b, SC_FPSTATE as usize);
    if fp_addr == 0 {
        return Ok(Restored {
            mask,
            fp: init_fp_state(current),
        });
    }
    let mut fx = vec![0u8; 512];
    space
        .read(fp_addr, &mut fx)
        .map_err(|_| BadFrame(fp_addr))?;
    let mut img = current.to_vec();
    let xstate = xstate.filter(|x| current.len() >= x.size as usize);
    let full = xstate.filter(|x| {
        get32(&fx, SW_BYTES) == FP_XSTATE_MAGIC1 && get32(&fx, SW_BYTES + 4) == x.size + 4
    });
    if let Some(x) = full {
        let mut area = vec![0u8; x.size as usize + 4];
        space
            .read(fp_addr, &mut area)
            .map_err(|_| BadFrame(fp_addr))?;
        if get32(&area, x.size as usize) != FP_XSTATE_MAGIC2 {
            return Err(BadFrame(fp_addr));
        }
        img[..x.size as usize].copy_from_slice(&area[..x.size as usize]);
        // Only the features the guest has, in the standard format.
        let bv = get64(&img, XSAVE_HEADER) & x.features;
        img[XSAVE_HEADER..XSAVE_HEADER + 8].copy_from_slice(&bv.to_le_bytes());
        img[XSAVE_HEADER + 8..XSAVE_HEADER + 64].fill(0);
    } else {
        // An FXSAVE-only frame: x87 and SSE from it, the other components to their init state.
        img[..SW_BYTES].copy_from_slice(&fx[..SW_BYTES]);
        if img.len() > XSAVE_HEADER + 8 {
            img[XSAVE_HEADER..XSAVE_HEADER + 8].copy_from_slice(&3u64.to_le_bytes());
        }
    }
    // MXCSR's reserved bits (the kernel refuses such a frame; KVM would too): dropped.
    let mxcsr = get32(&img, 24) & 0xffff;
    img[24..28].copy_from_slice(&mxcsr.to_le_bytes());
    Ok(Restored { mask, fp: img })
}

#[cfg(test)]
mod tests {
    use super::*;
    use xarch_linux::abi::x86_64::ABI;
    use xarch_linux::{MapRequest, Prot};

    fn stack() -> (AddressSpace, u64) {
        let mut space = AddressSpace::for_abi(&ABI).unwrap();
        let base = space
            .mmap(MapRequest {
                addr: 0,
                len: 0x10000,
                prot: Prot::READ | Prot::WRITE,
                fixed: false,
                noreplace: false,
                shared: false,
                file: None,
            })
            .unwrap();
        (space, base + 0x10000 - 0x100)
    }

    fn regs(rsp: u64) -> kvm_regs {
        let mut r = kvm_regs::default();
        let mut g = [0u64; 16];
        for (i, v) in g.iter_mut().enumerate() {
            *v = 0x1000 + i as u64;
        }
        g[4] = rsp;
        set_gprs(&mut r, &g);
        r.rip = 0x40_1234;
        r.rflags = 0x202 | 0x400 | 0x1; // IF, DF, CF
        r
    }

    fn u32_at(space: &mut AddressSpace, a: u64) -> u32 {
        let mut b = [0u8; 4];
        space.read(a, &mut b).unwrap();
        u32::from_le_bytes(b)
    }

    #[test]
    fn xsave_frame_as_linux_writes_it_and_round_trips() {
        let (mut space, rsp) = stack();
        let x = Xstate {
            size: 2432,
            features: 0xe7,
        };
        let mut fp = vec![0u8; 4096];
        for (i, b) in fp.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        fp[24..28].copy_from_slice(&0x9fc0u32.to_le_bytes());
        fp[XSAVE_HEADER..XSAVE_HEADER + 8].copy_from_slice(&0xe7u64.to_le_bytes());
        fp[XSAVE_HEADER + 8..XSAVE_HEADER + 64].fill(0);
        let before = regs(rsp);
        let mut r = before;
        let info = [9u8; 128];
        let d = Delivery {
            sig: 10,
            info: &info,
            handler: 0x40_2000,
            restorer: 0x40_3000,
            mask: 0x400,
            trap: Some((14, 6, 0x10)),
            altstack: AltStack::default(),
            onstack: false,
        };
        setup(&mut space, &mut r, &fp, Some(x), (0x2b, 0x23), &d).unwrap();
        let frame = r.rsp;
        assert_eq!((r.rip, r.rdi, r.rax), (0x40_2000, 10, 0));
        assert_eq!((r.rsi, r.rdx), (frame + INFO, frame + UC));
        assert_eq!((frame + 8) % 16, 0);
        assert_eq!(r.rflags & 0x400, 0, "DF clear for the handler");
        let mut b = vec![0u8; FRAME_SIZE as usize];
        space.read(frame, &mut b).unwrap();
        assert_eq!(get64(&b, 0), 0x40_3000);
        assert_eq!(get64(&b, UC as usize), 7);
        assert_eq!(get64(&b, SC_RIP as usize), 0x40_1234);
        assert_eq!(get64(&b, MCONTEXT as usize + 8 * 13), before.rax);
        assert_eq!(get64(&b, SC_CR2 as usize), 0x10);
        assert_eq!(get64(&b, SC_TRAPNO as usize), 14);
        assert_eq!(get64(&b, SC_OLDMASK as usize), 0x400);
        assert_eq!(&b[INFO as usize..], &info[..]);
        let fpa = get64(&b, SC_FPSTATE as usize);
        assert_eq!(fpa % 64, 0);
        assert!(fpa > frame && fpa + 2436 <= rsp - 128);
        assert_eq!(u32_at(&mut space, fpa + 464), FP_XSTATE_MAGIC1);
        assert_eq!(u32_at(&mut space, fpa + 468), 2436);
        assert_eq!(u32_at(&mut space, fpa + 2432), FP_XSTATE_MAGIC2);

        // The handler runs with a fresh FPU, clobbers registers and returns (pops pretcode).
        let init = init_fp_state(&fp);
        assert_eq!((get32(&init, 24), init[0], init[160]), (0x1f80, 0x7f, 0));
        r.rsp += 8;
        r.rbx = 0;
        r.r15 = 0;
        let back = restore(&mut space, &mut r, &init, Some(x)).unwrap();
        assert_eq!(back.mask, 0x400);
        assert_eq!(gprs(&r), gprs(&before));
        assert_eq!((r.rip, r.rflags), (before.rip, before.rflags));
        assert_eq!(&back.fp[..SW_BYTES], &fp[..SW_BYTES]);
        assert_eq!(&back.fp[512..2432], &fp[512..2432]);
    }

    #[test]
    fn fxsave_only_frame_without_xsave() {
        let (mut space, rsp) = stack();
        let mut fp = vec![0u8; 512];
        fp[0..2].copy_from_slice(&0x27fu16.to_le_bytes());
        fp[160..176].copy_from_slice(&[0xab; 16]);
        let before = regs(rsp);
        let mut r = before;
        let info = [0u8; 128];
        let d = Delivery {
            sig: 14,
            info: &info,
            handler: 0x40_2000,
            restorer: 0x40_3000,
            mask: 0,
            trap: None,
            altstack: AltStack::default(),
            onstack: false,
        };
        setup(&mut space, &mut r, &fp, None, (0x2b, 0x23), &d).unwrap();
        let mut b = vec![0u8; FRAME_SIZE as usize];
        space.read(r.rsp, &mut b).unwrap();
        assert_eq!(get64(&b, UC as usize), 6, "no UC_FP_XSTATE");
        let fpa = get64(&b, SC_FPSTATE as usize);
        assert_eq!(u32_at(&mut space, fpa + 464), 0);
        r.rsp += 8;
        let back = restore(&mut space, &mut r, &init_fp_state(&fp), None).unwrap();
        assert_eq!(gprs(&r), gprs(&before));
        assert_eq!(back.fp, fp);
    }

    #[test]
    fn sigaltstack_rules_as_the_kernel_has_them() {
        let st = |sp: u64, flags: u32, size: u64| {
            let mut b = [0u8; 24];
            b[0..8].copy_from_slice(&sp.to_le_bytes());
            b[8..12].copy_from_slice(&flags.to_le_bytes());
            b[16..24].copy_from_slice(&size.to_le_bytes());
            b
        };
        let mut a = AltStack::default();
        assert_eq!(get32(&a.stack_t(0x9000), 8), SS_DISABLE);
        assert_eq!(a.set(&st(0x1000, 0, 1024), 0x9000), Err(libc::ENOMEM));
        assert_eq!(a.set(&st(0x1000, 4, 0x4000), 0x9000), Err(libc::EINVAL));
        assert_eq!(a.set(&st(0x1000, 0, 0x4000), 0x9000), Ok(()));
        assert_eq!(a.top_for(0x9000), Some(0x5000));
        // On it: reported SS_ONSTACK, no nested switch, no change allowed.
        assert_eq!(get32(&a.stack_t(0x4000), 8), SS_ONSTACK);
        assert_eq!(a.top_for(0x4000), None);
        assert_eq!(a.set(&st(0, SS_DISABLE, 0), 0x4000), Err(libc::EPERM));
        assert_eq!(a.set(&st(0, SS_DISABLE, 0), 0x9000), Ok(()));
        assert_eq!(a.top_for(0x9000), None);
    }

    #[test]
    fn a_frame_outside_memory_is_refused() {
        let (mut space, _) = stack();
        let mut r = regs(0x1000);
        let fp = vec![0u8; 512];
        let info = [0u8; 128];
        let d = Delivery {
            sig: 10,
            info: &info,
            handler: 1 << 20,
            restorer: 1 << 20,
            mask: 0,
            trap: None,
            altstack: AltStack::default(),
            onstack: false,
        };
        assert!(setup(&mut space, &mut r, &fp, None, (0x2b, 0x23), &d).is_err());
        assert!(restore(&mut space, &mut r, &fp, None).is_err());
    }
}
