#!/usr/bin/python3
"""A reproducible zip: release-zip.py ZIP EPOCH EXE FILE...

EXE goes in as wufix.exe, each FILE under its own relative path. Entries are sorted, every one
carries EPOCH (the commit's time, at least 1980, as zip allows) and the same permissions and
host, and each is deflated at level 9: the same inputs give the same bytes whatever the files'
own times, owners or order on disk."""

import sys
import time
import zipfile


def main():
    target, epoch, exe, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    entries = sorted([("wufix.exe", exe)] + [(f, f) for f in files])
    with zipfile.ZipFile(target, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                archive.writestr(info, f.read(), compresslevel=9)


if __name__ == "__main__":
    main()
