"""Loader safety on an installed wheel: FATPACK_VERIFY=1 refuses a changed payload; manifest paths that
would leave the package are refused; DLL directories come only from inside the package (Windows: see
test_e2e_windows.py, which checks the exact list under Wine)."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, install_into, run_on_path

pytestmark = pytest.mark.compile

PROBE = "import hello; print(hello.add(40, 2))"


@pytest.fixture
def site(hello_wheel, tmp_path):
    return install_into(hello_wheel, tmp_path / "site")


def test_verify_off_by_default_and_on_request(site):
    assert run_on_path(site, PROBE, env={"FATPACK_VERIFY": "1"}).stdout.strip() == "42"  # intact: passes
    payload = next((site / "hello" / "_fatpack" / "linux_x86_64").glob("hello._core.*.so"))
    with payload.open("ab") as f:
        f.write(b"\0")  # still loadable: trailing bytes do not matter to the dynamic loader
    for off in ({}, {"FATPACK_VERIFY": "0"}):
        assert run_on_path(site, PROBE, env=off).stdout.strip() == "42"  # unchecked unless asked
    proc = run_on_path(site, PROBE, env={"FATPACK_VERIFY": "1"})
    assert proc.returncode == 1
    assert (
        "ImportError: hello._core: linux_x86_64/hello._core.abi3.so differs from its sha256 in the manifest "
        "(FATPACK_VERIFY=1): the installed file was changed; reinstall the package" in proc.stderr
    )


@pytest.fixture(scope="module")
def mixed_site(tmp_path_factory):
    """examples/mixed (three extensions sharing a bundled library) for linux_x86_64, installed."""
    from fatpack.pipeline import Options, assemble
    from fatpack.targets import parse_target

    work = tmp_path_factory.mktemp("mixed")
    shutil.copytree(
        REPO / "examples" / "mixed", work / "mixed", ignore=shutil.ignore_patterns("dist", "build")
    )
    targets = (parse_target("linux_x86_64"),)
    return install_into(assemble(Options(work / "mixed", work / "dist", targets=targets)), work / "site")


def test_changed_bundled_library_is_refused_under_fatpack_verify(mixed_site):
    probe = "import mixed.alpha._alpha as a; print(a.parallel_sum(1000))"
    library = mixed_site / "mixed" / "_fatpack" / "linux_x86_64" / "libs" / "libextra.so"
    with library.open("ab") as f:
        f.write(b"\0")
    assert run_on_path(mixed_site, probe).stdout.strip() == "499500"  # unchecked by default
    proc = run_on_path(mixed_site, probe, env={"FATPACK_VERIFY": "1"})
    assert proc.returncode == 1
    assert (
        "mixed.alpha._alpha: linux_x86_64/libs/libextra.so differs from its sha256 in the manifest"
        in proc.stderr
    )


@pytest.mark.parametrize("path", ["../../evil/hello._core.abi3.so", "/tmp/hello._core.abi3.so"])
def test_manifest_paths_leaving_the_package_are_refused(site, path):
    manifest = site / "hello" / "_fatpack" / "manifest.tsv"
    text = manifest.read_text().replace("linux_x86_64/hello._core.abi3.so", path)
    manifest.write_text(text)
    proc = run_on_path(site, PROBE)
    assert proc.returncode == 1
    assert f"ImportError: fatpack: manifest path {path!r} leaves the package; refused" in proc.stderr
