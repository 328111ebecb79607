//! Differential test of the x87 against the real CPU (the host is x86-64): random x87
//! sequences (loads of random 80-bit/f64/f32/integer values including zeros, infinities,
//! NaNs, denormals and unsupported encodings; arithmetic in every form; compares; FCW rounding
//! and precision changes; stores) run natively in a forked child and through xarch on both
//! tiers. The native child loads the x87 state with FXRSTOR64 and saves it with FXSAVE64;
//! FCW, FSW (C0–C3, TOP, exception flags), the tags, every valid ST register, RFLAGS and the
//! memory must match exactly.
//!
//! Transcendentals (`transcendentals_match_the_host_cpu`) run one instruction on random
//! moderate operands and are compared within 2^-50 relative (xarch computes them in f64: see
//! `xarch_isa_x86::x87`), FSW and tags exactly but for PE and C1.
//!
//! `XARCH_X87_SEQS=1000000 cargo test --release -p xarch-isa-x86 --test x87_differential`
//! runs more; `XARCH_X87_SEED` picks another seed.

mod common;
use common::*;
use xarch_isa_x86::state::X86State;
use xarch_isa_x86::state::flag::ARITH;
use xarch_translator::testing::Rng;

/// Data area: 7 value slots of 16 bytes (an m80 in the low 10), then 8 control words.
const MEM_LEN: usize = 128;
const SLOTS: u64 = 7;
const FCW_AT: u64 = 112;

/// x87 operands for the random sequences, on the shared generator.
trait Values {
    fn f80(&mut self) -> u128;
    fn fcw(&mut self) -> u16;
}

impl Values for Rng {
    /// An 80-bit value, edge cases often.
    fn f80(&mut self) -> u128 {
        let sign = (self.next() & 1) as u128;
        let m = self.next() | 1 << 63;
        let (e, m) = match self.below(20) {
            0 => (0, 0),
            1 => (0x7fff, 1 << 63),
            2 => (0x7fff, m | 1 << 62),                // QNaN
            3 => (0x7fff, (m & !(1 << 62)) | 1 << 5),  // SNaN
            4 => (0, m >> (1 + self.below(63))),       // denormal
            5 => (self.below(0x7fff), m & !(1 << 63)), // unnormal (unsupported)
            6 => (self.below(0x7ffe) + 1, m),          // any exponent
            7 | 8 => {
                // small integers
                let v = self.below(1000) + 1;
                let lz = v.leading_zeros();
                (0x3fff + 63 - lz as u64, v << lz)
            }
            9 => (0x3fff + self.below(3), m & !0x7ff), // f64-exact
            _ => (0x3fff - 40 + self.below(80), m),
        };
        sign << 79 | (e as u128) << 64 | m as u128
    }

    fn fcw(&mut self) -> u16 {
        let pc = self.pick(&[3, 3, 3, 2, 0]);
        let rc = self.below(4) as u16;
        0x7f | pc << 8 | rc << 10
    }
}

struct Gen<'a> {
    rng: &'a mut Rng,
    code: Vec<u8>,
    /// The sequence has a transcendental: compare with tolerance.
    fuzzy: bool,
}

impl Gen<'_> {
    /// `op /ext [r15 + disp8]`.
    fn mem(&mut self, op: u8, ext: u8, disp: u64) {
        self.code
            .extend_from_slice(&[0x41, op, 0x47 | ext << 3, disp as u8]);
    }
    fn slot(&mut self) -> u64 {
        16 * self.rng.below(SLOTS)
    }
    fn reg(&mut self, op: u8, base: u8) {
        let i = self.rng.below(8) as u8;
        self.code.extend_from_slice(&[op, base + i]);
    }

    fn one(&mut self) {
        match self.rng.below(24) {
            // Loads: FLD m32/m64/m80, FILD m16/m32/m64.
            0..=3 => {
                let (op, ext) = self.rng.pick(&[
                    (0xd9, 0),
                    (0xdd, 0),
                    (0xdb, 5),
                    (0xdb, 5),
                    (0xdf, 0),
                    (0xdb, 0),
                    (0xdf, 5),
                ]);
                let d = self.slot();
                self.mem(op, ext, d);
            }
            // FLD ST(i), constants.
            4 => {
                if self.rng.below(2) == 0 {
                    self.reg(0xd9, 0xc0);
                } else {
                    let k = self.rng.below(7) as u8;
                    self.code.extend_from_slice(&[0xd9, 0xe8 + k]);
                }
            }
            // Stores: FST(P) m32/m64, FSTP m80, FIST(P) m16/m32/m64, FISTTP.
            5..=7 => {
                let (op, ext) = self.rng.pick(&[
                    (0xd9, 2),
                    (0xd9, 3),
                    (0xdd, 2),
                    (0xdd, 3),
                    (0xdb, 7),
                    (0xdf, 2),
                    (0xdf, 3),
                    (0xdb, 2),
                    (0xdb, 3),
                    (0xdf, 7),
                    (0xdf, 1),
                    (0xdb, 1),
                    (0xdd, 1),
                ]);
                let d = self.slot();
                self.mem(op, ext, d);
            }
            // FST/FSTP ST(i), FXCH, FFREE, FINCSTP, FDECSTP.
            8 => match self.rng.below(5) {
                0 => self.reg(0xdd, 0xd0),
                1 => self.reg(0xdd, 0xd8),
                2 => self.reg(0xd9, 0xc8),
                3 => self.reg(0xdd, 0xc0),
                _ => {
                    let k = self.rng.pick(&[0xf6, 0xf7]);
                    self.code.extend_from_slice(&[0xd9, k]);
                }
            },
            // Arithmetic with memory: D8 (m32fp), DC (m64fp), DA (m32int), DE (m16int).
            9..=11 => {
                let op = self.rng.pick(&[0xd8, 0xdc, 0xda, 0xde]);
                let ext = self.rng.pick(&[0, 1, 4, 5, 6, 7, 2, 3]);
                let d = self.slot();
                self.mem(op, ext, d);
            }
            // Arithmetic between registers: D8, DC, DE.
            12..=14 => {
                let op = self.rng.pick(&[0xd8, 0xdc, 0xde]);
                let ext = self.rng.pick(&[0u8, 1, 4, 5, 6, 7]);
                self.reg(op, 0xc0 | ext << 3);
            }
            // Compares: FCOM(P), FUCOM(P), FCOMPP, FUCOMPP, FCOMI(P), FUCOMI(P), FTST, FXAM.
            15 | 16 => match self.rng.below(9) {
                0 => self.reg(0xd8, 0xd0),
                1 => self.reg(0xd8, 0xd8),
                2 => self.reg(0xdd, 0xe0),
                3 => self.reg(0xdd, 0xe8),
                4 => self.code.extend_from_slice(&[0xde, 0xd9]),
                5 => self.code.extend_from_slice(&[0xda, 0xe9]),
                6 => {
                    let op =
                        self.rng
                            .pick(&[(0xdb, 0xf0), (0xdb, 0xe8), (0xdf, 0xf0), (0xdf, 0xe8)]);
                    self.reg(op.0, op.1);
                }
                7 => self.code.extend_from_slice(&[0xd9, 0xe4]),
                _ => self.code.extend_from_slice(&[0xd9, 0xe5]),
            },
            // FCHS, FABS, FSQRT, FRNDINT, FXTRACT, FPREM, FPREM1, FSCALE.
            17 | 18 => {
                let k = self
                    .rng
                    .pick(&[0xe0, 0xe1, 0xfa, 0xfc, 0xf4, 0xf8, 0xf5, 0xfd]);
                if k == 0xfd {
                    // FSCALE: keep the scale small so results stay in range mostly.
                    self.code
                        .extend_from_slice(&[0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1]); // 2.0
                    self.code.extend_from_slice(&[0xd9, 0xc9, 0xd9, 0xfd]);
                } else {
                    self.code.extend_from_slice(&[0xd9, k]);
                }
            }
            // FCMOVcc.
            19 => {
                let op = self.rng.pick(&[0xda, 0xdb]);
                let ext = self.rng.below(4) as u8;
                self.reg(op, 0xc0 | ext << 3);
            }
            // FLDCW from the control words (rounding and precision changes), FNCLEX.
            20 => {
                if self.rng.below(4) == 0 {
                    self.code.extend_from_slice(&[0xdb, 0xe2]);
                } else {
                    let d = FCW_AT + 2 * self.rng.below(8);
                    self.mem(0xd9, 5, d);
                }
            }
            // FNSTSW/FNSTCW to memory.
            21 => {
                let d = self.slot();
                let ext = self.rng.pick(&[7u8]);
                let op = self.rng.pick(&[0xdd, 0xd9]);
                self.mem(op, ext, d);
            }
            // FICOM(P) m16/m32, FCOM m32/m64.
            _ => {
                let op = self.rng.pick(&[0xde, 0xda, 0xd8, 0xdc]);
                let ext = self.rng.pick(&[2, 3]);
                let d = self.slot();
                self.mem(op, ext, d);
            }
        }
    }
}

/// Native context (16-aligned): the FXSAVE image, then the memory pointer and RFLAGS.
#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct NativeCtx {
    fx: [u8; 512],
    mem: u64,
    rflags: u64,
    _pad: [u64; 2],
}

/// Builds the test function in `page`: saves callee-saved registers, FXRSTOR64 [rdi],
/// r15 = mem, RFLAGS; body; FXSAVE64 [ctx]; RFLAGS back.
fn build_native(page: &mut [u8], body: &[u8]) {
    let mut c: Vec<u8> = vec![0x53, 0x55, 0x41, 0x57];
    let slot = page.len() - 8;
    rip_rel(&mut c, &[0x48, 0x89, 0x3d], slot); // mov [rip+slot], rdi
    c.extend_from_slice(&[0x48, 0x0f, 0xae, 0x0f]); // fxrstor64 [rdi]
    c.extend_from_slice(&[0x4c, 0x8b, 0xbf, 0x00, 0x02, 0, 0]); // mov r15, [rdi+512]
    c.extend_from_slice(&[0xff, 0xb7, 0x08, 0x02, 0, 0, 0x9d]); // push [rdi+520]; popfq
    c.extend_from_slice(body);
    rip_rel(&mut c, &[0x48, 0x8b, 0x05], slot); // mov rax, [rip+slot]
    c.extend_from_slice(&[0x48, 0x0f, 0xae, 0x00]); // fxsave64 [rax]
    c.extend_from_slice(&[0x9c, 0x8f, 0x80, 0x08, 0x02, 0, 0]); // pushfq; pop [rax+520]
    c.extend_from_slice(&[0xdb, 0xe3]); // fninit: leave a clean FPU to the Rust code
    c.extend_from_slice(&[0x41, 0x5f, 0x5d, 0x5b, 0xc3]);
    assert!(c.len() <= slot, "sequence too long for the page");
    page[..c.len()].copy_from_slice(&c);
}

struct Case {
    code: Vec<u8>,
    init: NativeCtx,
    mem: [u8; MEM_LEN],
    fuzzy: bool,
}

/// Runs every case natively in a forked child; gives (final ctx, final memory) per case.
fn run_native(cases: &[Case]) -> Vec<(NativeCtx, [u8; MEM_LEN])> {
    let mut mem = [0u8; MEM_LEN];
    run_forked(cases.len(), |page, k| {
        let case = &cases[k];
        build_native(page.bytes(), &case.code);
        mem.copy_from_slice(&case.mem);
        let mut ctx = case.init;
        ctx.mem = mem.as_mut_ptr() as u64;
        // SAFETY: build_native wrote a function that loads and saves the x87 state through
        // ctx and touches only ctx, mem (through r15) and its own stack frame.
        unsafe { page.call(&mut ctx) };
        (ctx, mem)
    })
}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

/// ST(i) of an FXSAVE image.
fn st_at(fx: &[u8], i: usize) -> u128 {
    let mut v = [0u8; 16];
    v[..10].copy_from_slice(&fx[32 + 16 * i..42 + 16 * i]);
    u128::from_le_bytes(v)
}

fn init_image(rng: &mut Rng) -> [u8; 512] {
    let mut fx = [0u8; 512];
    let top = rng.below(8) as u16;
    let fcw = rng.fcw();
    let cc = (rng.next() as u16) & 0x4700;
    fx[0..2].copy_from_slice(&fcw.to_le_bytes());
    fx[2..4].copy_from_slice(&(cc | top << 11).to_le_bytes());
    // Abridged tags, by physical register: mostly valid, sometimes a full or empty stack.
    let tags = match rng.below(6) {
        0 => 0,
        1 => 0xff,
        _ => (rng.next() | rng.next()) as u8,
    };
    fx[4] = tags;
    fx[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    for i in 0..8 {
        let v = rng.f80();
        fx[32 + 16 * i..42 + 16 * i].copy_from_slice(&v.to_le_bytes()[..10]);
    }
    fx
}

fn init_mem(rng: &mut Rng) -> [u8; MEM_LEN] {
    let mut mem = [0u8; MEM_LEN];
    for s in 0..SLOTS as usize {
        let v = match rng.below(4) {
            // An f64 in the low 8 bytes (with a random exponent word above).
            0 => {
                let d = rng.pick(&[
                    0.0,
                    -0.0,
                    1.5,
                    -3.25,
                    1e300,
                    -1e-310,
                    f64::INFINITY,
                    f64::NAN,
                ]);
                let d = if rng.below(2) == 0 {
                    f64::from_bits(rng.next())
                } else {
                    d
                };
                d.to_bits() as u128 | (rng.next() as u128 & 0xffff) << 64
            }
            // A small integer (FILD/FIADD read it).
            1 => (rng.below(2000) as i64 - 1000) as u64 as u128,
            _ => rng.f80(),
        };
        mem[16 * s..16 * s + 16].copy_from_slice(&v.to_le_bytes());
    }
    for k in 0..8 {
        let at = FCW_AT as usize + 2 * k;
        mem[at..at + 2].copy_from_slice(&rng.fcw().to_le_bytes());
    }
    mem
}

/// The xarch state for a native image.
fn xarch_state(init: &NativeCtx) -> X86State {
    let mut st = state(&[]);
    st.gpr[15] = DATA;
    st.set_rflags(init.rflags);
    let fx = &init.fx;
    st.x87.fcw = u16_at(fx, 0);
    let fsw = u16_at(fx, 2);
    st.x87.fsw = fsw & !0x3800;
    st.x87.top = u32::from(fsw >> 11) & 7;
    st.x87.ftw = fx[4];
    for i in 0..8 {
        st.x87.regs[(st.x87.top as usize + i) & 7] = st_at(fx, i);
    }
    st
}

/// Compares xarch's final state with the native FXSAVE image; `fuzzy` compares ST values
/// within 2^-50 relative and ignores PE and C1.
fn compare(got: &X86State, want: &NativeCtx, fuzzy: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    let fx = &want.fx;
    let x = &got.x87;
    let gfsw = (x.fsw & !0x3800) | ((x.top as u16 & 7) << 11);
    let (mut wfsw, mut gfsw) = (u16_at(fx, 2), gfsw);
    if fuzzy {
        wfsw &= !0x220;
        gfsw &= !0x220;
    }
    if x.fcw != u16_at(fx, 0) {
        diffs.push(format!("fcw: xarch {:#x}, cpu {:#x}", x.fcw, u16_at(fx, 0)));
    }
    if gfsw != wfsw {
        diffs.push(format!("fsw: xarch {gfsw:#06x}, cpu {wfsw:#06x}"));
    }
    if x.ftw != fx[4] {
        diffs.push(format!("ftw: xarch {:#04x}, cpu {:#04x}", x.ftw, fx[4]));
    }
    let top = x.top as usize & 7;
    for i in 0..8 {
        let p = (top + i) & 7;
        if fx[4] >> p & 1 == 0 {
            continue;
        }
        let (g, w) = (x.regs[p] & ((1 << 80) - 1), st_at(fx, i));
        let close = fuzzy && close_enough(g, w);
        if g != w && !close {
            diffs.push(format!("st{i}: xarch {g:020x}, cpu {w:020x}"));
        }
    }
    if (got.rflags() ^ want.rflags) & ARITH != 0 {
        diffs.push(format!(
            "flags: xarch {:#x}, cpu {:#x}",
            got.rflags() & ARITH,
            want.rflags & ARITH
        ));
    }
    diffs
}

/// Same sign and exponent class, and |a − b| ≤ 2^-50 · |b| (as integers of the significand
/// scale: the values are compared through the 80-bit encoding, adjacent exponents allowed).
fn close_enough(a: u128, b: u128) -> bool {
    fn to_f(v: u128) -> Option<(bool, i32, f64)> {
        let e = ((v >> 64) & 0x7fff) as i32;
        let m = v as u64;
        if e == 0x7fff {
            return None;
        }
        Some(((v >> 79) & 1 == 1, e, m as f64 / 2f64.powi(63)))
    }
    let (Some((sa, ea, ma)), Some((sb, eb, mb))) = (to_f(a), to_f(b)) else {
        return a == b;
    };
    if sa != sb || (ea - eb).abs() > 1 {
        return false;
    }
    let va = ma * 2f64.powi(ea - eb);
    // Relative 2^-50, or absolute 2^-52 near a zero of the function (sin, cos, tan reduce
    // their argument in f64: their absolute error is what stays small there).
    let abs = (va - mb).abs() * 2f64.powi(eb - 16383);
    (va - mb).abs() <= mb.abs() * 2f64.powi(-50) + f64::MIN_POSITIVE || abs <= 2f64.powi(-52)
}

fn run_cases(cases: Vec<Case>) -> Vec<String> {
    let native = run_native(&cases);
    let mut failures = Vec::new();
    for (case, (want, want_mem)) in cases.iter().zip(native) {
        let st = xarch_state(&case.init);
        let run = std::panic::catch_unwind(|| run_with_mem(&case.code, &st, &case.mem));
        let Ok((got, _, got_mem)) = run else {
            failures.push(format!(
                "sequence:\n{}  panicked in lift or run (see above)",
                disasm_all(&case.code)
            ));
            continue;
        };
        let mut diffs = compare(&got, &want, case.fuzzy);
        if got_mem[..MEM_LEN] != want_mem[..] {
            let at = (0..MEM_LEN).find(|&k| got_mem[k] != want_mem[k]).unwrap();
            diffs.push(format!(
                "memory differs from byte {at}: xarch {:02x?}, cpu {:02x?}",
                &got_mem[at & !15..(at & !15) + 16],
                &want_mem[at & !15..(at & !15) + 16]
            ));
        }
        if !diffs.is_empty() && failures.len() < 5 {
            let init: Vec<String> = (0..8)
                .map(|i| format!("{:020x}", st_at(&case.init.fx, i)))
                .collect();
            failures.push(format!(
                "sequence:\n{}  initial fcw {:#x} fsw {:#x} ftw {:#04x} st {}\n  memory {:02x?}\n  {}",
                disasm_all(&case.code),
                u16_at(&case.init.fx, 0),
                u16_at(&case.init.fx, 2),
                case.init.fx[4],
                init.join(" "),
                &case.mem[..],
                diffs.join("\n  ")
            ));
        }
    }
    failures
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A case of `code` (then a NOP) on ST0 = `st0`, ST1 = `st1` (TOP = 6, R6 and R7 valid),
/// the other registers empty, under `fcw`.
fn two_operand_case(fcw: u16, st0: u128, st1: u128, code: &[u8], fuzzy: bool) -> Case {
    let mut fx = [0u8; 512];
    fx[0..2].copy_from_slice(&fcw.to_le_bytes());
    fx[2..4].copy_from_slice(&(6u16 << 11).to_le_bytes());
    fx[4] = 0xc0;
    fx[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
    fx[32..42].copy_from_slice(&st0.to_le_bytes()[..10]);
    fx[48..58].copy_from_slice(&st1.to_le_bytes()[..10]);
    Case {
        code: [code, &[0x90]].concat(),
        init: NativeCtx {
            fx,
            mem: 0,
            rflags: 0x202,
            _pad: [0; 2],
        },
        mem: [0; MEM_LEN],
        fuzzy,
    }
}

/// Fails with the first failure reports when there are any.
fn expect_none(failures: Vec<String>, what: &str) {
    assert!(
        failures.is_empty(),
        "{} {what}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn random_x87_sequences_match_the_host_cpu() {
    let n = env_num("XARCH_X87_SEQS", 4000) as usize;
    let mut rng = Rng(env_num("XARCH_X87_SEED", 0x87_5eed_0001));
    let mut failures = Vec::new();
    let mut done = 0;
    while done < n && failures.len() < 5 {
        let batch = (n - done).min(1000);
        let cases: Vec<Case> = (0..batch)
            .map(|_| {
                let mut g = Gen {
                    rng: &mut rng,
                    code: Vec::new(),
                    fuzzy: false,
                };
                let k = 1 + g.rng.below(10);
                for _ in 0..k {
                    g.one();
                }
                g.code.push(0x90);
                let fuzzy = g.fuzzy;
                let code = g.code;
                let init = NativeCtx {
                    fx: init_image(&mut rng),
                    mem: 0,
                    rflags: (rng.next() & ARITH) | 0x202,
                    _pad: [0; 2],
                };
                let mem = init_mem(&mut rng);
                Case {
                    code,
                    init,
                    mem,
                    fuzzy,
                }
            })
            .collect();
        failures.extend(run_cases(cases));
        done += batch;
    }
    expect_none(failures, "x87 sequences differ from the CPU");
}

/// FPREM/FPREM1 with exponent differences from 0 to 300: partial remainders (C2 = 1) must
/// reduce the exponent exactly as the CPU does.
#[test]
fn fprem_partial_remainders() {
    let n = env_num("XARCH_X87_SEQS", 4000) as usize / 4;
    let mut rng = Rng(env_num("XARCH_X87_SEED", 0x87_5eed_0001) ^ 0x3e);
    let mut cases = Vec::new();
    for _ in 0..n {
        let op = rng.pick(&[0xf8u8, 0xf5]);
        let ey = 0x3fff - 100 + rng.below(200) as u128;
        let ex = ey + rng.below(300) as u128;
        let x = (rng.next() as u128 & 1) << 79 | ex << 64 | (rng.next() | 1 << 63) as u128;
        let y = (rng.next() as u128 & 1) << 79 | ey << 64 | (rng.next() | 1 << 63) as u128;
        let k = 1 + rng.below(3) as usize;
        let code = [[0xd9, op]; 3][..k].concat();
        cases.push(two_operand_case(0x37f, x, y, &code, false));
    }
    expect_none(run_cases(cases), "FPREM/FPREM1 differ from the CPU");
}

/// One transcendental on moderate operands (ST0 in ±[2^-20, 2^6], ST1 in ±[2^-4, 2^4]; FYL2X
/// with a positive ST0; F2XM1 and FYL2XP1 in their defined domains).
#[test]
fn transcendentals_match_the_host_cpu() {
    let n = env_num("XARCH_X87_SEQS", 4000) as usize / 4;
    let mut rng = Rng(env_num("XARCH_X87_SEED", 0x87_5eed_0001) ^ 0x7a);
    let mut cases = Vec::new();
    for _ in 0..n {
        let (k, lo, hi) = rng.pick(&[
            (0xf0u8, -1.0f64, 1.0f64), // F2XM1
            (0xf1, 1e-6, 1e6),         // FYL2X
            (0xf9, -0.29, 0.29),       // FYL2XP1
            (0xf2, -1.5, 1.5),         // FPTAN (away from its poles)
            (0xf3, -50.0, 50.0),       // FPATAN
            (0xfe, -60.0, 60.0),       // FSIN
            (0xff, -60.0, 60.0),       // FCOS
            (0xfb, -60.0, 60.0),       // FSINCOS
        ]);
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let x = lo + (hi - lo) * u;
        let y = (rng.below(2000) as f64 - 1000.0) / 100.0 + 0.005;
        let fcw = 0x7f | 3 << 8 | (rng.below(4) as u16) << 10;
        let ext = |d: f64| {
            // f64 → 80-bit, with extra random low bits so the operand is a full 64-bit one.
            let b = d.to_bits();
            let e = ((b >> 52) & 0x7ff) as u128;
            let m = (1u128 << 63) | ((b as u128 & ((1 << 52) - 1)) << 11);
            ((b >> 63) as u128) << 79 | (e + 16383 - 1023) << 64 | m
        };
        let x80 = ext(x) | (rng.below(2048) as u128);
        cases.push(two_operand_case(fcw, x80, ext(y), &[0xd9, k], true));
    }
    expect_none(
        run_cases(cases),
        "transcendentals differ from the CPU beyond 2^-50",
    );
}
