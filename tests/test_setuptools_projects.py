"""Existing setuptools projects, unchanged: setup.py (read in a subprocess) and [tool.setuptools]
ext-modules, their packages and metadata; an sdist as input; the features fatpack refuses."""

from __future__ import annotations

import shutil
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path
from typing import Optional

import pytest
from conftest import install_into, run_on_path
from winepython import CACHE, WindowsPython, pip_download

from fatpack.build import build_payloads
from fatpack.cli import main
from fatpack.config import load_project
from fatpack.errors import ConfigError
from fatpack.packages import find_package_files
from fatpack.pipeline import Options, assemble
from fatpack.plan import make_plan
from fatpack.targets import TARGETS, PythonAbi

PROJECTS = Path(__file__).parent / "projects"
HOST_ABI = PythonAbi(sys.version_info[1], abi3=False)


def copy_project(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECTS / name, tmp_path / name))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_setup_py_extensions_packages_and_metadata(tmp_path):
    root = copy_project("setuppy_demo", tmp_path)
    before = snapshot(root)
    config = load_project(root)
    (ext,) = config.extensions
    assert ext.name == "spam._spam"
    assert [s.relative_to(root).as_posix() for s in ext.sources] == [
        "src/spam/_spammodule.c",
        "src/spam/helpers.c",
    ]
    assert [d.relative_to(root).as_posix() for d in ext.include_dirs] == ["src/spam/include"]
    assert ext.define_macros == (("SPAM_GREETING", '"spam"'),)
    # setup.py's `if sys.platform == "win32":` branch, read as on Windows, applies to Windows targets
    assert ext.for_target(TARGETS["win_amd64"]).define_macros[-1] == ("SPAM_WINDOWS", "1")
    assert ext.for_target(TARGETS["linux_x86_64"]).define_macros == ext.define_macros
    assert (config.name, config.version) == ("spam-demo", "2.1.0")
    assert config.abis == (HOST_ABI,)  # no py_limited_api: built for the running CPython, as setuptools does
    assert [f.archive_name for f in find_package_files(config)] == ["spam/__init__.py", "spam/data/words.txt"]
    assert snapshot(root) == before  # reading setup.py wrote nothing into the project


def test_tool_setuptools_ext_modules(tmp_path):
    root = copy_project("setuptools_toml", tmp_path)
    config = load_project(root)
    (ext,) = config.extensions
    assert ext.name == "toml_demo._fast" and ext.define_macros == ()  # Py_LIMITED_API comes from the ABI
    assert config.abis == (PythonAbi(8, abi3=True),)
    assert [f.archive_name for f in find_package_files(config)] == ["toml_demo/__init__.py"]


def test_cythonize_is_intercepted_and_writes_nothing(tmp_path):
    root = tmp_path / "cy"
    (root / "cy").mkdir(parents=True)
    (root / "cy/__init__.py").write_text("")
    (root / "cy/fast.pyx").write_text("def f(): return 1\n")
    (root / "setup.py").write_text(
        "from setuptools import setup\nfrom Cython.Build import cythonize\n"
        "setup(name='cy', version='1', packages=['cy'], ext_modules=cythonize('cy/*.pyx'))\n"
    )
    config = load_project(root)
    assert [(e.name, [s.name for s in e.sources]) for e in config.extensions] == [("cy.fast", ["fast.pyx"])]
    assert config.abis == (HOST_ABI,)
    assert sorted(p.name for p in (root / "cy").iterdir()) == ["__init__.py", "fast.pyx"]


UNSUPPORTED = {
    "SWIG sources": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.i'])])",
        "setup.py ext_modules 'x': SWIG sources (.i) are not supported by fatpack",
    ),
    "build_clib": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], libraries=[('foo', {'sources': ['x.c']})])",
        "setup.py builds C libraries (foo) with libraries=",
    ),
    "extra_objects": (
        "setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'], extra_objects=['a.o'])])",
        "setup.py ext_modules 'x': extra_objects is not supported by fatpack",
    ),
    "computed version": (
        "setup(name='x', ext_modules=[Extension('x', ['x.c'])])",
        "setup.py passes no version to setup()",
    ),
    "no ext_modules": ("setup(name='x', version='1')", "setup.py declares no ext_modules"),
    "setup.py raises": (
        "raise RuntimeError('needs numpy at build time')",
        "RuntimeError: needs numpy at build time",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_unsupported_setuptools_features_are_named(case, tmp_path, capsys):
    body, message = UNSUPPORTED[case]
    (tmp_path / "x.c").write_text("")
    (tmp_path / "setup.py").write_text("from setuptools import setup, Extension\n" + body + "\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert message in str(info.value) and "\n" not in str(info.value)
    # with fatpack's own builders (the default zig runs the project's own build: fatpack/crossbuild.py)
    assert main(["assemble", str(tmp_path), "--builder", "native", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "out").exists()


# --- built, installed and imported -----------------------------------------------------------------


@pytest.fixture(scope="module")
def spam_sdist(tmp_path_factory) -> Path:
    """setuppy_demo as an sdist: spam-demo-2.1.0/ with PKG-INFO, tarred."""
    work = tmp_path_factory.mktemp("sdist")
    top = work / "spam_demo-2.1.0"
    shutil.copytree(PROJECTS / "setuppy_demo", top)
    (top / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: spam-demo\nVersion: 2.1.0\n")
    sdist = work / "spam_demo-2.1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(top, arcname=top.name)
    return sdist


@pytest.fixture(scope="module")
def spam_wheel(spam_sdist, tmp_path_factory) -> Path:
    """Assembled from the sdist, as `fatpack assemble spam_demo-2.1.0.tar.gz` does."""
    return assemble(Options(project_dir=spam_sdist, out_dir=tmp_path_factory.mktemp("spam-dist")))


@pytest.mark.compile
def test_sdist_input_gives_the_same_wheel_as_the_directory(spam_wheel, tmp_path):
    root = copy_project("setuppy_demo", tmp_path)
    before = snapshot(root)
    from_dir = assemble(Options(project_dir=root, out_dir=tmp_path / "dist"))
    assert snapshot(root) == before  # setuptools built the reference wheel in a copy: no build/, *.egg-info
    assert from_dir.name == spam_wheel.name == "spam_demo-2.1.0-py3-none-any.whl"
    with zipfile.ZipFile(from_dir) as a, zipfile.ZipFile(spam_wheel) as b:
        assert a.namelist() == b.namelist()


def zip_sdist(tar_sdist: Path, directory: Path) -> Path:
    """The same sdist as a .zip, as older sdists (and `sdist --formats=zip`) are."""
    sdist = directory / tar_sdist.name.replace(".tar.gz", ".zip")
    with tarfile.open(tar_sdist) as tar, zipfile.ZipFile(sdist, "w") as archive:
        for member in tar.getmembers():
            source = tar.extractfile(member) if member.isfile() else None
            if source is not None:
                archive.writestr(member.name, source.read())
    return sdist


@pytest.mark.parametrize("command", ["inspect", "verify"])
@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_sdist_given_for_a_wheel_says_what_to_do(spam_sdist, command, kind, tmp_path, capsys):
    sdist = spam_sdist if kind == "tar.gz" else zip_sdist(spam_sdist, tmp_path)
    assert main([command, str(sdist)]) == 1
    assert capsys.readouterr().err == (
        f"error: {sdist.name} is a source distribution (sdist), not a wheel or egg: build it first "
        f"(fatpack assemble {sdist.name}), then {command} the wheel it writes\n"
    )


def test_zip_sdist_unpacks_and_links_in_it_are_refused(spam_sdist, tmp_path):
    from fatpack.archives import is_sdist, unpack_sdist
    from fatpack.errors import ArtifactError

    sdist = zip_sdist(spam_sdist, tmp_path)
    assert is_sdist(sdist) and not is_sdist(tmp_path)
    top = unpack_sdist(sdist, tmp_path / "out")
    assert top.name == "spam_demo-2.1.0" and (top / "setup.py").is_file() and (top / "PKG-INFO").is_file()
    linked = tmp_path / "linked.zip"
    with zipfile.ZipFile(linked, "w") as archive:
        archive.writestr("x-1/PKG-INFO", "Name: x\n")
        link = zipfile.ZipInfo("x-1/evil")
        link.external_attr = 0o120777 << 16  # a symbolic link
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ArtifactError, match="member x-1/evil is a link or device; refused"):
        unpack_sdist(linked, tmp_path / "out2")


@pytest.mark.compile
def test_zip_sdist_assembles_like_the_tar_gz(spam_sdist, spam_wheel, tmp_path):
    sdist = zip_sdist(spam_sdist, tmp_path)
    wheel = assemble(Options(project_dir=sdist, out_dir=tmp_path / "dist"))
    with zipfile.ZipFile(wheel) as a, zipfile.ZipFile(spam_wheel) as b:
        assert wheel.name == spam_wheel.name and a.namelist() == b.namelist()


@pytest.mark.compile
def test_setup_py_project_imports_on_linux(spam_wheel, tmp_path):
    site = install_into(spam_wheel, tmp_path / "site")
    probe = "import spam, spam._spam as s; print(spam.sum_list([1, 2, 39]), spam.greeting(), spam.platform(), s.setup_branch(), spam.WORDS)"
    proc = run_on_path(site, probe)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["42", "spam", "posix", "default-branch", "['eggs',", "'ham']"]


@pytest.mark.compile
@pytest.mark.wine
def test_setup_py_project_imports_on_windows_python(spam_wheel, tmp_path):
    version = f"3.{sys.version_info[1]}"  # the payload is version-specific: the host's CPython
    python = WindowsPython(version, tmp_path / "py")
    python.pip_install(spam_wheel)
    out = python.check(
        "-c",
        "import spam, spam._spam as s; print(spam.sum_list([1, 2, 39]), spam.greeting(), spam.platform(), s.setup_branch(), s.__file__)",
    )
    total, greeting, platform, branch, file = out.split()
    assert (total, greeting, platform, branch) == ("42", "spam", "windows", "win32-branch")
    # the backend's own .pyd, kept at its install-relative path below the loader (as fuse does)
    minor = sys.version_info[1]
    assert file.endswith(rf"\spam\_fatpack\win_amd64\cp3{minor}\spam\_spam.cp3{minor}-win_amd64.pyd")


# --- real projects from PyPI, unchanged ------------------------------------------------------------

# sdist: (probe printing one line, what that line must contain); each exercises something different
REAL_SDISTS = {
    # setup.py, two C extensions; runs its own 590 tests
    "bitarray==3.8.0": (
        "import bitarray, bitarray._bitarray as b; r = bitarray.test(verbosity=0); print(r.testsRun, r.wasSuccessful(), b.__file__)",
        "590 True",
    ),
    # custom build_ext (ignored with a warning), src layout discovered
    "markupsafe==3.0.4": (
        "import markupsafe, markupsafe._speedups as s; print(markupsafe.escape('<a>'), s.__file__)",
        "&lt;a&gt;",
    ),
    # [project] with a dynamic version from a literal attr
    "msgpack==1.2.4": (
        "import msgpack, msgpack._cmsgpack as c; print(msgpack.unpackb(msgpack.packb([1, 2.5, 'x'])), c.__file__)",
        "[1, 2.5, 'x']",
    ),
    # ext_package, `**` in package_data
    "xxhash==4.1.0": (
        "import xxhash, xxhash._xxhash as x; print(xxhash.xxh64(b'a').hexdigest(), x.__file__)",
        "d24ec4f1a98c6e5b",
    ),
    # computed version (from PKG-INFO), [tool.setuptools] packages and package-dir with a setup.py
    "wrapt==2.5.2": ("import wrapt, wrapt._wrappers as w; print(wrapt.ObjectProxy(3) + 1, w.__file__)", "4 "),
    # package_dir mapping to python3/
    "crcmod==1.7": (
        "import crcmod.predefined as p, crcmod._crcfunext as c; print(hex(p.mkCrcFun('crc-32')(b'123456789')), c.__file__)",
        "0xcbf43926",
    ),
}


@pytest.fixture(scope="module")
def real_sdist_wheels(tmp_path_factory) -> dict[str, Path]:
    """Each sdist from PyPI assembled as it is (linux_x86_64 + win_amd64, the host's CPython ABI)."""
    out = tmp_path_factory.mktemp("real-sdists")
    wheels = {}
    for requirement in REAL_SDISTS:
        sdist = pip_download(requirement, CACHE / "sdists" / requirement, sdist=True)
        wheels[requirement] = assemble(Options(project_dir=sdist, out_dir=out / requirement))
    return wheels


@pytest.mark.compile
@pytest.mark.parametrize("requirement", sorted(REAL_SDISTS))
def test_real_sdist_imports_on_linux(real_sdist_wheels, requirement, tmp_path):
    probe, expected = REAL_SDISTS[requirement]
    site = install_into(real_sdist_wheels[requirement], tmp_path / "site")
    proc = run_on_path(site, probe)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip().splitlines()[-1]
    assert expected in line and "/_fatpack/linux_x86_64/" in line and str(site) in line


@pytest.mark.compile
@pytest.mark.wine
def test_real_sdists_import_on_windows_python(real_sdist_wheels, tmp_path):
    python = WindowsPython(f"3.{sys.version_info[1]}", tmp_path / "py")
    for requirement, wheel in sorted(real_sdist_wheels.items()):
        python.pip_install(wheel)
        probe, expected = REAL_SDISTS[requirement]
        line = python.check("-c", probe).strip().splitlines()[-1]
        assert expected in line and "\\_fatpack\\win_amd64\\" in line, (requirement, line)


def write_setup(root: Path, body: str, files: Optional[dict[str, str]] = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "x.c").write_text("")
    (root / "setup.py").write_text("from setuptools import setup, Extension\n" + textwrap.dedent(body))
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_custom_build_ext_is_ignored_with_a_warning(tmp_path, caplog):
    root = write_setup(
        tmp_path / "p",
        """
        from setuptools.command.build_ext import build_ext
        class optional_build_ext(build_ext):  # the usual reason: make the speedups optional
            pass
        setup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])], cmdclass={'build_ext': optional_build_ext})
        """,
    )
    assert [e.name for e in load_project(root).extensions] == ["x"]
    assert "warning: setup.py replaces build_ext (cmdclass); fatpack does not run it" in caplog.text


def test_package_dir_mapping(tmp_path):
    root = write_setup(
        tmp_path / "p",
        "setup(name='x', version='1', packages=['crc', 'crc.sub'], package_dir={'crc': 'python3/crc'}, ext_modules=[Extension('crc._ext', ['x.c'])])\n",
        {
            "python3/crc/__init__.py": "",
            "python3/crc/sub/__init__.py": "",
            "python3/crc/sub/m.py": "",
            "crc/stale.py": "",
        },
    )
    files = {
        f.archive_name: f.path.relative_to(root).as_posix() for f in find_package_files(load_project(root))
    }
    assert files == {
        "crc/__init__.py": "python3/crc/__init__.py",
        "crc/sub/__init__.py": "python3/crc/sub/__init__.py",
        "crc/sub/m.py": "python3/crc/sub/m.py",
    }


PYPROJECT_DYNAMIC = '[project]\nname = "x"\ndynamic = ["version"]\n'


@pytest.mark.parametrize(
    ("dynamic", "files", "version"),
    [
        (
            '[tool.setuptools.dynamic]\nversion = {attr = "x.__version__"}\n',
            {"x/__init__.py": "__version__ = '1.2.3'\n"},
            "1.2.3",
        ),
        (
            '[tool.setuptools.dynamic]\nversion = {attr = "x.VERSION"}\n',
            {"x/__init__.py": "VERSION = (2, 0, 1)\n"},
            "2.0.1",
        ),
        ('[tool.setuptools.dynamic]\nversion = {file = "VERSION.txt"}\n', {"VERSION.txt": "3.1\n"}, "3.1"),
        (  # computed in the module: an sdist's PKG-INFO has it
            '[tool.setuptools.dynamic]\nversion = {attr = "x.__version__"}\n',
            {
                "x/__init__.py": "__version__ = '.'.join(['4', '0'])\n",
                "PKG-INFO": "Metadata-Version: 2.1\nName: x\nVersion: 4.0\n",
            },
            "4.0",
        ),
    ],
)
def test_dynamic_version_read_as_setuptools_would(tmp_path, dynamic, files, version):
    root = write_setup(
        tmp_path / "p", "setup(ext_modules=[Extension('x._c', ['x.c'])], packages=['x'])\n", files
    )
    (root / "pyproject.toml").write_text(PYPROJECT_DYNAMIC + dynamic)
    assert load_project(root).version == version


def test_dynamic_version_that_cannot_be_read(tmp_path):
    root = write_setup(
        tmp_path / "p",
        "setup(ext_modules=[Extension('x._c', ['x.c'])], packages=['x'])\n",
        {"x/__init__.py": "import os\n__version__ = os.environ['V']\n"},
    )
    (root / "pyproject.toml").write_text(
        PYPROJECT_DYNAMIC + '[tool.setuptools.dynamic]\nversion = {attr = "x.__version__"}\n'
    )
    with pytest.raises(ConfigError, match=r"^project.version is dynamic and not a literal fatpack can read"):
        load_project(root)


PER_OS_SETUP = """
import sys
from setuptools import setup, Extension
windows = sys.platform == "win32"
sources = ["common.c"] + (["win.c"] if windows else ["posix.c"])
extensions = [Extension("p._core", sources, libraries=["ws2_32"] if windows else ["m"])]
if windows:
    extensions.append(Extension("p._winonly", ["win.c"]))
setup(name="p", version="1", packages=["p"], ext_modules=extensions)
"""


def test_setup_py_read_as_on_each_os(tmp_path, runner):
    files = {"p/__init__.py": "", "common.c": "", "win.c": "", "posix.c": ""}
    root = write_setup(
        tmp_path / "p", PER_OS_SETUP.replace("from setuptools import setup, Extension\n", ""), files
    )
    core, winonly = load_project(root).extensions
    assert [s.name for s in core.sources] == ["common.c"]
    by_target = {t: core.for_target(TARGETS[t]) for t in ("linux_x86_64", "win_amd64", "macosx_arm64")}
    assert {t: [s.name for s in e.sources] for t, e in by_target.items()} == {
        "linux_x86_64": ["common.c", "posix.c"],
        "win_amd64": ["common.c", "win.c"],
        "macosx_arm64": ["common.c", "posix.c"],
    }
    assert {t: e.libraries for t, e in by_target.items()} == {
        "linux_x86_64": ("m",),
        "win_amd64": ("ws2_32",),
        "macosx_arm64": ("m",),
    }
    assert (winonly.name, winonly.oses) == ("p._winonly", ("windows",))
    payloads = build_payloads(make_plan(load_project(root)), runner, tmp_path / "work", tmp_path / "out")
    assert sorted((p.module, p.target.name) for p in payloads) == [
        ("p._core", "linux_x86_64"),
        ("p._core", "win_amd64"),
        ("p._winonly", "win_amd64"),  # built only where setup.py declares it
    ]


def test_setup_py_that_cannot_run_as_on_windows_falls_back_to_linux(tmp_path):
    body = "import sys\nif sys.platform == 'win32':\n    import winreg\nsetup(name='x', version='1', ext_modules=[Extension('x', ['x.c'])])\n"
    root = write_setup(tmp_path / "p", body)
    (ext,) = load_project(root).extensions
    assert ext.name == "x" and ext.oses == () and ext.overrides == ()


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie no one has reaped yet counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_background_child_holding_stdout_does_not_make_fatpack_wait(tmp_path, monkeypatch):
    """setup.py leaves a child that keeps its stdout open: fatpack reads the answer when setup.py ends
    (not when stdout closes) and ends the child."""
    import time

    import fatpack.setuptools_project as setuptools_project

    monkeypatch.setattr(setuptools_project, "SETUP_PY_TIMEOUT", 20)
    body = """\
    import pathlib, subprocess, sys
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    pathlib.Path("child.pid").write_text(str(child.pid))
    print("setup.py says hello")
    setup(name="x", version="1", ext_modules=[Extension("x", ["x.c"])])
    """
    root = write_setup(tmp_path / "p", body)
    started = time.monotonic()
    (ext,) = load_project(root).extensions
    assert ext.name == "x"
    assert time.monotonic() - started < 15
    child = int((root / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "the child setup.py left behind outlived the read"


@pytest.mark.parametrize("handler", ["except Exception", "except BaseException", "except"])
def test_setup_retried_without_extensions_still_gives_the_extensions(tmp_path, handler):
    """`try: setup(ext_modules=...) except Exception: setup(ext_modules=[])`: the interception is no
    Exception, and the first setup() call is the one that counts."""
    body = f"""\
    try:
        setup(name="x", version="1", ext_modules=[Extension("x", ["x.c"])])
    {handler}:
        setup(name="x", version="1", ext_modules=[])
    """
    root = write_setup(tmp_path / "p", body)
    (ext,) = load_project(root).extensions
    assert ext.name == "x"


@pytest.mark.compile
def test_pth_file_beside_the_packages_is_installed_where_its_own_wheel_puts_it(tmp_path):
    """coverage ships a1_coverage.pth as package_data "../a1_coverage.pth" (issue 23 item 7): once
    refused as an unsafe member name; it belongs at the wheel's root and runs at interpreter start."""
    import subprocess

    root = copy_project("pthdata", tmp_path)
    targets = (TARGETS["linux_x86_64"], TARGETS["win_amd64"])
    wheel = assemble(Options(project_dir=root, out_dir=tmp_path / "dist", targets=targets))
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("zz_pthdata.pth") == (root / "zz_pthdata.pth").read_bytes()
        assert not [n for n in archive.namelist() if ".." in n]
    site = install_into(wheel, tmp_path / "site")
    probe = f"import os, site; site.addsitedir({str(site)!r}); import pthdata; print(os.environ.get('PTHDATA_STARTED'), pthdata.double(21))"
    proc = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=False)
    assert proc.stdout.split() == ["1", "42"], proc.stderr
