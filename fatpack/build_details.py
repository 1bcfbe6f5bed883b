"""A CPython installation described by its PEP 739 `build-details.json`, read without running it.

CPython 3.14 and later install the file in the standard library directory (`<prefix>/lib/python3.X/`;
Debian names it per architecture, `build-details..x86_64-linux-gnu.json`; Windows from 3.15 in `Lib/`).
fatpack reads the language version, the implementation, the ABI flags (`t`: free-threaded), the
headers' directory (`c_api.headers`), the interpreter (`base_interpreter`) and Debian's multiarch
(`implementation._multiarch`, which its pyconfig.h wrapper includes by).

Paths, as the specification has them: `base_prefix` is absolute or relative to the file's directory;
every other path is absolute or relative to `base_prefix`. An installation unpacked somewhere else than
where it was built for (a Debian package extracted into a directory, a target's sysroot) keeps absolute
paths naming its original prefix (`/usr/include/python3.14`): when the file does not sit below the
`base_prefix` it names, but where an installation's stdlib directory is (`<prefix>/lib/python3.X/`),
paths below the named prefix are taken below `<prefix>` instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Optional

from fatpack.errors import ConfigError

FILE_GLOB = "build-details*.json"


@dataclass(frozen=True)
class BuildDetails:
    """What fatpack uses of one build-details.json; paths resolved (see the module docstring)."""

    path: Path
    version: tuple[int, int]
    implementation: str  # 'cpython', 'pypy'
    free_threaded: bool
    headers: Optional[Path]  # c_api.headers: the directory holding Python.h
    interpreter: Optional[Path]  # base_interpreter
    multiarch: str = ""


def find_build_details(prefix: Path, minor: int) -> Optional[Path]:
    """The build-details.json of CPython 3.<minor> installed at `prefix`, if it has one."""
    for stdlib in (prefix / "lib" / f"python3.{minor}", prefix / "Lib"):
        found = sorted(stdlib.glob(FILE_GLOB))
        if found:
            return found[0]
    return None


def read_build_details(path: Path) -> BuildDetails:
    """Read `path`; a ConfigError naming it when it is not a build-details.json fatpack can use."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        version = tuple(int(part) for part in str(data["language"]["version"]).split("."))
        implementation = data.get("implementation", {})
        prefix = _base_prefix(path, str(data["base_prefix"]))
        c_api = data.get("c_api", {})
        return BuildDetails(
            path=path,
            version=(version[0], version[1]),
            implementation=str(implementation.get("name", "")),
            free_threaded="t" in data.get("abi", {}).get("flags", []),
            headers=_resolved(prefix, c_api.get("headers")),
            interpreter=_resolved(prefix, data.get("base_interpreter")),
            multiarch=str(implementation.get("_multiarch") or ""),
        )
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ConfigError(
            f"{path} is not a PEP 739 build-details.json (it needs language.version and base_prefix)"
        ) from None


@dataclass(frozen=True)
class _Prefix:
    named: PurePosixPath  # base_prefix as written (absolute), or the resolved one
    actual: Path  # where the installation is on this machine


def _base_prefix(path: Path, written: str) -> _Prefix:
    if not PurePosixPath(written).is_absolute() and not Path(written).is_absolute():
        actual = (path.parent / written).resolve()
        return _Prefix(PurePosixPath(actual.as_posix()), actual)
    named = PurePosixPath(written)
    stdlib = path.parent
    moved = not path.resolve().is_relative_to(Path(written).resolve()) and _is_stdlib_dir(stdlib)
    return _Prefix(named, stdlib.parent.parent if moved else Path(written))


def _is_stdlib_dir(directory: Path) -> bool:
    return directory.name.startswith("python3.") and directory.parent.name in ("lib", "lib64")


def _resolved(prefix: _Prefix, value: Any) -> Optional[Path]:
    if not isinstance(value, str) or not value:
        return None
    written = PurePosixPath(value)
    if not written.is_absolute():
        return prefix.actual / value
    if written.is_relative_to(prefix.named):
        return prefix.actual / written.relative_to(prefix.named)
    return Path(value)
