//! Clocks, sleeping and randomness. `timespec`/`timeval` are converted through the guest's
//! word size and byte order, so these work for every guest.

use super::{SysResult, Syscalls, get, int, ptr_out, put, raw};
use crate::space::AddressSpace;

impl Syscalls {
    /// Reads a guest `struct timespec` (two guest words).
    pub(super) fn get_timespec(
        &self,
        space: &mut AddressSpace,
        addr: u64,
    ) -> Result<libc::timespec, i32> {
        let w = self.abi.word_size();
        let b = get(space, addr, 2 * w)?;
        let sec = self.abi.get_word(&b);
        let sec = if w == 4 {
            sec as i32 as i64
        } else {
            sec as i64
        };
        Ok(libc::timespec {
            tv_sec: sec,
            tv_nsec: self.abi.get_word(&b[w..]) as i64,
        })
    }

    /// Reads a guest `struct __kernel_timespec` (two 64-bit fields: the `*_time64` calls).
    pub(super) fn get_timespec64(
        &self,
        space: &mut AddressSpace,
        addr: u64,
    ) -> Result<libc::timespec, i32> {
        let b = get(space, addr, 16)?;
        let field = |o: usize| {
            let v: [u8; 8] = b[o..o + 8].try_into().expect("8 bytes");
            match self.abi.endian {
                crate::abi::Endian::Little => i64::from_le_bytes(v),
                crate::abi::Endian::Big => i64::from_be_bytes(v),
            }
        };
        Ok(libc::timespec {
            tv_sec: field(0),
            tv_nsec: field(8),
        })
    }

    /// Writes a `timespec`/`timeval` (two guest words) to the guest.
    pub(super) fn put_pair(
        &self,
        space: &mut AddressSpace,
        addr: u64,
        a: i64,
        b: i64,
    ) -> Result<(), i32> {
        let mut o = Vec::new();
        self.abi.put_word(&mut o, a as u64);
        self.abi.put_word(&mut o, b as u64);
        put(space, addr, &o)
    }

    pub(super) fn clock_gettime(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        raw(
            libc::SYS_clock_gettime,
            [int(a[0]), &raw mut ts as i64, 0, 0, 0, 0],
        )?;
        self.put_pair(space, a[1], ts.tv_sec, ts.tv_nsec)?;
        Ok(0)
    }

    pub(super) fn clock_getres(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        raw(
            libc::SYS_clock_getres,
            [int(a[0]), &raw mut ts as i64, 0, 0, 0, 0],
        )?;
        if a[1] != 0 {
            self.put_pair(space, a[1], ts.tv_sec, ts.tv_nsec)?;
        }
        Ok(0)
    }

    pub(super) fn gettimeofday(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let mut tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        raw(libc::SYS_gettimeofday, [&raw mut tv as i64, 0, 0, 0, 0, 0])?;
        if a[0] != 0 {
            self.put_pair(space, a[0], tv.tv_sec, tv.tv_usec)?;
        }
        if a[1] != 0 {
            // struct timezone: two ints, always zero on Linux nowadays.
            put(space, a[1], &[0; 8])?;
        }
        Ok(0)
    }

    pub(super) fn time(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let t = raw(libc::SYS_time, [0; 6])?;
        if a[0] != 0 {
            let mut o = Vec::new();
            self.abi.put_word(&mut o, t as u64);
            put(space, a[0], &o)?;
        }
        Ok(t)
    }

    pub(super) fn nanosleep(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        self.clock_nanosleep(space, [libc::CLOCK_REALTIME as u64, 0, a[0], a[1], 0, 0])
    }

    pub(super) fn clock_nanosleep(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let req = self.get_timespec(space, a[2])?;
        let mut rem = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let r = raw(
            libc::SYS_clock_nanosleep,
            [
                int(a[0]),
                int(a[1]),
                &raw const req as i64,
                &raw mut rem as i64,
                0,
                0,
            ],
        );
        if r == Err(libc::EINTR) && a[3] != 0 {
            self.put_pair(space, a[3], rem.tv_sec, rem.tv_nsec)?;
        }
        r
    }

    pub(super) fn getrandom(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let buf = ptr_out(space, a[0], a[1])?;
        raw(libc::SYS_getrandom, [buf, a[1] as i64, int(a[2]), 0, 0, 0])
    }

    /// clock_gettime64/clock_getres_time64 of 32-bit guests: `struct __kernel_timespec` is
    /// two 64-bit fields.
    pub(super) fn clock_gettime64(
        &mut self,
        space: &mut AddressSpace,
        a: [u64; 6],
        res: bool,
    ) -> SysResult {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let nr = if res {
            libc::SYS_clock_getres
        } else {
            libc::SYS_clock_gettime
        };
        raw(nr, [int(a[0]), &raw mut ts as i64, 0, 0, 0, 0])?;
        if a[1] != 0 {
            let mut o = Vec::new();
            self.abi.put_u64(&mut o, ts.tv_sec as u64);
            self.abi.put_u64(&mut o, ts.tv_nsec as u64);
            put(space, a[1], &o)?;
        }
        Ok(0)
    }

    pub(super) fn clock_nanosleep64(&mut self, space: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let b = get(space, a[2], 16)?;
        let word = |o: usize| {
            let v: [u8; 8] = b[o..o + 8].try_into().expect("8 bytes");
            match self.abi.endian {
                crate::abi::Endian::Little => i64::from_le_bytes(v),
                crate::abi::Endian::Big => i64::from_be_bytes(v),
            }
        };
        let req = libc::timespec {
            tv_sec: word(0),
            tv_nsec: word(8),
        };
        let mut rem = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let r = raw(
            libc::SYS_clock_nanosleep,
            [
                int(a[0]),
                int(a[1]),
                &raw const req as i64,
                &raw mut rem as i64,
                0,
                0,
            ],
        );
        if r == Err(libc::EINTR) && a[3] != 0 {
            let mut o = Vec::new();
            self.abi.put_u64(&mut o, rem.tv_sec as u64);
            self.abi.put_u64(&mut o, rem.tv_nsec as u64);
            put(space, a[3], &o)?;
        }
        r
    }
}
