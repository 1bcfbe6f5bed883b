"""Bundled shared libraries: built per target, stored once per target in libs/, found on Linux through
RUNPATH $ORIGIN/libs and on Windows only because the loader adds that directory (negative control)."""

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, install_into, run_on_path
from winepython import WindowsPython

from fatpack.binaries import inspect_binary
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.targets import TARGETS

EXAMPLE = REPO / "examples" / "mixed"
PROBE = (
    "import mixed.alpha._alpha as a, mixed.beta._beta as b, mixed.gamma._gamma as g, mixed._fatpack as f; "
    "print(a.parallel_sum(1000), a.info()[:2], b.to_network(1), g.parallel_sum(2000), g.flavour())"
)
NEGATIVE_CONTROL = r"""
import importlib.machinery as m, importlib.util as u, sys
path = sys.prefix + r"\Lib\site-packages\mixed\_fatpack\win_amd64\mixed.alpha._alpha.cp39-abi3.pyd"
spec = u.spec_from_file_location("mixed.alpha._alpha", path, loader=m.ExtensionFileLoader("mixed.alpha._alpha", path))
try:
    u.module_from_spec(spec)
    print("loaded")
except ImportError as e:
    print("ImportError:", e)
"""


def test_library_config_and_overrides():
    config = load_project(EXAMPLE)
    (extra,) = config.libraries
    assert extra.name == "extra" and extra.libraries == ()
    assert extra.for_target(TARGETS["win_amd64"]).libraries == ("winmm", "ws2_32", "ntdll")
    assert extra.for_target(TARGETS["linux_x86_64"]).libraries == ()
    assert [e.link_with for e in config.extensions] == [("extra",), ("extra",), ("extra",)]


def test_link_with_an_undeclared_library(make_project):
    root = make_project(
        tool='[[tool.fatpack.extension]]\nname = "p._m"\nsources = ["m.c"]\nlink-with = ["nope"]\n',
        files={"m.c": ""},
    )
    with pytest.raises(
        ConfigError,
        match=r"extension 'p._m': link-with names 'nope', which no \[\[tool.fatpack.library\]\] declares",
    ):
        load_project(root)


def test_override_keys_are_checked(make_project):
    root = make_project(
        tool='[[tool.fatpack.library]]\nname = "x"\nsources = ["x.c"]\n[tool.fatpack.library.windows]\nlanguage = "c++"\n',
        files={"x.c": ""},
    )
    with pytest.raises(ConfigError, match=r"unknown key tool.fatpack.library\[0\].windows.language"):
        load_project(root)


@pytest.fixture(scope="module")
def mixed_wheel(tmp_path_factory):
    from fatpack.pipeline import Options, assemble

    work = tmp_path_factory.mktemp("mixed")
    shutil.copytree(EXAMPLE, work / "mixed", ignore=shutil.ignore_patterns("dist", "build"))
    return assemble(Options(project_dir=work / "mixed", out_dir=work / "dist"))


@pytest.mark.compile
def test_one_copy_per_target_and_what_each_binary_links(mixed_wheel):
    with zipfile.ZipFile(mixed_wheel) as zf:
        names = zf.namelist()
        libraries = [n for n in names if "/libs/" in n]
        assert libraries == [
            "mixed/_fatpack/linux_x86_64/libs/libextra.so",
            "mixed/_fatpack/win_amd64/libs/extra.dll",
        ]
        dll = zf.read("mixed/_fatpack/win_amd64/libs/extra.dll")
        pyd = zf.read("mixed/_fatpack/win_amd64/mixed.beta._beta.cp39-abi3.pyd")
        so = zf.read("mixed/_fatpack/linux_x86_64/mixed.alpha._alpha.cp39-abi3.so")

    def info(data, suffix):
        with tempfile.NamedTemporaryFile(suffix=suffix) as f:
            f.write(data)
            f.flush()
            return inspect_binary(Path(f.name))

    ext_imports = {d.lower() for d in info(pyd, ".pyd").needed}
    assert "extra.dll" in ext_imports and "python3.dll" in ext_imports
    assert all(
        d in ("extra.dll", "python3.dll", "kernel32.dll") or d.startswith("api-ms-win-crt-")
        for d in ext_imports
    )
    lib_imports = {d.lower() for d in info(dll, ".dll").needed}
    assert {"winmm.dll", "ws2_32.dll", "ntdll.dll"} <= lib_imports and "python3.dll" not in lib_imports
    assert "libextra.so" in info(so, ".so").needed

    from elftools.elf.elffile import ELFFile

    dynamic = ELFFile(io.BytesIO(so)).get_section_by_name(".dynamic")
    assert [t.runpath for t in dynamic.iter_tags() if t.entry.d_tag == "DT_RUNPATH"] == ["$ORIGIN/libs"]


@pytest.mark.compile
def test_on_linux_the_library_is_found_through_runpath(mixed_wheel, tmp_path):
    site = tmp_path / "site"
    install_into(mixed_wheel, site)
    code = PROBE + "; print([l.split()[-1] for l in open('/proc/self/maps') if 'libextra' in l][0])"
    proc = run_on_path(site, code, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    values, mapped = proc.stdout.splitlines()
    assert values == "499500 ('posix', 16777216) 16777216 1999000 posix"
    assert mapped == str(site / "mixed/_fatpack/linux_x86_64/libs/libextra.so")


@pytest.mark.compile
@pytest.mark.wine
def test_on_windows_only_the_loaders_dll_directory_makes_it_load(mixed_wheel, tmp_path):
    python = WindowsPython("3.13", tmp_path / "py")
    python.pip_install(mixed_wheel)
    values, dirs = python.check("-c", PROBE + "; print('|'.join(sorted(f._dll_directories)))").splitlines()
    # threads, ws2_32's htonl, through extra.dll, from C and from Cython
    assert values == "499500 ('windows', 16777216) 16777216 1999000 windows"
    site = (
        python.check("-c", "import sys; print(sys.prefix)").strip()
        + "\\Lib\\site-packages\\mixed\\_fatpack\\win_amd64"
    )
    assert dirs.split("|") == [site, site + "\\libs"]
    # negative control: the same .pyd, loaded without the loader's add_dll_directory, cannot find extra.dll
    assert (
        python.check("-c", NEGATIVE_CONTROL).strip()
        == "ImportError: DLL load failed while importing _alpha: Module not found."
    )
