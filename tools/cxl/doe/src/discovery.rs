// SPDX-License-Identifier: GPL-2.0
//! DOE protocols (features), and the discovery protocol that lists them (PCIe r6.0
//! sec 6.30.1.1).
//!
//! A protocol is spelt `vvvv:tt` as the PCI core and the `protocols` attribute spell
//! it. Discovery asks for index 0; each response names one protocol and the next index,
//! 0 after the last.

use crate::framing::DataObject;
use crate::mailbox::{MailboxError, Transport};
use serde::Serialize;
use std::fmt;

/// A DOE protocol: a vendor ID and a data object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protocol {
    /// Vendor ID of the protocol's owner.
    pub vendor: u16,
    /// Data object type within the vendor's protocols.
    pub kind: u8,
}

impl Protocol {
    /// DOE discovery.
    pub const DISCOVERY: Protocol = Protocol::new(0x0001, 0x00);
    /// Component Measurement and Authentication (SPDM).
    pub const CMA_SPDM: Protocol = Protocol::new(0x0001, 0x01);
    /// Secured CMA/SPDM.
    pub const SECURED_CMA_SPDM: Protocol = Protocol::new(0x0001, 0x02);
    /// CXL compliance.
    pub const CXL_COMPLIANCE: Protocol = Protocol::new(0x1e98, 0x00);
    /// CXL table access: reads the CDAT.
    pub const CXL_TABLE_ACCESS: Protocol = Protocol::new(0x1e98, 0x02);

    /// The protocol `vendor`:`kind`.
    pub const fn new(vendor: u16, kind: u8) -> Self {
        Protocol { vendor, kind }
    }

    /// The name of a protocol this tool knows.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Protocol::DISCOVERY => "discovery",
            Protocol::CMA_SPDM => "CMA/SPDM",
            Protocol::SECURED_CMA_SPDM => "secured CMA/SPDM",
            Protocol::CXL_COMPLIANCE => "CXL compliance",
            Protocol::CXL_TABLE_ACCESS => "CXL table access (CDAT)",
            _ => return None,
        })
    }

    /// The protocol of a data object.
    pub fn of(obj: &DataObject) -> Self {
        Protocol::new(obj.vendor, obj.kind)
    }

    /// One line of `doe discover` and `doe list`: `vvvv:tt` and the name, if known.
    pub fn line(self) -> String {
        match self.name() {
            Some(name) => format!("{self} {name}"),
            None => self.to_string(),
        }
    }
}

/// `vvvv:tt`, lowercase hex.
impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:02x}", self.vendor, self.kind)
    }
}

/// Why a `vvvv:tt` was not understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadProtocol(pub String);

impl fmt::Display for BadProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a protocol: expected vvvv:tt in hex", self.0)
    }
}

impl std::error::Error for BadProtocol {}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl std::str::FromStr for Protocol {
    type Err = BadProtocol;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadProtocol(s.to_string());
        let (v, t) = s.split_once(':').ok_or_else(bad)?;
        if !is_hex(v, 4) || !is_hex(t, 2) {
            return Err(bad());
        }
        Ok(Protocol::new(
            u16::from_str_radix(v, 16).map_err(|_| bad())?,
            u8::from_str_radix(t, 16).map_err(|_| bad())?,
        ))
    }
}

/// A protocol as `--json` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProtocolJson {
    /// `vvvv:tt`.
    pub id: String,
    /// The vendor ID.
    pub vendor: u16,
    /// The data object type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// The name, if known.
    pub name: Option<&'static str>,
}

impl From<Protocol> for ProtocolJson {
    fn from(p: Protocol) -> Self {
        ProtocolJson {
            id: p.to_string(),
            vendor: p.vendor,
            kind: p.kind,
            name: p.name(),
        }
    }
}

/// The lines of `doe discover`, each ending in a newline.
pub fn text(protocols: &[Protocol]) -> String {
    protocols.iter().map(|p| p.line() + "\n").collect()
}

/// A line of the `protocols` attribute that is not `vvvv:tt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The line number, from 1.
    pub line: usize,
    /// The line.
    pub text: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: '{}' is not vvvv:tt in hex",
            self.line,
            self.text.escape_debug()
        )
    }
}

impl std::error::Error for ParseError {}

/// The protocols of a `protocols` attribute: a `vvvv:tt` a line, in discovery order.
pub fn parse_list(text: &str) -> Result<Vec<Protocol>, ParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            l.trim().parse().map_err(|_| ParseError {
                line: i + 1,
                text: l.to_string(),
            })
        })
        .collect()
}

/// Why discovery through the registers failed.
#[derive(Debug)]
pub enum Error {
    /// The exchange failed.
    Mailbox(MailboxError),
    /// A response without a payload.
    Short {
        /// The index asked for.
        index: u8,
    },
    /// A response of another protocol.
    WrongProtocol {
        /// The index asked for.
        index: u8,
        /// The response's protocol.
        got: Protocol,
    },
    /// The next index of a response was asked for before: the list loops.
    Loop {
        /// The index.
        index: u8,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Mailbox(e) => write!(f, "discovery: {e}"),
            Error::Short { index } => write!(
                f,
                "discovery: the response for index {index} has no payload"
            ),
            Error::WrongProtocol { index, got } => write!(
                f,
                "discovery: the response for index {index} is of protocol {got}, not {}",
                Protocol::DISCOVERY
            ),
            Error::Loop { index } => write!(
                f,
                "discovery: the list loops: index {index} came back as the next index"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The version a discovery request carries to a DOE capability of version
/// `cap_version`: 2 from version 2 on, 0 before (PCIe r6.1 sec 6.30.1.1), as the PCI
/// core sends it (`pci_doe_discovery()`).
pub fn request_version(cap_version: u8) -> u8 {
    if cap_version >= 2 {
        2
    } else {
        0
    }
}

/// The request for discovery index `index`, to a DOE capability of version
/// `cap_version`.
pub fn request(index: u8, cap_version: u8) -> DataObject {
    DataObject::new(
        Protocol::DISCOVERY.vendor,
        Protocol::DISCOVERY.kind,
        vec![u32::from(index) | (u32::from(request_version(cap_version)) << 8)],
    )
}

/// Lists the protocols of a mailbox by walking the discovery indexes.
pub fn discover<T: Transport>(t: &mut T) -> Result<Vec<Protocol>, Error> {
    let cap_version = t.capability_version();
    let mut seen = [false; 256];
    let mut found = Vec::new();
    let mut index = 0u8;
    loop {
        if std::mem::replace(&mut seen[usize::from(index)], true) {
            return Err(Error::Loop { index });
        }
        let rsp = t
            .exchange(&request(index, cap_version))
            .map_err(Error::Mailbox)?;
        let got = Protocol::of(&rsp);
        if got != Protocol::DISCOVERY {
            return Err(Error::WrongProtocol { index, got });
        }
        let dw = *rsp.payload.first().ok_or(Error::Short { index })?;
        found.push(Protocol::new(
            (dw & 0xffff) as u16,
            ((dw >> 16) & 0xff) as u8,
        ));
        index = (dw >> 24) as u8;
        if index == 0 {
            return Ok(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailbox::Mailbox;
    use crate::sim::{FakeClock, Misbehaviour, SimDoe, BASE};

    /// A transport that answers with canned responses, one per request.
    struct Canned(Vec<DataObject>);

    impl Transport for Canned {
        fn exchange(&mut self, _req: &DataObject) -> Result<DataObject, MailboxError> {
            if self.0.is_empty() {
                return Err(MailboxError::Timeout);
            }
            Ok(self.0.remove(0))
        }
    }

    fn rsp(payload: Vec<u32>) -> DataObject {
        DataObject::new(1, 0, payload)
    }

    #[test]
    fn names() {
        assert_eq!(Protocol::DISCOVERY.line(), "0001:00 discovery");
        assert_eq!(Protocol::CXL_COMPLIANCE.line(), "1e98:00 CXL compliance");
        assert_eq!(
            Protocol::CXL_TABLE_ACCESS.line(),
            "1e98:02 CXL table access (CDAT)"
        );
        assert_eq!(Protocol::CMA_SPDM.line(), "0001:01 CMA/SPDM");
        assert_eq!(
            Protocol::SECURED_CMA_SPDM.line(),
            "0001:02 secured CMA/SPDM"
        );
        assert_eq!(Protocol::new(0xabcd, 0x7f).line(), "abcd:7f");
    }

    #[test]
    fn parses_vvvv_tt() {
        assert_eq!("1e98:02".parse(), Ok(Protocol::CXL_TABLE_ACCESS));
        assert_eq!("1E98:02".parse(), Ok(Protocol::CXL_TABLE_ACCESS));
        for bad in [
            "", "1e98", "1e98:2", "1e98:002", "01e98:02", "1e98-02", "xxxx:02", "+e98:02",
        ] {
            assert!(bad.parse::<Protocol>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn protocols_attribute() {
        assert_eq!(
            parse_list("0001:00\n1e98:02\n"),
            Ok(vec![Protocol::DISCOVERY, Protocol::CXL_TABLE_ACCESS])
        );
        assert_eq!(parse_list(""), Ok(vec![]));
        assert_eq!(parse_list("\n0001:00\n\n"), Ok(vec![Protocol::DISCOVERY]));
        let e = parse_list("0001:00\nbogus\n").expect_err("bogus");
        assert_eq!(e.to_string(), "line 2: 'bogus' is not vvvv:tt in hex");
    }

    #[test]
    fn text_and_json() {
        let list = [Protocol::DISCOVERY, Protocol::new(0x1234, 0x05)];
        assert_eq!(text(&list), "0001:00 discovery\n1234:05\n");
        let json = serde_json::to_string(&ProtocolJson::from(Protocol::DISCOVERY)).expect("json");
        assert_eq!(
            json,
            r#"{"id":"0001:00","vendor":1,"type":0,"name":"discovery"}"#
        );
    }

    #[test]
    fn discovers_through_the_simulated_mailbox() {
        let mut sim = SimDoe::new();
        sim.protocols = vec![
            (0x0001, 0x00),
            (0x0001, 0x01),
            (0x1e98, 0x00),
            (0x1e98, 0x02),
        ];
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let list = discover(&mut mb).expect("discover");
        assert_eq!(
            text(&list),
            "0001:00 discovery\n0001:01 CMA/SPDM\n1e98:00 CXL compliance\n\
             1e98:02 CXL table access (CDAT)\n"
        );
        assert_eq!(sim.requests.len(), 4);
        assert_eq!(sim.requests[3], vec![1, 3, 3]);
    }

    #[test]
    fn discovery_version_follows_the_capability_version() {
        // Version 1 of the DOE capability: discovery version 0.
        let mut sim = SimDoe::new();
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        discover(&mut mb).expect("discover");
        assert_eq!(sim.requests, vec![vec![1, 3, 0], vec![1, 3, 1]]);
        // Version 2 and later: discovery version 2 (bits 15:8), as the PCI core sends.
        for cap_version in [2u32, 3] {
            let mut sim = SimDoe::new();
            sim.cap_header = 0x002e | (cap_version << 16);
            let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
            let list = discover(&mut mb).expect("discover");
            assert_eq!(list, vec![Protocol::DISCOVERY, Protocol::CXL_TABLE_ACCESS]);
            assert_eq!(
                sim.requests,
                vec![vec![1, 3, 0x0200], vec![1, 3, 0x0201]],
                "capability version {cap_version}"
            );
        }
    }

    #[test]
    fn requests_by_capability_version() {
        assert_eq!(request(5, 1).payload, vec![0x0000_0005]);
        assert_eq!(request(5, 0).payload, vec![0x0000_0005]);
        assert_eq!(request(5, 2).payload, vec![0x0000_0205]);
        assert_eq!(request(255, 15).payload, vec![0x0000_02ff]);
        assert_eq!(Protocol::of(&request(0, 2)), Protocol::DISCOVERY);
    }

    #[test]
    fn one_protocol() {
        let mut t = Canned(vec![rsp(vec![0x0000_0001])]);
        assert_eq!(
            discover(&mut t).expect("discover"),
            vec![Protocol::DISCOVERY]
        );
    }

    #[test]
    fn mailbox_errors_pass_through() {
        let mut sim = SimDoe::new();
        sim.misbehave = Misbehaviour::NeverReady;
        let mut mb = Mailbox::new(&mut sim, BASE, FakeClock::default()).expect("mailbox");
        let e = discover(&mut mb).expect_err("timeout");
        assert!(
            e.to_string()
                .starts_with("discovery: no response within 1 s"),
            "{e}"
        );
    }

    #[test]
    fn loops_are_caught() {
        let mut t = Canned(vec![rsp(vec![0x0100_0001]), rsp(vec![0x0102_1e98])]);
        let e = discover(&mut t).expect_err("loop");
        assert_eq!(
            e.to_string(),
            "discovery: the list loops: index 1 came back as the next index"
        );
        // 256 indexes at most, whatever the responder says.
        struct Forever(u32);
        impl Transport for Forever {
            fn exchange(&mut self, req: &DataObject) -> Result<DataObject, MailboxError> {
                self.0 += 1;
                // 1, 2, ... 255, then back to 1: never 0, the end.
                let next = (req.payload[0] & 0xff) % 255 + 1;
                Ok(rsp(vec![0x0000_0001 | (next << 24)]))
            }
        }
        let mut t = Forever(0);
        assert!(matches!(discover(&mut t), Err(Error::Loop { index: 1 })));
        assert_eq!(t.0, 256);
    }

    #[test]
    fn malformed_responses() {
        let mut t = Canned(vec![rsp(vec![])]);
        assert_eq!(
            discover(&mut t).expect_err("short").to_string(),
            "discovery: the response for index 0 has no payload"
        );
        let mut t = Canned(vec![DataObject::new(0x1e98, 2, vec![0])]);
        assert_eq!(
            discover(&mut t).expect_err("wrong").to_string(),
            "discovery: the response for index 0 is of protocol 1e98:02, not 0001:00"
        );
    }
}
