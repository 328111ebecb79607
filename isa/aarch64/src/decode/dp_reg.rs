//! ARM ARM C4.1.89 "Data Processing -- Register".

use crate::inst;
use crate::lift::dp_reg as l;

use super::Encoding;

#[rustfmt::skip]
pub static TABLE: &[Encoding] = &[
    // Data-processing (2 source)
    inst!(UDIV,       "UDIV",                        "z0011010110mmmmm000010nnnnnddddd", l::div),
    inst!(SDIV,       "SDIV",                        "z0011010110mmmmm000011nnnnnddddd", l::div),
    inst!(LSLV,       "LSLV",                        "z0011010110mmmmm001000nnnnnddddd", l::shift_var),
    inst!(LSRV,       "LSRV",                        "z0011010110mmmmm001001nnnnnddddd", l::shift_var),
    inst!(ASRV,       "ASRV",                        "z0011010110mmmmm001010nnnnnddddd", l::shift_var),
    inst!(RORV,       "RORV",                        "z0011010110mmmmm001011nnnnnddddd", l::shift_var),
    // CRC32 (FEAT_CRC32, HWCAP_CRC32): c = Castagnoli, ss = value size; sf = 1 only with ss = 11
    inst!(CRC32,      "CRC32B/H/W/X, CRC32CB/H/W/X", "z0011010110mmmmm010cssnnnnnddddd", l::crc32),
    // inst!(SUBP, IRG, GMI, PACGA, SMAX/SMIN/UMAX/UMIN (reg)): MTE, PAC, CSSC not implemented
    // Data-processing (1 source)
    inst!(RBIT,       "RBIT",                        "z101101011000000000000nnnnnddddd", l::dp_1src),
    inst!(REV16,      "REV16",                       "z101101011000000000001nnnnnddddd", l::dp_1src),
    inst!(REV32,      "REV32 / REV (32-bit)",        "z101101011000000000010nnnnnddddd", l::dp_1src),
    inst!(REV64,      "REV (64-bit)",                "1101101011000000000011nnnnnddddd", l::dp_1src),
    inst!(CLZ,        "CLZ",                         "z101101011000000000100nnnnnddddd", l::dp_1src),
    inst!(CLS,        "CLS",                         "z101101011000000000101nnnnnddddd", l::dp_1src),
    // inst!(CTZ, CNT, ABS, "FEAT_CSSC",             "z10110101100000000100onnnnnddddd", ...), not advertised
    // inst!(PACIA etc., "PAC",                      "110110101100000100oooonnnnnddddd", ...), PAC not advertised
    // Logical (shifted register)
    inst!(AND_reg,    "AND (shifted register)",      "z0001010hh0mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(BIC,        "BIC (shifted register)",      "z0001010hh1mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(ORR_reg,    "ORR (shifted register)",      "z0101010hh0mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(ORN,        "ORN (shifted register)",      "z0101010hh1mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(EOR_reg,    "EOR (shifted register)",      "z1001010hh0mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(EON,        "EON (shifted register)",      "z1001010hh1mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(ANDS_reg,   "ANDS (shifted register)",     "z1101010hh0mmmmmiiiiiinnnnnddddd", l::logical_reg),
    inst!(BICS,       "BICS (shifted register)",     "z1101010hh1mmmmmiiiiiinnnnnddddd", l::logical_reg),
    // Add/subtract (shifted register)
    inst!(ADD_shift,  "ADD (shifted register)",      "z0001011hh0mmmmmiiiiiinnnnnddddd", l::add_sub_shifted),
    inst!(ADDS_shift, "ADDS (shifted register)",     "z0101011hh0mmmmmiiiiiinnnnnddddd", l::add_sub_shifted),
    inst!(SUB_shift,  "SUB (shifted register)",      "z1001011hh0mmmmmiiiiiinnnnnddddd", l::add_sub_shifted),
    inst!(SUBS_shift, "SUBS (shifted register)",     "z1101011hh0mmmmmiiiiiinnnnnddddd", l::add_sub_shifted),
    // Add/subtract (extended register)
    inst!(ADD_ext,    "ADD (extended register)",     "z0001011001mmmmmoooiiinnnnnddddd", l::add_sub_extended),
    inst!(ADDS_ext,   "ADDS (extended register)",    "z0101011001mmmmmoooiiinnnnnddddd", l::add_sub_extended),
    inst!(SUB_ext,    "SUB (extended register)",     "z1001011001mmmmmoooiiinnnnnddddd", l::add_sub_extended),
    inst!(SUBS_ext,   "SUBS (extended register)",    "z1101011001mmmmmoooiiinnnnnddddd", l::add_sub_extended),
    // Add/subtract (with carry)
    inst!(ADC,        "ADC",                         "z0011010000mmmmm000000nnnnnddddd", l::adc_sbc),
    inst!(ADCS,       "ADCS",                        "z0111010000mmmmm000000nnnnnddddd", l::adc_sbc),
    inst!(SBC,        "SBC",                         "z1011010000mmmmm000000nnnnnddddd", l::adc_sbc),
    inst!(SBCS,       "SBCS",                        "z1111010000mmmmm000000nnnnnddddd", l::adc_sbc),
    // inst!(RMIF,    "RMIF",                        "10111010000iiiiii00001nnnnn0mmmm", ...), FEAT_FlagM not advertised
    // inst!(SETF8/16, "SETF8, SETF16",              "0011101000000000o00010nnnnn01101", ...), FEAT_FlagM not advertised
    // Conditional compare (register / immediate)
    inst!(CCMN_reg,   "CCMN (register)",             "z0111010010mmmmmcccc00nnnnn0ffff", l::ccmp),
    inst!(CCMP_reg,   "CCMP (register)",             "z1111010010mmmmmcccc00nnnnn0ffff", l::ccmp),
    inst!(CCMN_imm,   "CCMN (immediate)",            "z0111010010iiiiicccc10nnnnn0ffff", l::ccmp),
    inst!(CCMP_imm,   "CCMP (immediate)",            "z1111010010iiiiicccc10nnnnn0ffff", l::ccmp),
    // Conditional select
    inst!(CSEL,       "CSEL",                        "z0011010100mmmmmcccc00nnnnnddddd", l::csel),
    inst!(CSINC,      "CSINC",                       "z0011010100mmmmmcccc01nnnnnddddd", l::csel),
    inst!(CSINV,      "CSINV",                       "z1011010100mmmmmcccc00nnnnnddddd", l::csel),
    inst!(CSNEG,      "CSNEG",                       "z1011010100mmmmmcccc01nnnnnddddd", l::csel),
    // Data-processing (3 source)
    inst!(MADD,       "MADD",                        "z0011011000mmmmm0aaaaannnnnddddd", l::madd),
    inst!(MSUB,       "MSUB",                        "z0011011000mmmmm1aaaaannnnnddddd", l::madd),
    inst!(SMADDL,     "SMADDL",                      "10011011001mmmmm0aaaaannnnnddddd", l::madd_long),
    inst!(SMSUBL,     "SMSUBL",                      "10011011001mmmmm1aaaaannnnnddddd", l::madd_long),
    inst!(SMULH,      "SMULH",                       "10011011010mmmmm0aaaaannnnnddddd", l::mulh),
    inst!(UMADDL,     "UMADDL",                      "10011011101mmmmm0aaaaannnnnddddd", l::madd_long),
    inst!(UMSUBL,     "UMSUBL",                      "10011011101mmmmm1aaaaannnnnddddd", l::madd_long),
    inst!(UMULH,      "UMULH",                       "10011011110mmmmm0aaaaannnnnddddd", l::mulh),
];
