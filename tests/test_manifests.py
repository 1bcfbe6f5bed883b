"""inspection.read_manifests: the one reader of an artifact's manifests, shared by inspect and verify."""

from __future__ import annotations

import zipfile

import pytest

from fatpack.errors import ArtifactError
from fatpack.inspection import inspect_artifact, read_manifests
from fatpack.verify import verify_artifact


def artifact(tmp_path, manifest: bytes):
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo/__init__.py", "")
        archive.writestr("demo/_fatpack/manifest.tsv", manifest)
    return path


def test_manifests_are_found_in_loader_packages_only():
    members = {
        "demo/_fatpack/manifest.tsv": b"",
        "_fatpack_demo/manifest.tsv": b"",
        "demo/data/manifest.tsv": b"",  # a project's own file of that name
    }
    found = read_manifests("x.whl", members, members.__getitem__)
    assert [(m.member, m.base) for m in found] == [
        ("_fatpack_demo/manifest.tsv", "_fatpack_demo/"),
        ("demo/_fatpack/manifest.tsv", "demo/_fatpack/"),
    ]


@pytest.mark.parametrize("content", [b"\xff\xfe not UTF-8", b"not a header\n"])
def test_a_broken_manifest_is_named_by_inspect_and_by_verify(tmp_path, content):
    path = artifact(tmp_path, content)
    with pytest.raises(ArtifactError, match=r"demo/_fatpack/manifest.tsv is not a valid fatpack manifest"):
        inspect_artifact(path)
    problems = [(p.member, p.check) for p in verify_artifact(path).problems]
    assert ("demo/_fatpack/manifest.tsv", "manifest") in problems
