#!/usr/bin/python3
"""Writes a registry hive for the offline tests: an empty regf made here (hivex cannot create
one: a base block with its checksum, one hbin with a root key, its security cell and free space),
then filled by Debian's hivex (python3-hivex, imported by /usr/bin/python3) from a JSON spec:
{"Key\\\\Path": {"Value": ["sz"|"expand_sz"|"multi_sz"|"dword"|"binary", data], ...}, ...}
("" as a value name is the default value). Usage: make_hive.py OUT.hive SPEC.json"""
import json, struct, sys

import hivex

def empty_hive(path):
    bins = 0x1000
    cells = bytearray()
    # Root key (nk) at 0x20 within the bin; its security cell (sk) after it.
    name = b"ROOT"
    nk_len = 0x50 + len(name)
    nk_size = (nk_len + 7) & ~7
    sk_at = 0x20 + nk_size
    sd = struct.pack("<BBHIIII", 1, 0, 0x8004, 0, 0, 0, 20) + struct.pack("<BBHHH", 2, 0, 8, 0, 0)
    sk_len = 4 + 0x14 + len(sd)
    sk_size = (sk_len + 7) & ~7
    nk = struct.pack("<i2sH", -nk_size, b"nk", 0x2C) + b"\0" * 12  # flags: hive entry, no delete, compressed name; time; spare
    nk += struct.pack("<I", 0)                       # parent
    nk += struct.pack("<II", 0, 0)                   # subkeys, volatile subkeys
    nk += struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF) # subkey lists
    nk += struct.pack("<II", 0, 0xFFFFFFFF)          # values, value list
    nk += struct.pack("<II", sk_at, 0xFFFFFFFF)      # security, class
    nk += b"\0" * 20                                  # max lengths, work var
    nk += struct.pack("<HH", len(name), 0) + name
    nk = nk.ljust(nk_size, b"\0")
    sk = struct.pack("<i2sHIIII", -sk_size, b"sk", 0, sk_at, sk_at, 1, len(sd)) + sd
    sk = sk.ljust(sk_size, b"\0")
    cells = nk + sk
    free = bins - 0x20 - len(cells)
    cells += struct.pack("<i", free) + b"\0" * (free - 4)
    hbin = struct.pack("<4sIIQ", b"hbin", 0, bins, 0) + b"\0" * 12
    base = bytearray(0x1000)
    struct.pack_into("<4sIIQIIIIII", base, 0, b"regf", 1, 1, 0, 1, 5, 0, 1, 0x20, bins)
    struct.pack_into("<I", base, 0x30, 1)            # clustering factor
    checksum = 0
    for i in range(0, 508, 4):
        checksum ^= struct.unpack_from("<I", base, i)[0]
    struct.pack_into("<I", base, 508, checksum)
    with open(path, "wb") as f:
        f.write(bytes(base) + hbin + bytes(cells))

KINDS = {"sz": 1, "expand_sz": 2, "binary": 3, "dword": 4, "multi_sz": 7}

def encode(kind, data):
    if kind in ("sz", "expand_sz"):
        return (data + "\0").encode("utf-16-le")
    if kind == "multi_sz":
        return "".join(s + "\0" for s in data).encode("utf-16-le") + b"\0\0"
    if kind == "dword":
        return struct.pack("<I", data)
    return bytes.fromhex(data)

def main():
    out, spec = sys.argv[1], json.load(open(sys.argv[2]))
    empty_hive(out)
    h = hivex.Hivex(out, write=True)
    for path, values in spec.items():
        node = h.root()
        for part in path.split("\\"):
            child = h.node_get_child(node, part)
            node = child if child else h.node_add_child(node, part)
        if values:
            h.node_set_values(node, [
                {"key": name, "t": KINDS[kind], "value": encode(kind, data)}
                for name, (kind, data) in values.items()])
    h.commit(out)

main()
