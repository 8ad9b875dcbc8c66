"""Are two ledger exports the same file? A CSV byte for byte; a workbook part by part (every
part of the zip, the sheet's XML included, byte for byte: the zip's own timestamps may differ).

    .venv/bin/python bench/ledger_compare.py before.csv after.csv
    .venv/bin/python bench/ledger_compare.py before.xlsx after.xlsx

Used to check that a faster export writes what the previous code wrote, on the same data (run
`bench/reports.py --stage export` from each version and keep each file). Exit status 0 when
the same, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path


def parts(path: Path) -> dict[str, str]:
    """Each part's SHA-256 (the sheet of 10⁵ rows is about 100 MB once inflated)."""
    with zipfile.ZipFile(path) as archive:
        out = {}
        for name in archive.namelist():
            digest = hashlib.sha256()
            with archive.open(name) as part:
                while block := part.read(1 << 20):
                    digest.update(block)
            out[name] = digest.hexdigest()
        return out


def same(a: Path, b: Path) -> bool:
    if zipfile.is_zipfile(a) and zipfile.is_zipfile(b):
        left, right = parts(a), parts(b)
        for name in sorted(left.keys() | right.keys()):
            state = "same" if left.get(name) == right.get(name) else "DIFFERENT"
            print(f"{state:9} {name}")
        return left == right
    left = hashlib.sha256(a.read_bytes()).hexdigest()
    right = hashlib.sha256(b.read_bytes()).hexdigest()
    print(f"{'same' if left == right else 'DIFFERENT':9} {a.stat().st_size} / {b.stat().st_size} bytes")
    return left == right


if __name__ == "__main__":
    sys.exit(0 if same(Path(sys.argv[1]), Path(sys.argv[2])) else 1)
