// SPDX-License-Identifier: GPL-2.0
//! For the tests: a simulated DOE mailbox that answers discovery and CXL table access,
//! and can be told to misbehave; and a clock that advances only when slept on.

use crate::framing::{DataObject, MAX_OBJECT_DWS};
use crate::mailbox::{
    Clock, ConfigSpace, CTRL_ABORT, CTRL_GO, CTRL_INT_ENABLE, REG_CAP_HEADER, REG_CONTROL,
    REG_READ_MAILBOX, REG_STATUS, REG_WRITE_MAILBOX, STATUS_BUSY, STATUS_ERROR, STATUS_READY,
};
use std::io;
use std::time::Duration;

/// Where the simulated capability sits in configuration space.
pub const BASE: u32 = 0x190;

/// How the simulated mailbox misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Not at all.
    None,
    /// Busy, always.
    StayBusy,
    /// Sets Error on Go instead of answering.
    ErrorOnGo,
    /// Takes the request and never answers.
    NeverReady,
    /// Answers with this in header DW1 (the length field).
    Length(u32),
    /// Answers with only the first N DWs of the response.
    Truncate(usize),
    /// Goes away on Go (surprise removal): every read is all ones from then on.
    VanishOnGo,
}

/// A simulated DOE mailbox.
#[derive(Debug)]
pub struct SimDoe {
    /// The extended capability header.
    pub cap_header: u32,
    /// What discovery answers, in order.
    pub protocols: Vec<(u16, u8)>,
    /// The CDAT entries, by handle: the 16-byte header first.
    pub cdat: Vec<Vec<u8>>,
    /// How it misbehaves.
    pub misbehave: Misbehaviour,
    /// Busy for this many more status reads.
    pub busy_polls: u32,
    /// An abort leaves the mailbox busy for good.
    pub abort_sticks: bool,
    /// Busy for good, after an abort that sticks.
    pub stuck: bool,
    /// Status: Error.
    pub error: bool,
    /// Control: interrupt enable.
    pub control_int_enable: bool,
    /// DWs written to the Write Data Mailbox since the last Go.
    pub write_buf: Vec<u32>,
    /// The response being read.
    pub read_buf: Vec<u32>,
    /// The next response DW.
    pub read_idx: usize,
    /// Every request, as written.
    pub requests: Vec<Vec<u32>>,
    /// Aborts seen.
    pub aborts: u32,
    /// Accesses to this offset fail with EIO.
    pub fail_at: Option<u32>,
    /// The device is gone: reads return all ones, writes are dropped.
    pub gone: bool,
    /// Another agent (the kernel, say) reads out the response waiting in the mailbox
    /// after this many more status reads, as a concurrent exchange would.
    pub other_reads_after: Option<u32>,
    /// Configuration reads seen.
    pub reads: u32,
    /// Configuration writes seen.
    pub writes: u32,
}

impl Default for SimDoe {
    fn default() -> Self {
        Self::new()
    }
}

impl SimDoe {
    /// A mailbox with discovery and CXL table access, and an empty CDAT.
    pub fn new() -> Self {
        SimDoe {
            cap_header: 0x0001_002e,
            protocols: vec![(0x0001, 0x00), (0x1e98, 0x02)],
            cdat: Vec::new(),
            misbehave: Misbehaviour::None,
            busy_polls: 0,
            abort_sticks: false,
            stuck: false,
            error: false,
            control_int_enable: false,
            write_buf: Vec::new(),
            read_buf: Vec::new(),
            read_idx: 0,
            requests: Vec::new(),
            aborts: 0,
            fail_at: None,
            gone: false,
            other_reads_after: None,
            reads: 0,
            writes: 0,
        }
    }

    fn status(&mut self) -> u32 {
        match self.other_reads_after {
            Some(0) => {
                self.other_reads_after = None;
                self.read_buf.clear();
                self.read_idx = 0;
            }
            Some(n) => self.other_reads_after = Some(n - 1),
            None => {}
        }
        let mut st = 0;
        if self.busy_polls > 0 {
            self.busy_polls -= 1;
            st |= STATUS_BUSY;
        }
        if self.misbehave == Misbehaviour::StayBusy || self.stuck {
            st |= STATUS_BUSY;
        }
        if self.error {
            st |= STATUS_ERROR;
        }
        if self.read_idx < self.read_buf.len() {
            st |= STATUS_READY;
        }
        st
    }

    fn abort(&mut self) {
        self.aborts += 1;
        if self.abort_sticks {
            self.stuck = true;
            return;
        }
        self.error = false;
        self.write_buf.clear();
        self.read_buf.clear();
        self.read_idx = 0;
    }

    fn go(&mut self) {
        let req = std::mem::take(&mut self.write_buf);
        self.requests.push(req.clone());
        match self.misbehave {
            Misbehaviour::ErrorOnGo => {
                self.error = true;
                return;
            }
            Misbehaviour::NeverReady => return,
            Misbehaviour::VanishOnGo => {
                self.gone = true;
                return;
            }
            _ => {}
        }
        let Some(mut rsp) = self.respond(&req) else {
            self.error = true;
            return;
        };
        match self.misbehave {
            Misbehaviour::Length(len) => rsp[1] = len,
            Misbehaviour::Truncate(n) => rsp.truncate(n),
            _ => {}
        }
        self.read_buf = rsp;
        self.read_idx = 0;
    }

    /// The response DWs to `req`, or `None` for an unsupported request.
    fn respond(&self, req: &[u32]) -> Option<Vec<u32>> {
        let req = DataObject::decode(req, MAX_OBJECT_DWS).ok()?;
        let first = *req.payload.first()?;
        let payload = match (req.vendor, req.kind) {
            (0x0001, 0x00) => {
                let index = (first & 0xff) as usize;
                let (vendor, kind) = *self.protocols.get(index)?;
                let next = if index + 1 == self.protocols.len() {
                    0
                } else {
                    index + 1
                };
                vec![u32::from(vendor) | (u32::from(kind) << 16) | ((next as u32) << 24)]
            }
            (0x1e98, 0x02) if self.protocols.contains(&(0x1e98, 0x02)) => {
                if first & 0xffff != 0 {
                    return None;
                }
                let handle = (first >> 16) as usize;
                let entry = self.cdat.get(handle)?;
                let next = if handle + 1 == self.cdat.len() {
                    0xffff
                } else {
                    handle as u32 + 1
                };
                let mut payload = vec![next << 16];
                let mut bytes = entry.clone();
                bytes.resize(entry.len().div_ceil(4) * 4, 0);
                payload.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                );
                payload
            }
            _ => return None,
        };
        DataObject::new(req.vendor, req.kind, payload).encode().ok()
    }

    fn check(&self, off: u32) -> io::Result<()> {
        if self.fail_at == Some(off) {
            Err(io::Error::from_raw_os_error(5))
        } else {
            Ok(())
        }
    }
}

impl ConfigSpace for SimDoe {
    fn read32(&mut self, off: u32) -> io::Result<u32> {
        self.check(off)?;
        self.reads += 1;
        if self.gone {
            return Ok(u32::MAX);
        }
        let Some(reg) = off.checked_sub(BASE) else {
            return Ok(0);
        };
        Ok(match reg {
            REG_CAP_HEADER => self.cap_header,
            REG_CONTROL => u32::from(self.control_int_enable) * CTRL_INT_ENABLE,
            REG_STATUS => self.status(),
            REG_READ_MAILBOX => self.read_buf.get(self.read_idx).copied().unwrap_or(0),
            _ => 0,
        })
    }

    fn write32(&mut self, off: u32, v: u32) -> io::Result<()> {
        self.check(off)?;
        self.writes += 1;
        if self.gone {
            return Ok(());
        }
        let Some(reg) = off.checked_sub(BASE) else {
            return Ok(());
        };
        match reg {
            REG_CONTROL => {
                // A write of the register sets Interrupt Enable to its bit 1, whatever
                // else it does.
                self.control_int_enable = v & CTRL_INT_ENABLE != 0;
                if v & CTRL_ABORT != 0 {
                    self.abort();
                    return Ok(());
                }
                if v & CTRL_GO != 0 {
                    self.go();
                }
            }
            REG_WRITE_MAILBOX => self.write_buf.push(v),
            REG_READ_MAILBOX => {
                if self.read_idx < self.read_buf.len() {
                    self.read_idx += 1;
                    if self.read_idx == self.read_buf.len() {
                        self.read_buf.clear();
                        self.read_idx = 0;
                    }
                } else {
                    // Advancing past the end.
                    self.error = true;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A clock that advances only when slept on.
#[derive(Debug, Default)]
pub struct FakeClock {
    t: Duration,
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.t
    }
    fn sleep(&mut self, d: Duration) {
        self.t += d;
    }
}

/// A whole CDAT of `structures`: revision 1, sequence 7, checksum right.
pub fn table_of(structures: &[Vec<u8>]) -> Vec<u8> {
    let len: usize = 16 + structures.iter().map(Vec::len).sum::<usize>();
    let mut table = Vec::with_capacity(len);
    table.extend((len as u32).to_le_bytes());
    table.extend([1, 0, 0, 0, 0, 0, 0, 0]);
    table.extend(7u32.to_le_bytes());
    for s in structures {
        table.extend(s);
    }
    let sum = table.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    table[5] = 0u8.wrapping_sub(sum);
    table
}

/// The entries of a small CDAT, by handle: the header, a DSMAS, a DSLBIS, a DSEMTS
/// and an SSLBIS of two entries. 120 bytes.
pub fn sample_cdat() -> Vec<Vec<u8>> {
    let mut dsmas = vec![0, 0, 24, 0, 0, 0x04, 0, 0];
    dsmas.extend(0u64.to_le_bytes());
    dsmas.extend(0x1000_0000u64.to_le_bytes());
    let mut dslbis = vec![1, 0, 24, 0, 0, 0, 0, 0];
    dslbis.extend(1000u64.to_le_bytes());
    for v in [150u16, 0, 0, 0] {
        dslbis.extend(v.to_le_bytes());
    }
    let mut dsemts = vec![4, 0, 24, 0, 0, 1, 0, 0];
    dsemts.extend(0u64.to_le_bytes());
    dsemts.extend(0x1000_0000u64.to_le_bytes());
    let mut sslbis = vec![5, 0, 32, 0, 3, 0, 0, 0];
    sslbis.extend(1000u64.to_le_bytes());
    for v in [0x100u16, 0, 16, 0, 0x100, 1, 8, 0] {
        sslbis.extend(v.to_le_bytes());
    }
    let structures = vec![dsmas, dslbis, dsemts, sslbis];
    let table = table_of(&structures);
    let mut entries = vec![table[..16].to_vec()];
    entries.extend(structures);
    entries
}
