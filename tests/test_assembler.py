import hashlib
import zipfile
from pathlib import Path

import pytest
from conftest import MINIMAL_C
from wheel.wheelfile import WheelFile

from fatpack.assembler import assemble_wheel, loader_package, stub_source
from fatpack.binaries import BinaryInfo
from fatpack.config import load_project
from fatpack.errors import ArtifactError, ConfigError
from fatpack.packages import find_package_files
from fatpack.payloads import Payload
from fatpack.targets import TARGETS, PythonAbi
from runtime_loader.loader import parse_manifest

ABI3 = PythonAbi(8, True)
FORMATS = {"windows": "PE", "macos": "Mach-O", "linux": "ELF"}


@pytest.fixture(autouse=True)
def fake_inspector(monkeypatch):
    """Unit tests use fake payload bytes: report each as a binary of the target it claims to be.
    (The end-to-end tests inspect real binaries.)"""
    from fatpack import assembler

    def inspect(path):
        target = TARGETS[path.read_text().split()[1]]
        return BinaryInfo(
            FORMATS[target.os], (target.arch,), glibc=(2, 17) if target.libc == "glibc" else None
        )

    monkeypatch.setattr(assembler, "inspect_binary", inspect)


def fake_payloads(tmp_path: Path, module: str, abis=(ABI3,)) -> list:
    payloads = []
    for target in (TARGETS["linux_x86_64"], TARGETS["win_amd64"]):
        for abi in abis:
            path = tmp_path / "payloads" / f"{target.name}-{abi.label}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"binary {target.name} {abi.label}".encode())
            payloads.append(Payload(module, target, abi, path))
    return payloads


def assemble(project: Path, tmp_path: Path, abis=(ABI3,)) -> Path:
    config = load_project(project)
    payloads = fake_payloads(tmp_path, config.extensions[0].name, abis)
    return assemble_wheel(config, find_package_files(config), payloads, tmp_path / "dist")


def test_wheel_layout(demo_project, tmp_path):
    wheel = assemble(demo_project, tmp_path)
    assert wheel.name == "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert zf.namelist() == [
            "demo/__init__.py",
            "demo/_fatpack/__init__.py",
            "demo/_fatpack/diagnose.py",
            "demo/_fatpack/linux_x86_64/demo._speed.abi3.so",
            "demo/_fatpack/manifest.tsv",
            "demo/_fatpack/win_amd64/demo._speed.abi3.pyd",
            "demo/_fatpack/zipcache.py",
            "demo/_speed.py",
            "demo/_speed.pyi",
            "demo/data.txt",
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/WHEEL",
            "demo-1.0.dist-info/RECORD",
        ]
        wheel_meta = zf.read("demo-1.0.dist-info/WHEEL").decode()
        assert "Tag: py3-none-any" in wheel_meta and "Root-Is-Purelib: false" in wheel_meta
        metadata = zf.read("demo-1.0.dist-info/METADATA").decode()
        assert "Name: demo" in metadata and "Version: 1.0" in metadata
        assert zf.read("demo/_speed.py").decode() == stub_source("demo._speed", "demo._fatpack")
        assert (
            zf.read("demo/_fatpack/__init__.py")
            == (Path(__file__).parent.parent / "runtime_loader/loader.py").read_bytes()
        )
        entries = parse_manifest(zf.read("demo/_fatpack/manifest.tsv").decode())
        assert [(e.module, e.target, e.abi, e.python, e.requires, e.file) for e in entries] == [
            (
                "demo._speed",
                "linux_x86_64",
                "abi3",
                (3, 8),
                ("glibc", (2, 17)),
                "linux_x86_64/demo._speed.abi3.so",
            ),
            ("demo._speed", "win_amd64", "abi3", (3, 8), None, "win_amd64/demo._speed.abi3.pyd"),
        ]
        for entry in entries:
            data = zf.read(f"demo/_fatpack/{entry.file}")
            assert hashlib.sha256(data).hexdigest() == entry.sha256


def test_record_is_valid(demo_project, tmp_path):
    wheel = assemble(demo_project, tmp_path)
    with WheelFile(wheel) as wf:  # verifies every member's hash against RECORD as it reads
        for name in wf.namelist():
            wf.read(name)
        record = wf.read("demo-1.0.dist-info/RECORD").decode().splitlines()
    assert "demo-1.0.dist-info/RECORD,," in record
    assert all(",sha256=" in line for line in record if not line.endswith("RECORD,,"))


def test_wheel_is_reproducible(demo_project, tmp_path):
    first = assemble(demo_project, tmp_path / "a").read_bytes()
    second = assemble(demo_project, tmp_path / "b").read_bytes()
    assert first == second


def test_top_level_extension_gets_its_own_loader_package():
    assert loader_package("hello._core", "hello", {"hello/__init__.py"}) == "hello._fatpack"
    assert loader_package("_speedups", "My-Project", {"hello/__init__.py"}) == "_fatpack_my_project"


def test_namespace_package_extension_gets_a_loader_package_named_after_the_project():
    assert loader_package("ns.a._core", "ns-a", {"ns/a/__init__.py"}) == "ns._fatpack_ns_a"


def test_pure_file_colliding_with_stub_is_refused(demo_project, tmp_path):
    (demo_project / "src/demo/_speed.py").write_text("")
    with pytest.raises(
        ConfigError, match=r"_speed.py collides with the file fatpack generates at demo/_speed.py"
    ):
        assemble(demo_project, tmp_path)
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []


def test_output_dir_that_is_a_file(demo_project, tmp_path):
    config = load_project(demo_project)
    (tmp_path / "dist").write_text("not a directory")
    with pytest.raises(ArtifactError, match=r"cannot write to output directory"):
        assemble_wheel(config, [], fake_payloads(tmp_path, "demo._speed"), tmp_path / "dist")


def test_missing_payload_is_artifact_error(demo_project, tmp_path):
    config = load_project(demo_project)
    payloads = fake_payloads(tmp_path, "demo._speed")
    payloads[1].path.unlink()
    with pytest.raises(ArtifactError, match=r"payload win_amd64/demo._speed.abi3.pyd cannot be read"):
        assemble_wheel(config, [], payloads, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_failure_while_writing_leaves_nothing(demo_project, tmp_path):
    config = load_project(demo_project)
    files = find_package_files(config)
    files[-1].path.unlink()  # a pure file vanishes after discovery: an OSError inside the zip writer
    with pytest.raises(ArtifactError, match=r"writing demo-1.0-py3-none-any.whl in .* failed"):
        assemble_wheel(config, files, fake_payloads(tmp_path, "demo._speed"), tmp_path / "dist")
    assert list((tmp_path / "dist").iterdir()) == []


def test_project_metadata_flows_into_wheel(make_project, tmp_path):
    root = make_project(
        project='[project]\nname = "My_Pkg"\nversion = "2.0.0"\ndescription = "d"\ndependencies = ["packaging>=20"]\n'
        '[project.scripts]\nmy-tool = "my_pkg.cli:main"\n',
        tool='[[tool.fatpack.extension]]\nname = "my_pkg._c"\nsources = ["c.c"]\n',
        files={"c.c": "", "my_pkg/__init__.py": ""},
    )
    wheel = assemble(root, tmp_path)
    assert wheel.name == "my_pkg-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read("my_pkg-2.0.0.dist-info/METADATA").decode()
        assert "Requires-Dist: packaging>=20" in metadata and "Summary: d" in metadata
        assert "my-tool = my_pkg.cli:main" in zf.read("my_pkg-2.0.0.dist-info/entry_points.txt").decode()


def test_bad_project_metadata_is_config_error(make_project, tmp_path):
    root = make_project(
        project='[project]\nname = "x"\nversion = "1.0"\nbogus = 1\n',
        tool='[[tool.fatpack.extension]]\nname = "x._c"\nsources = ["c.c"]\n',
        files={"c.c": ""},
    )
    with pytest.raises(ConfigError, match=r"bogus"):
        assemble(root, tmp_path)


def test_payload_of_wrong_architecture_is_refused(demo_project, tmp_path):
    config = load_project(demo_project)
    payloads = fake_payloads(tmp_path, "demo._speed")
    payloads[0].path.write_text("binary linux_aarch64 abi3")  # an aarch64 ELF in the x86_64 directory
    with pytest.raises(
        ArtifactError,
        match=r"linux_x86_64/demo._speed.abi3.so is ELF aarch64, but target linux_x86_64 needs ELF x86_64",
    ):
        assemble_wheel(config, [], payloads, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_generated_pyi_and_a_shipped_one_wins(make_project, tmp_path):
    tool = '[[tool.fatpack.extension]]\nname = "demo._speed"\nsources = ["src/demo/_speed.c"]\n'
    files = {"src/demo/__init__.py": "", "src/demo/_speed.c": MINIMAL_C % {"base": "_speed"}}
    generated = assemble(make_project(tool=tool, files=files, name="gen"), tmp_path / "gen")
    own = "def speed() -> int: ...\n"
    shipped = make_project(tool=tool, files={**files, "src/demo/_speed.pyi": own}, name="own")
    with zipfile.ZipFile(generated) as zf:
        assert zf.read("demo/_speed.pyi").decode().endswith("def __getattr__(name: str) -> Any: ...\n")
    with zipfile.ZipFile(assemble(shipped, tmp_path / "own")) as zf:
        assert zf.read("demo/_speed.pyi").decode() == own
