#!/usr/bin/env python3
"""Real machine code for a real-looking firmware image: the .text and .rodata
sections of RV32 objects built by Debian's compilers (picolibc's libc for
rv32imac, and webota's own core from the bare-metal cross build), concatenated.
`webota image make --fill` repeats these bytes as the image's contents, so the
image compresses as compiled code does, not as pseudo-random bytes.

    real_code.py OUT.bin ARCHIVE.a [ARCHIVE.a ...]
"""
import struct
import sys


def members(path):
    """(name, bytes) of each member of a System V / GNU ar archive."""
    d = open(path, 'rb').read()
    if d[:8] != b'!<arch>\n':
        raise SystemExit(f'{path}: not an ar archive')
    pos = 8
    while pos + 60 <= len(d):
        name = d[pos:pos + 16].decode('ascii', 'replace').strip()
        size = int(d[pos + 48:pos + 58].decode().strip())
        body = d[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name not in ('/', '//', '/SYM64/'):
            yield name, body


def sections(obj):
    """(name, bytes) of the PROGBITS sections of a 32-bit ELF object."""
    if obj[:4] != b'\x7fELF' or obj[4] != 1:
        return
    shoff, = struct.unpack_from('<I', obj, 0x20)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', obj, 0x2e)
    hdrs = [struct.unpack_from('<IIIIIIIIII', obj, shoff + i * shentsize) for i in range(shnum)]
    strtab = hdrs[shstrndx][4]
    for h in hdrs:
        if h[1] != 1 or h[5] == 0:  # SHT_PROGBITS with contents
            continue
        end = obj.index(b'\0', strtab + h[0])
        yield obj[strtab + h[0]:end].decode(), obj[h[4]:h[4] + h[5]]


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    code, rodata = bytearray(), bytearray()
    for archive in sys.argv[2:]:
        for _, obj in members(archive):
            for name, body in sections(obj):
                if name.startswith('.text'):
                    code += body
                elif name.startswith(('.rodata', '.srodata')):
                    rodata += body
    # firmware is mostly code: all of it, and rodata up to a quarter of the whole
    out = bytes(code) + bytes(rodata[:len(code) // 3])
    open(sys.argv[1], 'wb').write(out)
    print(f'{sys.argv[1]}: {len(code)} bytes of code + {min(len(rodata), len(code) // 3)} bytes of rodata')


main()
