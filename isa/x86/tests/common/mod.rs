//! Shared by the x86 instruction tests: lift guest bytes at `CODE`, run the block on both
//! tiers (`testing::compare_tiers`), give the final state.
#![allow(dead_code)]

use xarch_isa_x86::X86Frontend;
use xarch_isa_x86::state::{X86State, off};
use xarch_translator::frontend::{CodeBuffer, Frontend};
use xarch_translator::interp::BlockExit;
use xarch_translator::ir;
use xarch_translator::testing;

pub const CODE: u64 = 0x1000;
/// A read-write data area the tests point registers at.
pub const DATA: u64 = 0x10000;
pub const DATA_LEN: u64 = 0x1000;
pub const STACK_TOP: u64 = 0x30000;

pub fn lift(code: &[u8]) -> ir::Block {
    let block = X86Frontend
        .lift(
            CODE,
            &CodeBuffer {
                base: CODE,
                bytes: code,
            },
        )
        .expect("lift");
    ir::verify(&block).expect("IR verifies");
    block
}

pub fn state_bytes(st: &X86State) -> Vec<u8> {
    // SAFETY: X86State is repr(C) plain old data; viewing it as bytes is sound.
    unsafe {
        std::slice::from_raw_parts(
            st as *const X86State as *const u8,
            std::mem::size_of::<X86State>(),
        )
        .to_vec()
    }
}

pub fn from_bytes(b: &[u8]) -> X86State {
    // SAFETY: `b` holds a full X86State image written by the tiers; read unaligned.
    unsafe { std::ptr::read_unaligned(b.as_ptr() as *const X86State) }
}

/// Runs `code` (one block) from `init` on both tiers with fresh memory each, `mem_init`
/// filling the data area; returns the final state, the exit and the data area.
pub fn run_with_mem(
    code: &[u8],
    init: &X86State,
    mem_init: &[u8],
) -> (X86State, BlockExit, Vec<u8>) {
    let block = lift(code);
    let mut results = Vec::new();
    for tier in 0..2 {
        let mem = testing_memory();
        let host = mem.host(xarch_linux::mem::GuestAddr(DATA));
        // SAFETY: DATA..DATA+DATA_LEN was just mapped read-write in this window.
        unsafe {
            std::ptr::copy_nonoverlapping(
                mem_init.as_ptr(),
                host,
                mem_init.len().min(DATA_LEN as usize),
            )
        };
        let mut st = state_bytes(init);
        // The engine allocates states 16-aligned; so do we.
        let mut cpu = xarch_translator::CpuState::new(st.len());
        cpu.bytes_mut().copy_from_slice(&st);
        let exit = if tier == 0 {
            testing::run_block_interp(&block, cpu.bytes_mut(), &mem, off::RIP)
        } else {
            let mut optimised = block.clone();
            xarch_translator::opt::optimize(&mut optimised);
            ir::verify(&optimised).expect("optimised IR verifies");
            testing::run_block_jit(&optimised, cpu.bytes_mut(), &mem, off::RIP).expect("compile")
        };
        st.copy_from_slice(cpu.bytes());
        let mut data = vec![0u8; DATA_LEN as usize];
        // SAFETY: as above.
        unsafe { std::ptr::copy_nonoverlapping(host, data.as_mut_ptr(), data.len()) };
        results.push((from_bytes(&st), exit, data));
    }
    let (a, b) = (&results[0], &results[1]);
    assert_eq!(a.1, b.1, "exits differ between tiers\n{block}");
    assert_eq!(
        state_bytes(&a.0),
        state_bytes(&b.0),
        "states differ between tiers:\n interp {:x?}\n jit    {:x?}\n{block}",
        a.0,
        b.0
    );
    assert_eq!(a.2, b.2, "memory differs between tiers\n{block}");
    results.swap_remove(0)
}

pub fn testing_memory() -> xarch_linux::mem::GuestMemory {
    testing::test_memory(&[(DATA, DATA + DATA_LEN), (STACK_TOP - 0x2000, STACK_TOP)])
}

pub fn run(code: &[u8], init: &X86State) -> (X86State, BlockExit) {
    let (s, e, _) = run_with_mem(code, init, &[]);
    (s, e)
}

/// A state with RSP at the test stack and the given GPRs.
pub fn state(gprs: &[(usize, u64)]) -> X86State {
    let mut s = X86State::default();
    s.gpr[4] = STACK_TOP - 0x100;
    for &(r, v) in gprs {
        s.gpr[r] = v;
    }
    s
}

pub const RAX: usize = 0;
pub const RCX: usize = 1;
pub const RDX: usize = 2;
pub const RBX: usize = 3;
pub const RSP: usize = 4;
pub const RBP: usize = 5;
pub const RSI: usize = 6;
pub const RDI: usize = 7;

/// A 4 KiB read-write-execute page for generated native code, in the child of
/// [`run_forked`].
pub struct NativePage(&'static mut [u8]);

impl NativePage {
    pub fn bytes(&mut self) -> &mut [u8] {
        self.0
    }

    /// Calls the function at the start of the page with `arg` (in RDI).
    ///
    /// # Safety
    /// The page must hold a System V function of one pointer argument that touches only
    /// what `arg` points to (and what that names) and its own stack frame, and returns.
    pub unsafe fn call<C>(&self, arg: *mut C) {
        // SAFETY: the caller vouches for the code; the page is executable.
        unsafe {
            let f: extern "C" fn(*mut C) = std::mem::transmute(self.0.as_ptr());
            f(arg)
        }
    }
}

/// Runs `each(page, k)` for k in 0..n in a forked child (generated code that goes wrong
/// takes the child, not the test, down) and gives what each returned, in order. `each`
/// builds code into the page and runs it (see [`NativePage::call`]).
pub fn run_forked<T: Copy>(n: usize, mut each: impl FnMut(&mut NativePage, usize) -> T) -> Vec<T> {
    let out_len = (n * std::mem::size_of::<T>()).max(1);
    // SAFETY: anonymous mappings, checked for MAP_FAILED; the child writes n results into the
    // shared one (sized and aligned for them: mmap gives page alignment) before it exits,
    // and the parent reads them only after waitpid.
    unsafe {
        let shared = libc::mmap(
            std::ptr::null_mut(),
            out_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(shared, libc::MAP_FAILED, "mmap of the result area");
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            let page = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if page == libc::MAP_FAILED {
                libc::_exit(2);
            }
            let mut page = NativePage(std::slice::from_raw_parts_mut(page as *mut u8, 4096));
            let results = shared as *mut T;
            for k in 0..n {
                results.add(k).write(each(&mut page, k));
            }
            libc::_exit(0);
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "native child failed: status {status:#x}"
        );
        let results = std::slice::from_raw_parts(shared as *const T, n).to_vec();
        libc::munmap(shared, out_len);
        results
    }
}

/// Appends `prefix` (an instruction up to its disp32) and the RIP-relative displacement that
/// reaches offset `slot` of the same code buffer.
pub fn rip_rel(c: &mut Vec<u8>, prefix: &[u8], slot: usize) {
    c.extend_from_slice(prefix);
    let end = c.len() + 4;
    c.extend_from_slice(&((slot as i64 - end as i64) as i32).to_le_bytes());
}

/// `code` as one line per instruction: bytes, then the disassembly (for failure reports).
pub fn disasm_all(code: &[u8]) -> String {
    let mut out = String::new();
    let mut at = 0;
    while at < code.len() {
        let len = xarch_isa_x86::decode::decode(&code[at..])
            .map(|i| i.len as usize)
            .unwrap_or(1);
        let bytes: Vec<String> = code[at..at + len]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out += &format!(
            "    {:<30} {}\n",
            bytes.join(" "),
            xarch_isa_x86::disasm::disassemble(at as u64, &code[at..])
        );
        at += len;
    }
    out
}
