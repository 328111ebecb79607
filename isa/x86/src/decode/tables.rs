//! The opcode maps (SDM Vol. 2, Appendix A "Opcode Map"), one token per opcode, one line per
//! row of sixteen. The decoder needs only the *format* of an opcode to find its length and
//! operands; what it does is the lifter's business (`lift/*.rs`, keyed by map and opcode).
//!
//! Tokens:
//! - `m`  ModRM, no immediate          - `mb` ModRM + imm8        - `mz` ModRM + imm16/32
//! - `-`  no operand bytes              - `b`  imm8                - `w`  imm16
//! - `z`  imm16/32 (by operand size)    - `d`  imm32 always (rel32 branches in 64-bit mode)
//! - `v`  imm16/32/64 (MOV r, imm)      - `o`  moffs (address-size offset, MOV AL/AX, moffs)
//! - `e`  imm16 + imm8 (ENTER)          - `g3` ModRM, imm by ModRM.reg (group 3: TEST has one)
//! - `P`  a prefix byte (handled before the table) - `E` escape to the next map
//! - `x`  invalid in 64-bit mode, or an encoding (VEX/EVEX/XOP, 3DNow!) xarch does not decode

/// Operand-byte format of one opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    None,
    ModRm,
    ModRmImm8,
    ModRmImmZ,
    Imm8,
    Imm16,
    ImmZ,
    Imm32,
    ImmV,
    Moffs,
    Enter,
    Group3,
    Prefix,
    Escape,
    Invalid,
}

const fn token(t: &[u8]) -> Fmt {
    match t {
        b"m" => Fmt::ModRm,
        b"mb" => Fmt::ModRmImm8,
        b"mz" => Fmt::ModRmImmZ,
        b"-" => Fmt::None,
        b"b" => Fmt::Imm8,
        b"w" => Fmt::Imm16,
        b"z" => Fmt::ImmZ,
        b"d" => Fmt::Imm32,
        b"v" => Fmt::ImmV,
        b"o" => Fmt::Moffs,
        b"e" => Fmt::Enter,
        b"g3" => Fmt::Group3,
        b"P" => Fmt::Prefix,
        b"E" => Fmt::Escape,
        b"x" => Fmt::Invalid,
        _ => panic!("unknown opcode-map token"),
    }
}

/// Parses a map written as whitespace-separated tokens (exactly 256) at compile time.
const fn parse(src: &str) -> [Fmt; 256] {
    let s = src.as_bytes();
    let mut out = [Fmt::Invalid; 256];
    let mut i = 0;
    let mut n = 0;
    while i < s.len() {
        while i < s.len() && (s[i] == b' ' || s[i] == b'\n') {
            i += 1;
        }
        if i >= s.len() {
            break;
        }
        let start = i;
        while i < s.len() && s[i] != b' ' && s[i] != b'\n' {
            i += 1;
        }
        let (tok, _) = s.split_at(i);
        let (_, tok) = tok.split_at(start);
        assert!(n < 256, "opcode map has more than 256 entries");
        out[n] = token(tok);
        n += 1;
    }
    assert!(n == 256, "opcode map must have 256 entries");
    out
}

/// The one-byte map.
#[rustfmt::skip]
pub const PRIMARY: [Fmt; 256] = parse("
m  m  m  m  b  z  x  x   m  m  m  m  b  z  x  E
m  m  m  m  b  z  x  x   m  m  m  m  b  z  x  x
m  m  m  m  b  z  P  x   m  m  m  m  b  z  P  x
m  m  m  m  b  z  P  x   m  m  m  m  b  z  P  x
P  P  P  P  P  P  P  P   P  P  P  P  P  P  P  P
-  -  -  -  -  -  -  -   -  -  -  -  -  -  -  -
x  x  x  m  P  P  P  P   z  mz b  mb -  -  -  -
b  b  b  b  b  b  b  b   b  b  b  b  b  b  b  b
mb mz x  mb m  m  m  m   m  m  m  m  m  m  m  m
-  -  -  -  -  -  -  -   -  -  x  -  -  -  -  -
o  o  o  o  -  -  -  -   b  z  -  -  -  -  -  -
b  b  b  b  b  b  b  b   v  v  v  v  v  v  v  v
mb mb w  -  x  x  mb mz  e  -  w  -  -  b  x  -
m  m  m  m  x  x  x  -   m  m  m  m  m  m  m  m
b  b  b  b  b  b  b  b   d  d  x  b  -  -  -  -
P  -  P  P  -  -  g3 g3  -  -  -  -  -  -  m  m
");

/// The two-byte map (0F xx).
#[rustfmt::skip]
pub const MAP_0F: [Fmt; 256] = parse("
m  m  m  m  x  -  -  -   -  -  x  -  x  m  -  x
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
m  m  m  m  x  x  x  x   m  m  m  m  m  m  m  m
-  -  -  -  -  -  x  -   E  x  E  x  x  x  x  x
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
mb mb mb mb m  m  m  -   m  m  x  x  m  m  m  m
d  d  d  d  d  d  d  d   d  d  d  d  d  d  d  d
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
-  -  -  m  mb m  x  x   -  -  -  m  mb m  m  m
m  m  m  m  m  m  m  m   m  m  mb m  m  m  m  m
m  m  mb m  mb mb mb m   -  -  -  -  -  -  -  -
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
m  m  m  m  m  m  m  m   m  m  m  m  m  m  m  m
");

/// The three-byte map 0F 38 xx: ModRM, no immediate.
pub const MAP_0F38: [Fmt; 256] = [Fmt::ModRm; 256];

/// The three-byte map 0F 3A xx: ModRM and an imm8.
pub const MAP_0F3A: [Fmt; 256] = [Fmt::ModRmImm8; 256];

/// Opcodes of the one-byte map whose operand size defaults to 64 bits in 64-bit mode
/// (SDM Vol. 1, 3.6.1; Appendix A "d64"/"f64"): a 66 prefix makes them 16-bit, REX.W is moot.
pub fn primary_default_64(op: u8) -> bool {
    matches!(
        op,
        0x50..=0x5f | 0x68 | 0x6a | 0x8f | 0x9c | 0x9d | 0xc2 | 0xc3 | 0xc9 | 0xe8 | 0xe9 | 0xeb
    ) || (0x70..=0x7f).contains(&op)
        || (0xe0..=0xe3).contains(&op)
}
