#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The CDAT tables of the guest's extra CXL memory devices.

QEMU's cxl-type3 serves the table of its cdat=<file> property through its
DOE responder as it is, header included: its length and checksum reach the
guest unchanged. QEMU itself checks only the structures: each needs a known
type and the length of that type, and the file must end with the last one
(otherwise QEMU refuses to start, or aborts on an assertion). So a device can
lie about the table as a whole, which is what the kinds here do:

  big             a good table of 172 structures, 4144 bytes: more than a page
  bad-checksum    a good table whose bytes do not add up to 0
  truncated       the header claims one structure more than the device serves
  length-lies     the header's length is one structure short of what it serves
  zero-length     the header's length is 0

usage: cdat.py DIR
Writes DIR/<kind>.bin for each kind, and DIR/devices, a line
"<serial> <kind>" for each: dev/guest.sh gives each extra device that serial
number, so that the guest's tests can tell which is which from the memory
device's serial (/sys/bus/cxl/devices/memN/serial).
"""

import os
import struct
import sys

HEADER = 16
DSMAS, DSLBIS = 0, 1
STRUCT_LEN = 24  # both DSMAS and DSLBIS


def dsmas(handle):
    # type, reserved, length; handle, flags, reserved; DPA base and length:
    # 2 MiB each, inside the device's 256 MiB.
    return struct.pack("<BBHBBHQQ", DSMAS, 0, STRUCT_LEN, handle, 0, 0,
                       handle << 21, 1 << 21)


def dslbis(handle):
    # type, reserved, length; handle, flags, data type (access latency),
    # reserved; entry base unit; three entries; reserved.
    return struct.pack("<BBHBBBBQHHHH", DSLBIS, 0, STRUCT_LEN, handle, 0, 0,
                       0, 1000, 150 + handle, 0, 0, 0)


def table(structs, length=None, bad_sum=False):
    """A CDAT header over the structures: its length as given (that of the
    whole table by default), its checksum making every byte add up to 0."""
    body = b"".join(structs)
    if length is None:
        length = HEADER + len(body)
    head = bytearray(struct.pack("<IBBxxxxxxI", length, 1, 0, 0))
    head[5] = (-(sum(head) + sum(body))) & 0xFF
    if bad_sum:
        head[5] = (head[5] + 1) & 0xFF
    return bytes(head) + body


def pair(handle):
    return [dsmas(handle), dslbis(handle)]


def small():
    return pair(0) + pair(1)


KINDS = {
    # serial: kind, table
    0xCDA70001: ("big", table([s for h in range(86) for s in pair(h)])),
    0xCDA70002: ("bad-checksum", table(small(), bad_sum=True)),
    0xCDA70003: ("truncated", table(small(), length=HEADER + 5 * STRUCT_LEN)),
    0xCDA70004: ("length-lies", table(small(), length=HEADER + 3 * STRUCT_LEN)),
    0xCDA70005: ("zero-length", table(small(), length=0)),
}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: cdat.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for serial, (kind, data) in KINDS.items():
        with open(os.path.join(out, kind + ".bin"), "wb") as f:
            f.write(data)
        lines.append("0x%x %s\n" % (serial, kind))
    with open(os.path.join(out, "devices"), "w") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
