"""`fatpack verify`: check every payload of an artifact against its target, in one report.

Per payload: the manifest's sha256 and the wheel's RECORD hash; format and architecture against the
target directory; `PyInit_<name>` exported; on Windows the C runtime is the UCRT only and every DLL it
imports is a Windows system DLL, the UCRT/VC runtime python.org ships, the python3/python3XY DLL its
ABI calls for, or bundled; on glibc Linux the GLIBC symbol versions stay within the declared floor and
every DT_NEEDED is in the manylinux policy or bundled; abi3 payloads use stable-ABI symbols only; on
macOS a minimum OS version is recorded. What auditwheel, delvewheel, abi3audit and delocate each check
for one platform, for all of them at once.
"""

from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

from packaging.tags import parse_tag

from fatpack.archives import check_member_name, refuse_sdist
from fatpack.binaries import BinaryInfo, binary_format, inspect_data, target_mismatch
from fatpack.errors import ArtifactError, FatpackError
from fatpack.fuse import module_name
from fatpack.inspection import Manifest, read_manifests
from fatpack.sdk.windows import EXPORTS_DIR
from fatpack.tags import target_for_platform
from fatpack.targets import TARGETS, Target, Version
from fatpack.upload_rules import upload_violations
from runtime_loader.loader import Entry

# manylinux2014 / musllinux policy: libraries every such system has (auditwheel's lists)
MANYLINUX_LIBRARIES = frozenset(
    [
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libc.so.6",
        "libnsl.so.1",
        "libutil.so.1",
        "libpthread.so.0",
        "libresolv.so.2",
        "libX11.so.6",
        "libXext.so.6",
        "libXrender.so.1",
        "libICE.so.6",
        "libSM.so.6",
        "libGL.so.1",
        "libgobject-2.0.so.0",
        "libgthread-2.0.so.0",
        "libglib-2.0.so.0",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
    ]
)
MUSLLINUX_LIBRARIES = frozenset(
    ["libc.so", "libgcc_s.so.1", "libstdc++.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"]
)
# Windows DLLs every supported Windows has, plus the VC runtime python.org installs beside python.exe
WINDOWS_SYSTEM_DLLS = frozenset(
    [
        "kernel32.dll",
        "user32.dll",
        "gdi32.dll",
        "advapi32.dll",
        "shell32.dll",
        "ole32.dll",
        "oleaut32.dll",
        "ws2_32.dll",
        "bcrypt.dll",
        "crypt32.dll",
        "secur32.dll",
        "shlwapi.dll",
        "version.dll",
        "winmm.dll",
        "ntdll.dll",
        "comctl32.dll",
        "comdlg32.dll",
        "iphlpapi.dll",
        "dbghelp.dll",
        "psapi.dll",
        "userenv.dll",
        "rpcrt4.dll",
        "setupapi.dll",
        "winhttp.dll",
        "wininet.dll",
        "mswsock.dll",
        "normaliz.dll",
        "imm32.dll",
        "uxtheme.dll",
        "dwmapi.dll",
        "opengl32.dll",
        "powrprof.dll",
        "netapi32.dll",
        "wtsapi32.dll",
        "cfgmgr32.dll",
        "dnsapi.dll",
        "ncrypt.dll",
        "sspicli.dll",
        "wldap32.dll",
        "d3d11.dll",
        "dxgi.dll",
        "ucrtbase.dll",
        "vcruntime140.dll",
        "vcruntime140_1.dll",
    ]
)
_STABLE_ABI_PREFIXES = ("Py", "_Py")


@dataclass(frozen=True)
class Problem:
    member: str  # the artifact member at fault
    check: str  # "record", "sha256", "format", "init", "dll", "crt", "needed", "glibc", "abi3", "macos"
    message: str

    def __str__(self) -> str:
        return f"{self.member}: {self.message}"


@dataclass
class Report:
    artifact: str
    payloads: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "artifact": self.artifact,
            "payloads": self.payloads,
            "ok": not self.problems,
            "problems": [asdict(p) for p in self.problems],
        }


def verify_artifact(path: Path) -> Report:
    """Check the artifact; problems are collected, not raised. Unreadable input raises ArtifactError."""
    report = Report(str(path))
    refuse_sdist(path, "verify")
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                check_member_name(name, path.name)
            members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
        violations = upload_violations(path.name, data)
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ArtifactError(f"{path.name}: corrupt or unreadable artifact: {exc}") from None
    manifests = read_manifests(path.name, members, members.__getitem__)
    report.problems += [Problem(v.member, v.rule, v.message) for v in violations]
    report.problems += _check_record(members, wheel=path.name.endswith(".whl"))
    report.problems += _check_license_files(members)
    tag_floors, tag_problems = _glibc_floors_from_tags(members)
    report.problems += tag_problems
    listed: set[str] = set()
    modules: set[str] = set()
    for manifest in manifests:
        base, entries = manifest.base, manifest.entries
        if entries is None:
            report.problems.append(Problem(manifest.member, "manifest", "not a valid fatpack manifest"))
            continue
        bundled = {(e.target, e.file.rsplit("/", 1)[-1].lower()) for e in entries if e.abi == "library"}
        modules.update(e.module for e in entries if e.abi != "library")
        for entry in entries:
            report.payloads += 1
            listed.add(base + entry.file)
            report.problems += _check_payload(entry, base, members, bundled, tag_floors)
    report.problems += _check_unlisted_binaries(members, listed)
    report.problems += _check_root_is_purelib(members)
    report.problems += _check_stub_packages(members, modules, manifests)
    return report


def _check_stub_packages(
    members: dict[str, bytes], modules: set[str], manifests: list[Manifest]
) -> list[Problem]:
    """An extension's stub `p/q/_x.py` needs its package: `p/q/__init__.py`, or -- for a PEP 420
    namespace portion -- Python files of the project's own below `p/q/` (modules or subpackages other
    than fatpack's stubs, .pyi files and loader packages). A package directory holding nothing but stubs
    is what a wheel that lost the project's Python modules looks like (issue 24: zope.interface with
    only `zope/interface/_zope_interface_coptimizations.py`); a distribution whose only files in a
    namespace are extension modules looks the same, and is flagged too."""
    loaders = tuple(m.base for m in manifests)
    stubs = {m.replace(".", "/") + ".py" for m in modules}
    problems = []
    for package in sorted({m.rpartition(".")[0] for m in modules if "." in m}):
        base = package.replace(".", "/") + "/"
        if base + "__init__.py" in members:
            continue
        own = [
            n
            for n in members
            if n.startswith(base) and n.endswith(".py") and n not in stubs and not n.startswith(loaders)
        ]
        if not own:
            held = sorted(m for m in modules if m.rpartition(".")[0] == package)
            why = (
                f"package {package} holds only the stub(s) of {', '.join(held)}: no {base}__init__.py "
                "and no other Python file (its modules are missing, or it is not a PEP 420 namespace)"
            )
            problems.append(Problem(base, "package", why))
    return problems


def _check_root_is_purelib(members: dict[str, bytes]) -> list[Problem]:
    """A wheel carrying binaries is not pure: installers and repackagers (RPM noarch, auditwheel) go by
    Root-Is-Purelib, and a package must not be split between purelib and platlib."""
    problems = []
    for wheel in sorted(n for n in members if n.endswith(".dist-info/WHEEL") and n.count("/") == 1):
        text = members[wheel].decode("utf-8", "replace")
        pure = email.parser.HeaderParser().parsestr(text).get("Root-Is-Purelib", "").strip().lower() == "true"
        if pure and any(binary_format(data) for data in members.values()):
            why = "Root-Is-Purelib: true, but the wheel carries native binaries (it must be false)"
            problems.append(Problem(wheel, "purelib", why))
    return problems


def _check_license_files(members: dict[str, bytes]) -> list[Problem]:
    """PEP 639: each `License-File: X` in METADATA is shipped as .dist-info/licenses/X."""
    problems = []
    for metadata in sorted(n for n in members if n.endswith(".dist-info/METADATA") and n.count("/") == 1):
        dist_info = metadata.rsplit("/", 1)[0]
        text = members[metadata].decode("utf-8", "replace")
        for name in email.parser.HeaderParser().parsestr(text).get_all("License-File") or []:
            shipped = f"{dist_info}/licenses/{name.strip()}"
            if shipped not in members:
                why = f"License-File: {name.strip()}, but {shipped} is not in the wheel (PEP 639)"
                problems.append(Problem(metadata, "license", why))
    return problems


def _check_unlisted_binaries(members: dict[str, bytes], listed: set[str]) -> list[Problem]:
    """Every native binary (sniffed by content, whatever its name) must be a manifest's payload: any
    other is checked against no target, and an extension module beside its stub shadows it at import."""
    problems = []
    for name, data in sorted(members.items()):
        if name in listed or not binary_format(data):
            continue
        module = module_name(name)
        stub = module.replace(".", "/") + ".py" if module else None
        if stub is not None and stub in members:
            why = (
                f"native extension module beside the stub {stub}: Python imports it instead of the "
                "payload the loader would pick, and nothing checked it"
            )
            problems.append(Problem(name, "shadow", why))
        else:
            why = "native binary listed in no manifest: there is no target to check it against"
            problems.append(Problem(name, "unlisted", why))
    return problems


def _check_record(members: dict[str, bytes], wheel: bool) -> list[Problem]:
    records = [name for name in members if name.endswith(".dist-info/RECORD") and name.count("/") == 1]
    if not records:
        # an egg: the manifest's sha256 column is what is checked
        return [Problem("RECORD", "record", "a wheel without .dist-info/RECORD")] if wheel else []
    record = records[0]
    problems = []
    listed: dict[str, str] = {}
    for row in csv.reader(io.StringIO(members[record].decode("utf-8", "replace"))):
        if row:
            listed[row[0]] = row[1] if len(row) > 1 else ""
    for name, data in sorted(members.items()):
        if name == record or name.endswith((".dist-info/RECORD.jws", ".dist-info/RECORD.p7s")):
            continue
        expected = listed.get(name)
        if expected is None:
            problems.append(Problem(name, "record", "not listed in RECORD"))
        elif expected != _record_hash(data):
            problems.append(Problem(name, "record", "sha256 differs from RECORD"))
    for name in sorted(set(listed) - set(members) - {record}):
        problems.append(Problem(name, "record", "listed in RECORD but missing"))
    return problems


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _glibc_floors_from_tags(members: dict[str, bytes]) -> tuple[dict[str, Version], list[Problem]]:
    """With platform tags in WHEEL, the manylinux_X_Y floor each glibc target declares there; a Tag
    line that is no wheel tag is a problem."""
    floors: dict[str, Version] = {}
    problems = []
    wheel_files = [n for n in members if n.endswith(".dist-info/WHEEL") and n.count("/") == 1]
    for wheel in wheel_files:
        for line in members[wheel].decode("utf-8", "replace").splitlines():
            if not line.startswith("Tag:"):
                continue
            try:
                tags = parse_tag(line[4:].strip())
            except ValueError:
                problems.append(Problem(wheel, "wheel", f"{line.strip()!r} is not a wheel tag"))
                continue
            for tag in tags:
                target = target_for_platform(tag.platform)
                floor = re.match(r"manylinux_(\d+)_(\d+)_", tag.platform)
                if target is not None and target.libc == "glibc" and floor:
                    floors[target.name] = (int(floor.group(1)), int(floor.group(2)))
    return floors, problems


def _check_payload(
    entry: Entry,
    base: str,
    members: dict[str, bytes],
    bundled: set[tuple[str, str]],
    tag_floors: dict[str, Version],
) -> list[Problem]:
    member = base + entry.file
    target = TARGETS.get(entry.target)
    if target is None:
        return [Problem(member, "format", f"unknown target {entry.target!r} in the manifest")]
    if ".." in entry.file.split("/") or entry.file.startswith("/") or entry.file.split("/")[0] != target.name:
        return [Problem(member, "format", f"stored outside its target directory {target.name}/")]
    data = members.get(member)
    if data is None:
        return [Problem(member, "sha256", "listed in the manifest but missing")]
    if hashlib.sha256(data).hexdigest() != entry.sha256:
        return [Problem(member, "sha256", "sha256 differs from the manifest: the payload was changed")]
    try:
        info = inspect_data(data, member.rsplit("/", 1)[-1])
    except FatpackError as exc:
        return [Problem(member, "format", str(exc).split(": ", 1)[-1])]
    problems = _check_format(member, info, target)
    if problems:
        return problems
    if entry.abi != "library":
        init = "PyInit_" + entry.module.rpartition(".")[2]
        if init not in info.exports:
            problems.append(
                Problem(member, "init", f"does not export {init}: not the extension module it claims")
            )
    if target.is_windows:
        problems += _check_windows_imports(member, info, entry, bundled)
    elif target.libc:
        problems += _check_linux(member, info, entry, target, bundled, tag_floors.get(target.name))
    elif target.is_macos and info.macos is None:
        problems.append(Problem(member, "macos", "records no minimum macOS version"))
    if entry.abi == "abi3":
        problems += _check_stable_abi(member, info)
    return problems


def _check_format(member: str, info: BinaryInfo, target: Target) -> list[Problem]:
    mismatch = target_mismatch(info, target)
    return [Problem(member, "format", mismatch)] if mismatch else []


def _check_windows_imports(
    member: str, info: BinaryInfo, entry: Entry, bundled: set[tuple[str, str]]
) -> list[Problem]:
    problems = []
    needed = [dll.lower() for dll in info.needed]
    if "msvcrt.dll" in needed:
        problems.append(Problem(member, "crt", "links msvcrt.dll: the C runtime must be the UCRT only"))
    if entry.abi == "abi3":
        python_dlls = {"python3.dll"}
    elif entry.abi == "library":
        python_dlls = set()
    else:
        python_dlls = {"python3.dll", f"python3{entry.python[1]}.dll"}
        if entry.free_threaded:  # cp313t: the free-threaded build's DLL only (no limited API there)
            python_dlls = {f"python3{entry.python[1]}t.dll"}
    for dll in needed:
        if dll == "msvcrt.dll" or dll in WINDOWS_SYSTEM_DLLS or dll.startswith(("api-ms-win-", "ext-ms-")):
            continue
        if dll in python_dlls or (entry.target, dll) in bundled:
            continue
        if dll.startswith("python3"):
            wanted = " or ".join(sorted(python_dlls)) or "no Python DLL"
            why = f"imports {dll}, but its ABI {entry.abi} loads with {wanted}"
        else:
            why = f"imports {dll}, which is neither a Windows system DLL nor bundled"
        problems.append(Problem(member, "dll", why))
    return problems


def _check_linux(
    member: str,
    info: BinaryInfo,
    entry: Entry,
    target: Target,
    bundled: set[tuple[str, str]],
    tag_floor: Optional[Version],
) -> list[Problem]:
    problems = []
    allowed = MANYLINUX_LIBRARIES if target.libc == "glibc" else MUSLLINUX_LIBRARIES
    for library in info.needed:
        if library not in allowed and (entry.target, library.lower()) not in bundled:
            policy = "manylinux" if target.libc == "glibc" else "musllinux"
            problems.append(
                Problem(
                    member, "needed", f"needs {library}, which is neither in the {policy} policy nor bundled"
                )
            )
    if info.glibc is not None:
        declared = [f for f in (entry.requires[1] if entry.requires else None, tag_floor) if f is not None]
        floor = min(declared) if declared else None
        if floor is None or info.glibc > floor:
            need = ".".join(map(str, info.glibc))
            have = ".".join(map(str, floor)) if floor else "none"
            problems.append(
                Problem(member, "glibc", f"needs GLIBC_{need}, above the declared floor ({have})")
            )
    return problems


@lru_cache(maxsize=1)
def stable_abi_symbols() -> frozenset[str]:
    """python3.dll's exports (the stable ABI as of the newest CPython fatpack knows)."""
    lines = (EXPORTS_DIR / "python3.def").read_text(encoding="utf-8").splitlines()
    names = lines[lines.index("EXPORTS") + 1 :]  # after the `;` comment lines and LIBRARY
    return frozenset(line.split()[0] for line in names if line.strip())


def _check_stable_abi(member: str, info: BinaryInfo) -> list[Problem]:
    stable = stable_abi_symbols()
    outside = sorted(
        s for s in info.imported_symbols if s.startswith(_STABLE_ABI_PREFIXES) and s not in stable
    )
    if not outside:
        return []
    more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
    return [
        Problem(member, "abi3", f"abi3 payload uses {', '.join(outside[:3])}{more}, outside the stable ABI")
    ]
