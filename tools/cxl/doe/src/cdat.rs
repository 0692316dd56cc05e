// SPDX-License-Identifier: GPL-2.0
//! The CDAT (Coherent Device Attribute Table): reading it with CXL table access,
//! assembling it from its entries, and decoding it.
//!
//! CXL table access (vendor 0x1e98, type 0x02) returns one entry per request: entry
//! handle 0 is the 16-byte CDAT header (length of the whole table, revision, checksum,
//! sequence), the others are structures that start with a type and a length. Each
//! response names the next handle, 0xFFFF after the last. The table is the header
//! followed by the structures; all its bytes sum to 0 mod 256.
//!
//! Every length is checked before it is used: a table that lies about its lengths is
//! an error that says where, never a panic or an endless read.

use crate::discovery::Protocol;
use crate::framing::{bytes_from_dws, DataObject};
use crate::mailbox::{MailboxError, Transport};
use serde::Serialize;
use std::fmt;
use std::fmt::Write as _;

/// Bytes of the CDAT header.
pub const HEADER_LEN: usize = 16;
/// Bytes of the common header of a structure: type, reserved, length.
pub const STRUCT_HEADER_LEN: usize = 4;
/// The largest table the tool reads: 1 MiB.
pub const MAX_TABLE: usize = 1 << 20;
/// The next entry handle after the last entry.
pub const LAST_HANDLE: u16 = 0xffff;

/// Table access request code: read entry.
const READ_ENTRY: u32 = 0;
/// Table access table type: CDAT.
const TABLE_CDAT: u32 = 0;

/// Why the CDAT could not be read, assembled or decoded.
#[derive(Debug)]
pub enum Error {
    /// The exchange failed.
    Mailbox {
        /// The entry handle asked for.
        handle: u16,
        /// Why.
        err: MailboxError,
    },
    /// A response of another protocol.
    WrongProtocol {
        /// The entry handle asked for.
        handle: u16,
        /// The response's protocol.
        got: Protocol,
    },
    /// A response without its table access header DW.
    NoResponseHeader {
        /// The entry handle asked for.
        handle: u16,
    },
    /// A response whose header is not a CDAT read-entry response.
    BadResponseHeader {
        /// The entry handle asked for.
        handle: u16,
        /// The response's header DW.
        dw: u32,
    },
    /// The next handle is 0, the header, again.
    BackToHeader {
        /// The entry handle that pointed back.
        handle: u16,
    },
    /// The header entry is not 16 bytes.
    HeaderEntry {
        /// Bytes received.
        got: usize,
    },
    /// Fewer bytes than a CDAT header.
    Short {
        /// Bytes in the table.
        got: usize,
    },
    /// The header's length is below the header's own 16 bytes.
    LengthTooSmall {
        /// The header's length.
        says: u64,
    },
    /// The header's length is above the limit.
    Oversized {
        /// The header's length.
        says: u64,
        /// The limit.
        limit: usize,
    },
    /// The header's length is not the table's.
    LengthMismatch {
        /// The header's length.
        says: u64,
        /// Bytes in the table.
        got: usize,
    },
    /// An entry shorter than a structure header.
    ShortEntry {
        /// Its handle.
        handle: u16,
        /// Bytes received.
        got: usize,
    },
    /// An entry whose length field is below the 4-byte structure header.
    EntryLengthTooSmall {
        /// Its handle.
        handle: u16,
        /// Its length field.
        says: usize,
    },
    /// An entry whose length field is larger than the bytes received.
    EntryOverrun {
        /// Its handle.
        handle: u16,
        /// Its length field.
        says: usize,
        /// Bytes received.
        got: usize,
    },
    /// An entry with more bytes than its length field and the DW padding.
    EntryTrailing {
        /// Its handle.
        handle: u16,
        /// Its length field.
        says: usize,
        /// Bytes received.
        got: usize,
    },
    /// The entries are longer than the header's length.
    TableOverrun {
        /// The entry that went past the end.
        handle: u16,
        /// The header's length.
        says: usize,
        /// Bytes with that entry.
        got: usize,
    },
    /// The last entry came before the header's length was reached.
    Incomplete {
        /// The header's length.
        says: usize,
        /// Bytes received.
        got: usize,
    },
    /// The bytes do not sum to 0 mod 256.
    BadChecksum {
        /// The checksum field.
        checksum: u8,
        /// The sum of all bytes, mod 256.
        sum: u8,
    },
    /// Fewer bytes left than a structure header.
    StructTruncated {
        /// Offset of the structure.
        offset: usize,
        /// Bytes left in the table.
        left: usize,
    },
    /// A structure whose length field is below its 4-byte header.
    StructLengthTooSmall {
        /// Offset of the structure.
        offset: usize,
        /// Its length field.
        says: usize,
    },
    /// A structure that runs past the end of the table.
    StructOverrun {
        /// Offset of the structure.
        offset: usize,
        /// Its length field.
        says: usize,
        /// Bytes left in the table.
        left: usize,
    },
    /// A known structure of the wrong length.
    StructLength {
        /// Offset of the structure.
        offset: usize,
        /// Its name.
        name: &'static str,
        /// Its length field.
        says: usize,
        /// The length it must have.
        expected: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Mailbox { handle, err } => {
                write!(f, "reading CDAT entry {handle}: {err}")
            }
            Error::WrongProtocol { handle, got } => write!(
                f,
                "reading CDAT entry {handle}: the response is of protocol {got}, not {}",
                Protocol::CXL_TABLE_ACCESS
            ),
            Error::NoResponseHeader { handle } => write!(
                f,
                "reading CDAT entry {handle}: the response has no table access header"
            ),
            Error::BadResponseHeader { handle, dw } => write!(
                f,
                "reading CDAT entry {handle}: the response header {dw:#010x} is not a CDAT \
                 read-entry response (code {}, table type {})",
                dw & 0xff,
                (dw >> 8) & 0xff
            ),
            Error::BackToHeader { handle } => write!(
                f,
                "CDAT entry {handle} names entry 0, the header, as the next: the entries loop"
            ),
            Error::HeaderEntry { got } => {
                write!(f, "CDAT header entry is {got} bytes, expected {HEADER_LEN}")
            }
            Error::Short { got } => write!(
                f,
                "CDAT of {got} bytes is shorter than its {HEADER_LEN}-byte header"
            ),
            Error::LengthTooSmall { says } => write!(
                f,
                "CDAT header says the table is {says} bytes, less than the header itself"
            ),
            Error::Oversized { says, limit } => write!(
                f,
                "CDAT header says the table is {says} bytes, more than the limit of {limit}"
            ),
            Error::LengthMismatch { says, got } => write!(
                f,
                "CDAT header says the table is {says} bytes but it is {got}"
            ),
            Error::ShortEntry { handle, got } => write!(
                f,
                "CDAT entry {handle} is {got} bytes, shorter than a structure header"
            ),
            Error::EntryLengthTooSmall { handle, says } => write!(
                f,
                "CDAT entry {handle} says it is {says} bytes, less than its header"
            ),
            Error::EntryOverrun { handle, says, got } => write!(
                f,
                "CDAT entry {handle} says it is {says} bytes but only {got} came"
            ),
            Error::EntryTrailing { handle, says, got } => write!(
                f,
                "CDAT entry {handle} says it is {says} bytes but {got} came"
            ),
            Error::TableOverrun { handle, says, got } => write!(
                f,
                "CDAT entry {handle} ends at byte {got}, past the {says} bytes the header says"
            ),
            Error::Incomplete { says, got } => {
                write!(f, "CDAT ended after {got} bytes but its header says {says}")
            }
            Error::BadChecksum { checksum, sum } => write!(
                f,
                "CDAT checksum is bad: the bytes sum to {sum:#04x} mod 256, not 0 \
                 (checksum field {checksum:#04x})"
            ),
            Error::StructTruncated { offset, left } => write!(
                f,
                "CDAT structure at offset {offset:#x}: only {left} bytes left, less than a \
                 structure header"
            ),
            Error::StructLengthTooSmall { offset, says } => write!(
                f,
                "CDAT structure at offset {offset:#x} says it is {says} bytes, less than its \
                 header"
            ),
            Error::StructOverrun { offset, says, left } => write!(
                f,
                "CDAT structure at offset {offset:#x} says it is {says} bytes but only {left} \
                 are left in the table"
            ),
            Error::StructLength {
                offset,
                name,
                says,
                expected,
            } => write!(
                f,
                "CDAT {name} at offset {offset:#x} is {says} bytes, expected {expected}"
            ),
        }
    }
}

impl std::error::Error for Error {}

fn u16_at(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let lo = u64::from(u32_at(b, off));
    let hi = u64::from(u32_at(b, off + 4));
    lo | (hi << 32)
}

fn u8_at(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

/// The table access request for entry `handle` of the CDAT.
pub fn request(handle: u16) -> DataObject {
    DataObject::new(
        Protocol::CXL_TABLE_ACCESS.vendor,
        Protocol::CXL_TABLE_ACCESS.kind,
        vec![READ_ENTRY | (TABLE_CDAT << 8) | (u32::from(handle) << 16)],
    )
}

/// Builds the table from its entries, checking each against what the others say.
#[derive(Debug)]
pub struct Assembler {
    table: Vec<u8>,
    says: usize,
    limit: usize,
}

impl Assembler {
    /// An empty table of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Assembler {
            table: Vec::new(),
            says: 0,
            limit,
        }
    }

    /// Adds entry `handle`: the header first, then the structures. `bytes` may carry
    /// up to 3 bytes of padding to a whole DW.
    pub fn push(&mut self, handle: u16, bytes: &[u8]) -> Result<(), Error> {
        if self.table.is_empty() {
            if bytes.len() != HEADER_LEN {
                return Err(Error::HeaderEntry { got: bytes.len() });
            }
            let says = u64::from(u32_at(bytes, 0));
            if says < HEADER_LEN as u64 {
                return Err(Error::LengthTooSmall { says });
            }
            if says > self.limit as u64 {
                return Err(Error::Oversized {
                    says,
                    limit: self.limit,
                });
            }
            self.says = says as usize;
            self.table.extend_from_slice(bytes);
            return Ok(());
        }
        if bytes.len() < STRUCT_HEADER_LEN {
            return Err(Error::ShortEntry {
                handle,
                got: bytes.len(),
            });
        }
        let says = usize::from(u16_at(bytes, 2));
        if says < STRUCT_HEADER_LEN {
            return Err(Error::EntryLengthTooSmall { handle, says });
        }
        if says > bytes.len() {
            return Err(Error::EntryOverrun {
                handle,
                says,
                got: bytes.len(),
            });
        }
        if bytes.len() - says >= 4 {
            return Err(Error::EntryTrailing {
                handle,
                says,
                got: bytes.len(),
            });
        }
        let end = self.table.len() + says;
        if end > self.says {
            return Err(Error::TableOverrun {
                handle,
                says: self.says,
                got: end,
            });
        }
        self.table.extend_from_slice(&bytes[..says]);
        Ok(())
    }

    /// The table, once the last entry is in.
    pub fn finish(self) -> Result<Vec<u8>, Error> {
        if self.table.is_empty() {
            return Err(Error::HeaderEntry { got: 0 });
        }
        if self.table.len() != self.says {
            return Err(Error::Incomplete {
                says: self.says,
                got: self.table.len(),
            });
        }
        Ok(self.table)
    }
}

/// The table of `entries`, header first.
pub fn assemble<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, Error> {
    let mut asm = Assembler::new(MAX_TABLE);
    for (handle, entry) in entries.into_iter().enumerate() {
        asm.push(u16::try_from(handle).unwrap_or(u16::MAX), entry)?;
    }
    asm.finish()
}

/// Reads the whole CDAT with CXL table access, entry by entry.
pub fn read_table<T: Transport>(t: &mut T, limit: usize) -> Result<Vec<u8>, Error> {
    let mut asm = Assembler::new(limit);
    let mut handle = 0u16;
    loop {
        let rsp = t
            .exchange(&request(handle))
            .map_err(|err| Error::Mailbox { handle, err })?;
        let got = Protocol::of(&rsp);
        if got != Protocol::CXL_TABLE_ACCESS {
            return Err(Error::WrongProtocol { handle, got });
        }
        let (&dw, entry) = rsp
            .payload
            .split_first()
            .ok_or(Error::NoResponseHeader { handle })?;
        if dw & 0xffff != READ_ENTRY | (TABLE_CDAT << 8) {
            return Err(Error::BadResponseHeader { handle, dw });
        }
        asm.push(handle, &bytes_from_dws(entry))?;
        // Each entry adds at least 4 bytes and the table cannot grow past its header's
        // length, so this ends.
        match (dw >> 16) as u16 {
            LAST_HANDLE => return asm.finish(),
            0 => return Err(Error::BackToHeader { handle }),
            next => handle = next,
        }
    }
}

/// The CDAT header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Header {
    /// Bytes of the whole table.
    pub length: u32,
    /// CDAT revision.
    pub revision: u8,
    /// The checksum field.
    pub checksum: u8,
    /// The bytes sum to 0 mod 256 (always, for a decoded table).
    pub checksum_ok: bool,
    /// Sequence number: changes when the table does.
    pub sequence: u32,
}

/// One SSLBIS entry: a latency or bandwidth between two ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sslbe {
    /// Port X.
    pub port_x_id: u16,
    /// Port Y.
    pub port_y_id: u16,
    /// Latency or bandwidth, in entry base units.
    pub value: u16,
}

/// The fields of a structure, by type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "name")]
pub enum Body {
    /// Device Scoped Memory Affinity Structure.
    #[serde(rename = "DSMAS")]
    Dsmas {
        /// DSMAD handle.
        dsmad_handle: u8,
        /// Flags.
        flags: u8,
        /// DPA base.
        dpa_base: u64,
        /// DPA length.
        dpa_length: u64,
    },
    /// Device Scoped Latency and Bandwidth Information Structure.
    #[serde(rename = "DSLBIS")]
    Dslbis {
        /// DSMAS handle.
        handle: u8,
        /// Flags.
        flags: u8,
        /// Data type (HMAT): latency or bandwidth.
        data_type: u8,
        /// Entry base unit.
        entry_base_unit: u64,
        /// Entries, in base units.
        entries: [u16; 3],
    },
    /// Device Scoped Memory Side Cache Information Structure.
    #[serde(rename = "DSMSCIS")]
    Dsmscis {
        /// DSMAS handle.
        dsmas_handle: u8,
        /// Memory side cache size.
        memory_side_cache_size: u64,
        /// Cache attributes.
        cache_attributes: u32,
    },
    /// Device Scoped Initiator Structure.
    #[serde(rename = "DSIS")]
    Dsis {
        /// Flags.
        flags: u8,
        /// Handle.
        handle: u8,
    },
    /// Device Scoped EFI Memory Type Structure.
    #[serde(rename = "DSEMTS")]
    Dsemts {
        /// DSMAS handle.
        dsmas_handle: u8,
        /// EFI memory type and attribute.
        efi_memory_type: u8,
        /// DPA offset.
        dpa_offset: u64,
        /// DPA length.
        dpa_length: u64,
    },
    /// Switch Scoped Latency and Bandwidth Information Structure.
    #[serde(rename = "SSLBIS")]
    Sslbis {
        /// Data type (HMAT): latency or bandwidth.
        data_type: u8,
        /// Entry base unit.
        entry_base_unit: u64,
        /// The entries.
        entries: Vec<Sslbe>,
    },
    /// A type this tool does not know: its bytes, in hex.
    #[serde(rename = "unknown")]
    Unknown {
        /// The whole structure, header included, in hex.
        bytes: String,
    },
}

/// A structure of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Structure {
    /// Offset in the table.
    pub offset: usize,
    /// Type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Length, header included.
    pub length: usize,
    /// Fields.
    #[serde(flatten)]
    pub body: Body,
}

/// A decoded CDAT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cdat {
    /// The header.
    pub header: Header,
    /// The structures, in table order.
    pub structures: Vec<Structure>,
}

/// The name of a structure type this tool knows, and the length it must have.
fn layout(kind: u8) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        0 => ("DSMAS", "24"),
        1 => ("DSLBIS", "24"),
        2 => ("DSMSCIS", "20"),
        3 => ("DSIS", "8"),
        4 => ("DSEMTS", "24"),
        5 => ("SSLBIS", "16 + 8 per entry"),
        _ => return None,
    })
}

/// Whether a structure of a known `kind` may be `len` bytes.
fn length_fits(kind: u8, len: usize) -> bool {
    match kind {
        0 | 1 | 4 => len == 24,
        2 => len == 20,
        3 => len == 8,
        5 => len >= 16 && (len - 16) % 8 == 0,
        _ => true,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Decodes one structure of `kind` whose length is checked.
fn body(kind: u8, b: &[u8]) -> Body {
    match kind {
        0 => Body::Dsmas {
            dsmad_handle: u8_at(b, 4),
            flags: u8_at(b, 5),
            dpa_base: u64_at(b, 8),
            dpa_length: u64_at(b, 16),
        },
        1 => Body::Dslbis {
            handle: u8_at(b, 4),
            flags: u8_at(b, 5),
            data_type: u8_at(b, 6),
            entry_base_unit: u64_at(b, 8),
            entries: [u16_at(b, 16), u16_at(b, 18), u16_at(b, 20)],
        },
        2 => Body::Dsmscis {
            dsmas_handle: u8_at(b, 4),
            memory_side_cache_size: u64_at(b, 8),
            cache_attributes: u32_at(b, 16),
        },
        3 => Body::Dsis {
            flags: u8_at(b, 4),
            handle: u8_at(b, 5),
        },
        4 => Body::Dsemts {
            dsmas_handle: u8_at(b, 4),
            efi_memory_type: u8_at(b, 5),
            dpa_offset: u64_at(b, 8),
            dpa_length: u64_at(b, 16),
        },
        5 => Body::Sslbis {
            data_type: u8_at(b, 4),
            entry_base_unit: u64_at(b, 8),
            entries: b
                .get(16..)
                .unwrap_or(&[])
                .chunks_exact(8)
                .map(|e| Sslbe {
                    port_x_id: u16_at(e, 0),
                    port_y_id: u16_at(e, 2),
                    value: u16_at(e, 4),
                })
                .collect(),
        },
        _ => Body::Unknown { bytes: hex(b) },
    }
}

/// The sum of `bytes`, mod 256.
pub fn checksum_of(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |s, b| s.wrapping_add(*b))
}

impl Cdat {
    /// Decodes a whole table of at most `limit` bytes.
    pub fn parse(bytes: &[u8], limit: usize) -> Result<Self, Error> {
        if bytes.len() < HEADER_LEN {
            return Err(Error::Short { got: bytes.len() });
        }
        let length = u32_at(bytes, 0);
        let says = u64::from(length);
        if says < HEADER_LEN as u64 {
            return Err(Error::LengthTooSmall { says });
        }
        if says > limit as u64 {
            return Err(Error::Oversized { says, limit });
        }
        if says != bytes.len() as u64 {
            return Err(Error::LengthMismatch {
                says,
                got: bytes.len(),
            });
        }
        let checksum = u8_at(bytes, 5);
        let sum = checksum_of(bytes);
        if sum != 0 {
            return Err(Error::BadChecksum { checksum, sum });
        }
        let header = Header {
            length,
            revision: u8_at(bytes, 4),
            checksum,
            checksum_ok: true,
            sequence: u32_at(bytes, 12),
        };
        let mut structures = Vec::new();
        let mut offset = HEADER_LEN;
        while offset < bytes.len() {
            let rest = &bytes[offset..];
            if rest.len() < STRUCT_HEADER_LEN {
                return Err(Error::StructTruncated {
                    offset,
                    left: rest.len(),
                });
            }
            let kind = rest[0];
            let says = usize::from(u16_at(rest, 2));
            if says < STRUCT_HEADER_LEN {
                return Err(Error::StructLengthTooSmall { offset, says });
            }
            if says > rest.len() {
                return Err(Error::StructOverrun {
                    offset,
                    says,
                    left: rest.len(),
                });
            }
            if let Some((name, expected)) = layout(kind) {
                if !length_fits(kind, says) {
                    return Err(Error::StructLength {
                        offset,
                        name,
                        says,
                        expected,
                    });
                }
            }
            structures.push(Structure {
                offset,
                kind,
                length: says,
                body: body(kind, &rest[..says]),
            });
            offset += says;
        }
        Ok(Cdat { header, structures })
    }

    /// The decoded table as `doe cdat` prints it.
    pub fn text(&self) -> String {
        let h = &self.header;
        let mut s = format!(
            "CDAT: length {} bytes, revision {}, checksum {:#04x} ok, sequence {}\n",
            h.length, h.revision, h.checksum, h.sequence
        );
        for st in &self.structures {
            let _ = writeln!(s, "{}", st.line());
        }
        s
    }
}

/// The HMAT data type of DSLBIS and SSLBIS, and the unit of base unit × entry.
pub fn data_type(t: u8) -> Option<(&'static str, &'static str)> {
    Some(match t {
        0 => ("access latency", "ps"),
        1 => ("read latency", "ps"),
        2 => ("write latency", "ps"),
        3 => ("access bandwidth", "MB/s"),
        4 => ("read bandwidth", "MB/s"),
        5 => ("write bandwidth", "MB/s"),
        _ => return None,
    })
}

fn data_type_text(t: u8) -> String {
    match data_type(t) {
        Some((name, _)) => format!("data type {t} ({name})"),
        None => format!("data type {t}"),
    }
}

/// `value` base units, in the data type's unit.
fn value_text(t: u8, base: u64, value: u16) -> String {
    match data_type(t) {
        Some((_, unit)) => format!(" ({} {unit})", u128::from(base) * u128::from(value)),
        None => String::new(),
    }
}

/// The EFI memory type and attribute of DSEMTS.
pub fn efi_memory_type(t: u8) -> &'static str {
    match t {
        0 => "EfiConventionalMemory",
        1 => "EfiConventionalMemory, EFI_MEMORY_SP",
        2 => "EfiReservedMemoryType",
        _ => "reserved",
    }
}

fn dsmas_flags(flags: u8) -> String {
    let names: Vec<&str> = [(2, "non-volatile"), (3, "shareable")]
        .iter()
        .filter(|(bit, _)| flags & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        format!("{flags:#04x}")
    } else {
        format!("{flags:#04x} ({})", names.join(", "))
    }
}

impl Structure {
    /// One line (more for SSLBIS) of `doe cdat`.
    pub fn line(&self) -> String {
        let at = format!("[{:#06x}]", self.offset);
        match &self.body {
            Body::Dsmas {
                dsmad_handle,
                flags,
                dpa_base,
                dpa_length,
            } => format!(
                "{at} DSMAS: DSMAD handle {dsmad_handle}, flags {}, DPA base {dpa_base:#x}, \
                 DPA length {dpa_length:#x}",
                dsmas_flags(*flags)
            ),
            Body::Dslbis {
                handle,
                flags,
                data_type,
                entry_base_unit,
                entries,
            } => format!(
                "{at} DSLBIS: handle {handle}, flags {flags:#04x}, {}, entry base unit \
                 {entry_base_unit}, entries {} {} {}{}",
                data_type_text(*data_type),
                entries[0],
                entries[1],
                entries[2],
                value_text(*data_type, *entry_base_unit, entries[0])
            ),
            Body::Dsmscis {
                dsmas_handle,
                memory_side_cache_size,
                cache_attributes,
            } => format!(
                "{at} DSMSCIS: DSMAS handle {dsmas_handle}, memory side cache size \
                 {memory_side_cache_size:#x}, cache attributes {cache_attributes:#010x}"
            ),
            Body::Dsis { flags, handle } => {
                format!("{at} DSIS: flags {flags:#04x}, handle {handle}")
            }
            Body::Dsemts {
                dsmas_handle,
                efi_memory_type: t,
                dpa_offset,
                dpa_length,
            } => format!(
                "{at} DSEMTS: DSMAS handle {dsmas_handle}, EFI memory type {t} ({}), DPA offset \
                 {dpa_offset:#x}, DPA length {dpa_length:#x}",
                efi_memory_type(*t)
            ),
            Body::Sslbis {
                data_type,
                entry_base_unit,
                entries,
            } => {
                let mut s = format!(
                    "{at} SSLBIS: {}, entry base unit {entry_base_unit}, {} entries",
                    data_type_text(*data_type),
                    entries.len()
                );
                for e in entries {
                    let _ = write!(
                        s,
                        "\n    port {:#06x} to port {:#06x}: {}{}",
                        e.port_x_id,
                        e.port_y_id,
                        e.value,
                        value_text(*data_type, *entry_base_unit, e.value)
                    );
                }
                s
            }
            Body::Unknown { bytes } => {
                format!("{at} type {}, {} bytes: {bytes}", self.kind, self.length)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::Mailbox;
    use crate::sim::{sample_cdat, table_of, FakeClock, Misbehaviour, SimDoe, BASE};

    fn parse(bytes: &[u8]) -> Result<Cdat, Error> {
        Cdat::parse(bytes, MAX_TABLE)
    }

    fn refs(entries: &[Vec<u8>]) -> Vec<&[u8]> {
        entries.iter().map(Vec::as_slice).collect()
    }

    /// The entries with the header's length and checksum made right again.
    fn fix(mut entries: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        let table = table_of(&entries[1..]);
        entries[0] = table[..HEADER_LEN].to_vec();
        entries
    }

    #[test]
    fn sample_decodes() {
        let entries = sample_cdat();
        let table = assemble(refs(&entries)).expect("assembles");
        assert_eq!(checksum_of(&table), 0);
        let cdat = parse(&table).expect("decodes");
        assert_eq!(
            cdat.header,
            Header {
                length: table.len() as u32,
                revision: 1,
                checksum: table[5],
                checksum_ok: true,
                sequence: 7,
            }
        );
        assert_eq!(cdat.structures.len(), 4);
        assert_eq!(
            cdat.structures[0],
            Structure {
                offset: 16,
                kind: 0,
                length: 24,
                body: Body::Dsmas {
                    dsmad_handle: 0,
                    flags: 0x04,
                    dpa_base: 0,
                    dpa_length: 0x1000_0000,
                },
            }
        );
        let text = cdat.text();
        let expected = format!(
            "CDAT: length {} bytes, revision 1, checksum {:#04x} ok, sequence 7\n\
             [0x0010] DSMAS: DSMAD handle 0, flags 0x04 (non-volatile), DPA base 0x0, \
             DPA length 0x10000000\n\
             [0x0028] DSLBIS: handle 0, flags 0x00, data type 0 (access latency), entry base \
             unit 1000, entries 150 0 0 (150000 ps)\n\
             [0x0040] DSEMTS: DSMAS handle 0, EFI memory type 1 (EfiConventionalMemory, \
             EFI_MEMORY_SP), DPA offset 0x0, DPA length 0x10000000\n\
             [0x0058] SSLBIS: data type 3 (access bandwidth), entry base unit 1000, 2 entries\n    \
             port 0x0100 to port 0x0000: 16 (16000 MB/s)\n    \
             port 0x0100 to port 0x0001: 8 (8000 MB/s)\n",
            table.len(),
            table[5]
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn json() {
        let table = table_of(&sample_cdat()[1..]);
        let cdat = parse(&table).expect("decodes");
        let v: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&cdat).expect("json")).expect("parse");
        assert_eq!(v["header"]["length"], 120);
        assert_eq!(v["header"]["checksum_ok"], true);
        assert_eq!(v["structures"][0]["name"], "DSMAS");
        assert_eq!(v["structures"][0]["type"], 0);
        assert_eq!(v["structures"][0]["dpa_length"], 0x1000_0000);
        assert_eq!(v["structures"][1]["name"], "DSLBIS");
        assert_eq!(v["structures"][1]["entries"][0], 150);
        assert_eq!(v["structures"][3]["name"], "SSLBIS");
        assert_eq!(v["structures"][3]["entries"][1]["port_y_id"], 1);
    }

    #[test]
    fn unknown_types_are_shown_raw() {
        let table = table_of(&[vec![0x42, 0, 8, 0, 1, 2, 3, 4]]);
        let cdat = parse(&table).expect("decodes");
        assert_eq!(
            cdat.structures[0].body,
            Body::Unknown {
                bytes: "4200080001020304".to_string()
            }
        );
        assert_eq!(
            cdat.structures[0].line(),
            "[0x0010] type 66, 8 bytes: 4200080001020304"
        );
    }

    #[test]
    fn other_known_types() {
        let mut dsmscis = vec![2, 0, 20, 0, 3, 0, 0, 0];
        dsmscis.extend(0x40_0000u64.to_le_bytes());
        dsmscis.extend(0x0000_0105u32.to_le_bytes());
        let dsis = vec![3, 0, 8, 0, 1, 2, 0, 0];
        let cdat = parse(&table_of(&[dsmscis, dsis])).expect("decodes");
        assert_eq!(
            cdat.structures[0].line(),
            "[0x0010] DSMSCIS: DSMAS handle 3, memory side cache size 0x400000, cache \
             attributes 0x00000105"
        );
        assert_eq!(
            cdat.structures[1].line(),
            "[0x0024] DSIS: flags 0x01, handle 2"
        );
    }

    #[test]
    fn header_only_table() {
        let table = table_of(&[]);
        let cdat = parse(&table).expect("decodes");
        assert!(cdat.structures.is_empty());
        assert_eq!(assemble([&table[..]]).expect("assembles"), table);
    }

    #[test]
    fn short_tables() {
        for len in [0, 1, 15] {
            let e = parse(&vec![0; len]).expect_err("short");
            assert_eq!(
                e.to_string(),
                format!("CDAT of {len} bytes is shorter than its 16-byte header")
            );
        }
    }

    #[test]
    fn header_lengths_that_lie() {
        let mut table = table_of(&sample_cdat()[1..]);
        let len = table.len();
        // Longer than the table.
        table[0] = (len + 4) as u8;
        let e = parse(&table).expect_err("lie");
        assert_eq!(
            e.to_string(),
            format!(
                "CDAT header says the table is {} bytes but it is {len}",
                len + 4
            )
        );
        // Shorter than the table.
        table[0] = (len - 24) as u8;
        assert!(matches!(parse(&table), Err(Error::LengthMismatch { .. })));
        // Shorter than the header.
        table[0] = 8;
        let e = parse(&table).expect_err("lie");
        assert_eq!(
            e.to_string(),
            "CDAT header says the table is 8 bytes, less than the header itself"
        );
    }

    #[test]
    fn oversized() {
        let mut table = table_of(&[]);
        table[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = parse(&table).expect_err("oversized");
        assert_eq!(
            e.to_string(),
            "CDAT header says the table is 4294967295 bytes, more than the limit of 1048576"
        );
        let mut asm = Assembler::new(MAX_TABLE);
        assert!(matches!(asm.push(0, &table), Err(Error::Oversized { .. })));
        // A smaller limit applies to real lengths too.
        let table = table_of(&sample_cdat()[1..]);
        assert!(matches!(
            Cdat::parse(&table, 64),
            Err(Error::Oversized {
                says: 120,
                limit: 64
            })
        ));
    }

    #[test]
    fn bad_checksum() {
        let mut table = table_of(&sample_cdat()[1..]);
        table[5] = table[5].wrapping_add(1);
        let e = parse(&table).expect_err("checksum");
        assert!(
            e.to_string().starts_with(
                "CDAT checksum is bad: the bytes sum to 0x01 mod 256, not 0 (checksum field"
            ),
            "{e}"
        );
        // Any byte counts.
        let mut table = table_of(&sample_cdat()[1..]);
        table[100] ^= 0x10;
        assert!(matches!(parse(&table), Err(Error::BadChecksum { .. })));
    }

    #[test]
    fn structure_lengths_that_lie() {
        // A DSIS that says 12 bytes where the table has 8 left.
        let table = table_of(&[vec![3, 0, 12, 0, 0, 0, 0, 0]]);
        let e = parse(&table).expect_err("overrun");
        assert_eq!(
            e.to_string(),
            "CDAT structure at offset 0x10 says it is 12 bytes but only 8 are left in the table"
        );
        // Length 0 would never move on.
        let table = table_of(&[vec![0x42, 0, 0, 0]]);
        let e = parse(&table).expect_err("zero");
        assert_eq!(
            e.to_string(),
            "CDAT structure at offset 0x10 says it is 0 bytes, less than its header"
        );
        // Known types must have their length.
        let table = table_of(&[vec![0, 0, 8, 0, 0, 0, 0, 0]]);
        let e = parse(&table).expect_err("short DSMAS");
        assert_eq!(
            e.to_string(),
            "CDAT DSMAS at offset 0x10 is 8 bytes, expected 24"
        );
        let mut sslbis = vec![5, 0, 20, 0];
        sslbis.resize(20, 0);
        let e = parse(&table_of(&[sslbis])).expect_err("SSLBIS");
        assert_eq!(
            e.to_string(),
            "CDAT SSLBIS at offset 0x10 is 20 bytes, expected 16 + 8 per entry"
        );
    }

    #[test]
    fn trailing_bytes_after_the_last_structure() {
        // 2 bytes left: not even a structure header. The header length covers them.
        let mut table = table_of(&[vec![0x42, 0, 4, 0]]);
        table.extend([0, 0]);
        table[0] += 2;
        table[5] = table[5].wrapping_sub(2);
        let e = parse(&table).expect_err("truncated");
        assert_eq!(
            e.to_string(),
            "CDAT structure at offset 0x14: only 2 bytes left, less than a structure header"
        );
    }

    #[test]
    fn assembly_checks_each_entry() {
        let entries = sample_cdat();
        // The header entry must be 16 bytes.
        let e = assemble([&entries[0][..12]]).expect_err("short header");
        assert_eq!(e.to_string(), "CDAT header entry is 12 bytes, expected 16");
        assert!(matches!(assemble([]), Err(Error::HeaderEntry { got: 0 })));
        // An entry whose length is larger than what came.
        let mut lying = entries.clone();
        lying[1][2] = 28;
        let e = assemble(refs(&lying)).expect_err("lie");
        assert_eq!(
            e.to_string(),
            "CDAT entry 1 says it is 28 bytes but only 24 came"
        );
        // Smaller by a whole DW or more.
        lying[1][2] = 20;
        let e = assemble(refs(&lying)).expect_err("lie");
        assert_eq!(
            e.to_string(),
            "CDAT entry 1 says it is 20 bytes but 24 came"
        );
        // Below its header.
        lying[1][2] = 2;
        assert!(matches!(
            assemble(refs(&lying)),
            Err(Error::EntryLengthTooSmall { handle: 1, says: 2 })
        ));
        // Shorter than a header.
        let mut lying = entries.clone();
        lying[2] = vec![1, 0];
        let e = assemble(refs(&lying)).expect_err("short entry");
        assert_eq!(
            e.to_string(),
            "CDAT entry 2 is 2 bytes, shorter than a structure header"
        );
    }

    #[test]
    fn assembly_checks_the_header_length() {
        let mut entries = sample_cdat();
        // More entries than the header's length.
        entries.push(vec![3, 0, 8, 0, 0, 0, 0, 0]);
        let e = assemble(refs(&entries)).expect_err("overrun");
        assert_eq!(
            e.to_string(),
            "CDAT entry 5 ends at byte 128, past the 120 bytes the header says"
        );
        // Fewer.
        let mut entries = sample_cdat();
        entries.pop();
        let e = assemble(refs(&entries)).expect_err("incomplete");
        assert_eq!(
            e.to_string(),
            "CDAT ended after 88 bytes but its header says 120"
        );
    }

    #[test]
    fn padding_to_a_dw_is_accepted() {
        // A 6-byte unknown structure comes padded to 8 bytes.
        let s = vec![0x42, 0, 6, 0, 0xaa, 0xbb];
        let entries = fix(vec![vec![0; 16], s.clone()]);
        let mut padded = s;
        padded.extend([0, 0]);
        let table = assemble([&entries[0][..], &padded[..]]).expect("assembles");
        assert_eq!(table.len(), 22);
        let cdat = parse(&table).expect("decodes");
        assert_eq!(cdat.structures[0].length, 6);
    }

    #[test]
    fn reads_through_the_simulated_mailbox() {
        let mut sim = SimDoe::new();
        sim.cdat = sample_cdat();
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let table = read_table(&mut mb, MAX_TABLE).expect("reads");
        assert_eq!(table, table_of(&sample_cdat()[1..]));
        assert_eq!(sim.requests.len(), 5);
        assert_eq!(sim.requests[0], vec![0x0002_1e98, 3, 0x0000_0000]);
        assert_eq!(sim.requests[4], vec![0x0002_1e98, 3, 0x0004_0000]);
    }

    #[test]
    fn lying_entries_through_the_simulated_mailbox() {
        let mut sim = SimDoe::new();
        let mut entries = sample_cdat();
        entries[3][2] = 40; // DSEMTS says 40 bytes
        sim.cdat = entries;
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let e = read_table(&mut mb, MAX_TABLE).expect_err("lie");
        assert_eq!(
            e.to_string(),
            "CDAT entry 3 says it is 40 bytes but only 24 came"
        );
    }

    #[test]
    fn mailbox_errors_name_the_entry() {
        let mut sim = SimDoe::new();
        sim.cdat = sample_cdat();
        sim.misbehave = Misbehaviour::Length(4);
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let e = read_table(&mut mb, MAX_TABLE).expect_err("lie");
        assert!(
            e.to_string()
                .starts_with("reading CDAT entry 0: bad response: "),
            "{e}"
        );
        // Without table access.
        let mut sim = SimDoe::new();
        sim.protocols = vec![(1, 0)];
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let e = read_table(&mut mb, MAX_TABLE).expect_err("no table access");
        assert_eq!(
            e.to_string(),
            "reading CDAT entry 0: the mailbox set its Error bit; exchange aborted"
        );
    }

    /// A transport with canned table access responses.
    struct Canned(Vec<Vec<u32>>);

    impl Transport for Canned {
        fn exchange(&mut self, _req: &DataObject) -> Result<DataObject, MailboxError> {
            if self.0.is_empty() {
                return Err(MailboxError::Timeout);
            }
            Ok(DataObject::new(0x1e98, 2, self.0.remove(0)))
        }
    }

    #[test]
    fn malformed_responses() {
        let header = crate::framing::dws_from_bytes(&table_of(&[])).expect("DWs");
        let with = |dw: u32| {
            let mut p = vec![dw];
            p.extend(&header);
            p
        };
        let e = read_table(&mut Canned(vec![vec![]]), MAX_TABLE).expect_err("empty");
        assert_eq!(
            e.to_string(),
            "reading CDAT entry 0: the response has no table access header"
        );
        let e = read_table(&mut Canned(vec![with(0xffff_0100)]), MAX_TABLE).expect_err("type");
        assert_eq!(
            e.to_string(),
            "reading CDAT entry 0: the response header 0xffff0100 is not a CDAT read-entry \
             response (code 0, table type 1)"
        );
        let e = read_table(&mut Canned(vec![with(0)]), MAX_TABLE).expect_err("loop");
        assert_eq!(
            e.to_string(),
            "CDAT entry 0 names entry 0, the header, as the next: the entries loop"
        );
        assert_eq!(
            read_table(&mut Canned(vec![with(0xffff_0000)]), MAX_TABLE).expect("header only"),
            table_of(&[])
        );
        struct Other;
        impl Transport for Other {
            fn exchange(&mut self, _req: &DataObject) -> Result<DataObject, MailboxError> {
                Ok(DataObject::new(1, 0, vec![0]))
            }
        }
        let e = read_table(&mut Other, MAX_TABLE).expect_err("other protocol");
        assert_eq!(
            e.to_string(),
            "reading CDAT entry 0: the response is of protocol 0001:00, not 1e98:02"
        );
    }

    #[test]
    fn a_responder_that_never_ends_is_stopped() {
        // Every response is a DSIS whose next handle is the one after: the header's
        // length stops it.
        struct Endless(u16);
        impl Transport for Endless {
            fn exchange(&mut self, _req: &DataObject) -> Result<DataObject, MailboxError> {
                self.0 += 1;
                let mut p = vec![u32::from(self.0) << 16];
                if self.0 == 1 {
                    let mut h = table_of(&[]);
                    h[..4].copy_from_slice(&64u32.to_le_bytes());
                    p.extend(crate::framing::dws_from_bytes(&h).unwrap_or_default());
                } else {
                    p.extend([0x0008_0003, 0]);
                }
                Ok(DataObject::new(0x1e98, 2, p))
            }
        }
        let mut t = Endless(0);
        let e = read_table(&mut t, MAX_TABLE).expect_err("overrun");
        assert!(matches!(e, Error::TableOverrun { says: 64, .. }), "{e:?}");
        assert_eq!(t.0, 8);
    }
}
