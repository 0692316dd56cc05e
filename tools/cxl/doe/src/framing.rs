// SPDX-License-Identifier: GPL-2.0
//! DOE data objects (PCIe r6.0 sec 6.30.1): encoding a request, decoding a response.
//!
//! A data object is two header DWs and a payload:
//!
//! - DW0: vendor ID in bits 15:0, data object type in bits 23:16;
//! - DW1: length in DWs, header included, in bits 17:0, where 0 means 2^18;
//! - the payload DWs.
//!
//! A decoded length is checked against what was received and against a limit: a
//! response never makes the tool read or allocate more than the limit says.

use std::fmt;

/// DWs in the largest data object the length field can express: 2^18 DWs, 1 MiB.
pub const MAX_OBJECT_DWS: usize = 1 << 18;

/// DWs of the header.
pub const HEADER_DWS: usize = 2;

/// The length field of header DW1.
const LENGTH_MASK: u32 = (1 << 18) - 1;

/// A data object: the protocol it belongs to and its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataObject {
    /// Vendor ID of the protocol.
    pub vendor: u16,
    /// Data object type within the vendor's protocols.
    pub kind: u8,
    /// The payload DWs, after the header.
    pub payload: Vec<u32>,
}

/// Why a data object could not be encoded or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Fewer than the two header DWs.
    Short {
        /// DWs received.
        got: usize,
    },
    /// The length field is below the two header DWs.
    LengthTooSmall {
        /// The length field.
        says: usize,
    },
    /// The length field is above the limit.
    Oversized {
        /// The length in DWs (2^18 for a length field of 0).
        says: usize,
        /// The limit in DWs.
        limit: usize,
    },
    /// The length field is larger than the DWs received.
    Truncated {
        /// The length in DWs.
        says: usize,
        /// DWs received.
        got: usize,
    },
    /// More DWs were received than the length field says.
    Trailing {
        /// The length in DWs.
        says: usize,
        /// DWs received.
        got: usize,
    },
    /// A request payload too large for a data object.
    PayloadTooLarge {
        /// Payload DWs.
        dws: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Short { got } => write!(
                f,
                "data object of {got} DW(s) is shorter than its 2-DW header"
            ),
            FrameError::LengthTooSmall { says } => write!(
                f,
                "data object length field says {says} DW(s), less than its 2-DW header"
            ),
            FrameError::Oversized { says, limit } => write!(
                f,
                "data object length field says {says} DWs ({} bytes), more than the limit of \
                 {limit} DWs",
                *says as u64 * 4
            ),
            FrameError::Truncated { says, got } => write!(
                f,
                "data object length field says {says} DWs but only {got} came"
            ),
            FrameError::Trailing { says, got } => {
                write!(f, "data object length field says {says} DWs but {got} came")
            }
            FrameError::PayloadTooLarge { dws } => write!(
                f,
                "payload of {dws} DWs does not fit a data object (at most {} DWs)",
                MAX_OBJECT_DWS - HEADER_DWS
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// Header DW0 of a data object of `vendor` and `kind`.
pub fn header0(vendor: u16, kind: u8) -> u32 {
    u32::from(vendor) | (u32::from(kind) << 16)
}

/// The vendor ID and data object type of header DW0.
pub fn split_header0(dw0: u32) -> (u16, u8) {
    ((dw0 & 0xffff) as u16, ((dw0 >> 16) & 0xff) as u8)
}

/// The length in DWs of header DW1: its bits 17:0, where 0 means 2^18.
pub fn object_length(dw1: u32) -> usize {
    match dw1 & LENGTH_MASK {
        0 => MAX_OBJECT_DWS,
        n => n as usize,
    }
}

/// Checks the length of header DW1 against the limit and returns it in DWs.
pub fn checked_length(dw1: u32, limit: usize) -> Result<usize, FrameError> {
    let says = object_length(dw1);
    if says < HEADER_DWS {
        return Err(FrameError::LengthTooSmall { says });
    }
    if says > limit {
        return Err(FrameError::Oversized { says, limit });
    }
    Ok(says)
}

impl DataObject {
    /// A data object of `vendor` and `kind` with `payload`.
    pub fn new(vendor: u16, kind: u8, payload: Vec<u32>) -> Self {
        DataObject {
            vendor,
            kind,
            payload,
        }
    }

    /// The DWs to write to the mailbox: header and payload.
    pub fn encode(&self) -> Result<Vec<u32>, FrameError> {
        let total = self.payload.len() + HEADER_DWS;
        if total > MAX_OBJECT_DWS {
            return Err(FrameError::PayloadTooLarge {
                dws: self.payload.len(),
            });
        }
        let mut dws = Vec::with_capacity(total);
        dws.push(header0(self.vendor, self.kind));
        // 2^18 is written as 0.
        dws.push(total as u32 & LENGTH_MASK);
        dws.extend_from_slice(&self.payload);
        Ok(dws)
    }

    /// Decodes the DWs of one whole data object of at most `limit` DWs.
    pub fn decode(dws: &[u32], limit: usize) -> Result<Self, FrameError> {
        if dws.len() < HEADER_DWS {
            return Err(FrameError::Short { got: dws.len() });
        }
        let says = checked_length(dws[1], limit)?;
        if says > dws.len() {
            return Err(FrameError::Truncated {
                says,
                got: dws.len(),
            });
        }
        if says < dws.len() {
            return Err(FrameError::Trailing {
                says,
                got: dws.len(),
            });
        }
        let (vendor, kind) = split_header0(dws[0]);
        Ok(DataObject {
            vendor,
            kind,
            payload: dws[HEADER_DWS..].to_vec(),
        })
    }

    /// The protocol in the PCI core's spelling, `vvvv:tt`.
    pub fn protocol(&self) -> String {
        format!("{:04x}:{:02x}", self.vendor, self.kind)
    }
}

/// Little-endian DWs of `bytes`, or `None` if it is not a whole number of DWs.
pub fn dws_from_bytes(bytes: &[u8]) -> Option<Vec<u32>> {
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// The little-endian bytes of `dws`.
pub fn bytes_from_dws(dws: &[u32]) -> Vec<u8> {
    dws.iter().flat_map(|d| d.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_puts_vendor_type_and_length() {
        let o = DataObject::new(0x1e98, 0x02, vec![0x0000_0000]);
        assert_eq!(o.encode(), Ok(vec![0x0002_1e98, 3, 0]));
        let o = DataObject::new(0x0001, 0x00, vec![]);
        assert_eq!(o.encode(), Ok(vec![0x0000_0001, 2]));
        assert_eq!(o.protocol(), "0001:00");
    }

    #[test]
    fn round_trips() {
        for payload in [vec![], vec![1], vec![0xdead_beef, 0, u32::MAX, 7]] {
            for (vendor, kind) in [(0x0001, 0x00), (0x1e98, 0x02), (0xffff, 0xff)] {
                let o = DataObject::new(vendor, kind, payload.clone());
                let dws = o.encode().expect("encodes");
                assert_eq!(DataObject::decode(&dws, MAX_OBJECT_DWS), Ok(o));
            }
        }
    }

    #[test]
    fn largest_object_has_length_zero() {
        let o = DataObject::new(1, 0, vec![0; MAX_OBJECT_DWS - 2]);
        let dws = o.encode().expect("encodes");
        assert_eq!(dws[1], 0);
        assert_eq!(dws.len(), MAX_OBJECT_DWS);
        assert_eq!(DataObject::decode(&dws, MAX_OBJECT_DWS), Ok(o));
        let too_big = DataObject::new(1, 0, vec![0; MAX_OBJECT_DWS - 1]);
        assert_eq!(
            too_big.encode(),
            Err(FrameError::PayloadTooLarge {
                dws: MAX_OBJECT_DWS - 1
            })
        );
    }

    #[test]
    fn length_zero_means_2_to_the_18() {
        assert_eq!(object_length(0), MAX_OBJECT_DWS);
        assert_eq!(object_length(0xfffc_0000), MAX_OBJECT_DWS, "reserved bits");
        assert_eq!(object_length(0xfffc_0005), 5);
        // With a smaller limit, length 0 is oversized, not "empty".
        assert_eq!(
            DataObject::decode(&[1, 0], 64),
            Err(FrameError::Oversized {
                says: MAX_OBJECT_DWS,
                limit: 64
            })
        );
        // With the full limit, it is 2^18 DWs, which did not all come.
        assert_eq!(
            DataObject::decode(&[1, 0, 0], MAX_OBJECT_DWS),
            Err(FrameError::Truncated {
                says: MAX_OBJECT_DWS,
                got: 3
            })
        );
    }

    #[test]
    fn short_objects() {
        assert_eq!(
            DataObject::decode(&[], MAX_OBJECT_DWS),
            Err(FrameError::Short { got: 0 })
        );
        assert_eq!(
            DataObject::decode(&[1], MAX_OBJECT_DWS),
            Err(FrameError::Short { got: 1 })
        );
    }

    #[test]
    fn length_below_the_header() {
        for len in [1, 0xfffc_0001] {
            assert_eq!(
                DataObject::decode(&[1, len, 0], MAX_OBJECT_DWS),
                Err(FrameError::LengthTooSmall { says: 1 })
            );
        }
    }

    #[test]
    fn length_larger_than_the_data() {
        let e = DataObject::decode(&[1, 5, 0, 0], MAX_OBJECT_DWS).expect_err("truncated");
        assert_eq!(e, FrameError::Truncated { says: 5, got: 4 });
        assert_eq!(
            e.to_string(),
            "data object length field says 5 DWs but only 4 came"
        );
    }

    #[test]
    fn length_smaller_than_the_data() {
        assert_eq!(
            DataObject::decode(&[1, 3, 0, 0], MAX_OBJECT_DWS),
            Err(FrameError::Trailing { says: 3, got: 4 })
        );
    }

    #[test]
    fn oversized() {
        let e = DataObject::decode(&[1, 100, 0], 16).expect_err("oversized");
        assert_eq!(
            e.to_string(),
            "data object length field says 100 DWs (400 bytes), more than the limit of 16 DWs"
        );
        assert_eq!(checked_length(16, 16), Ok(16));
        assert!(checked_length(17, 16).is_err());
    }

    #[test]
    fn header_fields() {
        assert_eq!(split_header0(0xff02_1e98), (0x1e98, 0x02), "reserved bits");
        assert_eq!(header0(0x0001, 0x01), 0x0001_0001);
    }

    #[test]
    fn bytes_and_dws() {
        assert_eq!(
            dws_from_bytes(&[1, 2, 3, 4, 5, 0, 0, 0]),
            Some(vec![0x0403_0201, 5])
        );
        assert_eq!(dws_from_bytes(&[]), Some(vec![]));
        assert_eq!(dws_from_bytes(&[1, 2, 3]), None);
        assert_eq!(bytes_from_dws(&[0x0403_0201]), vec![1, 2, 3, 4]);
    }
}
