#!/usr/bin/env python3
"""Print the path of a source tarball, downloaded once into the acceptance cache and checked by sha256.

    python3 fetch.py URL SHA256

The before-build scripts beside this file get their C libraries' sources with it: Debian's orig
tarballs (CI reaches PyPI, Debian and npm only). Cache: $XDG_CACHE_HOME/fatpack-acceptance/sources
(else ~/.cache/...), as acceptance/run.py's cache_dir(). Standard library only: it runs with the
host's python3, outside any venv.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fatpack-acceptance" / "sources"


def fetch(url: str, sha256: str) -> Path:
    path = cache_dir() / sha256[:16] / url.rsplit("/", 1)[-1]
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
        return path
    with urllib.request.urlopen(url, timeout=120) as response:
        content = response.read()
    got = hashlib.sha256(content).hexdigest()
    if got != sha256:
        raise SystemExit(f"fetch.py: {url} has sha256 {got}, not the pinned {sha256}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as part:
        part.write(content)
    os.replace(part.name, path)  # another run reading it sees the whole file or none
    return path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    print(fetch(sys.argv[1], sys.argv[2]))
