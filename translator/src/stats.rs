//! Engine statistics for `--stats` (text on stderr) and `--stats-json` (the bench harness).
//!
//! Counters of the interpreter and the dispatcher are always kept (they cost an add per
//! block); counters inside compiled code only when `EngineOptions::stats` is set.

use std::fmt;

/// What the engine did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Blocks lifted from guest code (cache misses).
    pub blocks_lifted: u64,
    /// Blocks compiled by Cranelift.
    pub blocks_compiled: u64,
    /// Guest instructions in the compiled blocks.
    pub compiled_insns: u64,
    /// Blocks Cranelift could not compile (they stay in the interpreter).
    pub compile_failures: u64,
    /// Time spent compiling, in nanoseconds.
    pub compile_ns: u64,
    /// Blocks and guest instructions run by the interpreter.
    pub interp_blocks: u64,
    pub interp_insns: u64,
    /// Blocks and guest instructions run as compiled code (only with `stats`).
    pub jit_blocks: u64,
    pub jit_insns: u64,
    /// Entries from the dispatcher into compiled code.
    pub dispatch_jit: u64,
    /// Direct exits that chained to compiled code without the dispatcher (only with `stats`).
    pub chain_hits: u64,
    /// Exit slots patched by the dispatcher.
    pub chain_patches: u64,
    /// Indirect exits that found their target in the jump cache, and that did not.
    pub jc_hits: u64,
    pub jc_misses: u64,
    /// Translations dropped by `invalidate`.
    pub invalidated: u64,
}

impl std::ops::AddAssign<&Stats> for Stats {
    /// Adds another engine's counters (the engines of a process's guest threads).
    fn add_assign(&mut self, o: &Stats) {
        let Stats {
            blocks_lifted,
            blocks_compiled,
            compiled_insns,
            compile_failures,
            compile_ns,
            interp_blocks,
            interp_insns,
            jit_blocks,
            jit_insns,
            dispatch_jit,
            chain_hits,
            chain_patches,
            jc_hits,
            jc_misses,
            invalidated,
        } = o;
        self.blocks_lifted += blocks_lifted;
        self.blocks_compiled += blocks_compiled;
        self.compiled_insns += compiled_insns;
        self.compile_failures += compile_failures;
        self.compile_ns += compile_ns;
        self.interp_blocks += interp_blocks;
        self.interp_insns += interp_insns;
        self.jit_blocks += jit_blocks;
        self.jit_insns += jit_insns;
        self.dispatch_jit += dispatch_jit;
        self.chain_hits += chain_hits;
        self.chain_patches += chain_patches;
        self.jc_hits += jc_hits;
        self.jc_misses += jc_misses;
        self.invalidated += invalidated;
    }
}

impl Stats {
    /// Lookups of a guest PC by the dispatcher (one per interpreted block or entry to code).
    pub fn dispatcher_lookups(&self) -> u64 {
        self.interp_blocks + self.dispatch_jit
    }

    /// Guest instructions executed on both tiers (the compiled part only counted with `stats`).
    pub fn guest_insns(&self) -> u64 {
        self.interp_insns + self.jit_insns
    }

    /// Jump-cache hit rate in [0, 1], or None before any indirect exit in compiled code.
    pub fn jc_hit_rate(&self) -> Option<f64> {
        let n = self.jc_hits + self.jc_misses;
        (n > 0).then(|| self.jc_hits as f64 / n as f64)
    }

    /// The counters as one JSON object (flat, integer fields, names as in this struct).
    pub fn to_json(&self) -> String {
        let fields: [(&str, u64); 17] = [
            ("guest_insns", self.guest_insns()),
            ("blocks_lifted", self.blocks_lifted),
            ("blocks_compiled", self.blocks_compiled),
            ("compiled_insns", self.compiled_insns),
            ("compile_failures", self.compile_failures),
            ("compile_ns", self.compile_ns),
            ("interp_blocks", self.interp_blocks),
            ("interp_insns", self.interp_insns),
            ("jit_blocks", self.jit_blocks),
            ("jit_insns", self.jit_insns),
            ("dispatch_jit", self.dispatch_jit),
            ("dispatcher_lookups", self.dispatcher_lookups()),
            ("chain_hits", self.chain_hits),
            ("chain_patches", self.chain_patches),
            ("jc_hits", self.jc_hits),
            ("jc_misses", self.jc_misses),
            ("invalidated", self.invalidated),
        ];
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "xarch engine statistics")?;
        writeln!(
            f,
            "  guest instructions  {:>14} (interpreter {}, compiled {})",
            self.guest_insns(),
            self.interp_insns,
            self.jit_insns
        )?;
        writeln!(
            f,
            "  blocks executed     {:>14} (interpreter {}, compiled {})",
            self.interp_blocks + self.jit_blocks,
            self.interp_blocks,
            self.jit_blocks
        )?;
        writeln!(f, "  blocks lifted       {:>14}", self.blocks_lifted)?;
        writeln!(
            f,
            "  blocks compiled     {:>14} ({} guest insns, {} failed)",
            self.blocks_compiled, self.compiled_insns, self.compile_failures
        )?;
        let per = if self.compiled_insns > 0 {
            self.compile_ns as f64 / 1e3 / self.compiled_insns as f64
        } else {
            0.0
        };
        writeln!(
            f,
            "  compile time        {:>11.3} ms ({per:.1} µs per guest insn)",
            self.compile_ns as f64 / 1e6
        )?;
        writeln!(f, "  dispatcher lookups  {:>14}", self.dispatcher_lookups())?;
        writeln!(
            f,
            "  chain hits/patches  {:>14} / {}",
            self.chain_hits, self.chain_patches
        )?;
        match self.jc_hit_rate() {
            Some(r) => writeln!(
                f,
                "  jump cache          {:>13.1}% hits ({} / {})",
                r * 100.0,
                self.jc_hits,
                self.jc_hits + self.jc_misses
            )?,
            None => writeln!(f, "  jump cache          {:>14}", "unused")?,
        }
        write!(f, "  invalidated blocks  {:>14}", self.invalidated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_text_carry_the_counters() {
        let s = Stats {
            interp_insns: 7,
            jit_insns: 5,
            jc_hits: 3,
            jc_misses: 1,
            ..Stats::default()
        };
        let j = s.to_json();
        assert!(j.starts_with('{') && j.ends_with('}'), "{j}");
        assert!(j.contains("\"guest_insns\":12"), "{j}");
        assert!(j.contains("\"jc_hits\":3"), "{j}");
        let t = s.to_string();
        assert!(t.contains("75.0% hits"), "{t}");
    }
}
