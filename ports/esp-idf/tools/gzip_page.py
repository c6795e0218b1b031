#!/usr/bin/env python3
"""gzip_page.py IN OUT: gzips the updater page reproducibly (level 9, no file
name, mtime 0), so that identical sources give identical firmware."""
import gzip
import sys


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: gzip_page.py IN OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(gzip.compress(data, compresslevel=9, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
