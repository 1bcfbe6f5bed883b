"""fatpack.atomic: the one way fatpack writes a file others may read at the same time."""

import pytest

from fatpack.atomic import atomic_path, write_bytes


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    final = tmp_path / "entry"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(final) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("crash while writing")
    assert final.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]


def test_a_finished_write_replaces_the_file(tmp_path):
    final = tmp_path / "entry"
    final.write_bytes(b"old")
    write_bytes(final, b"new")
    assert final.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry"]


def test_same_name_writes_under_the_final_name_in_a_private_directory(tmp_path):
    final = tmp_path / "demo-1.0-py3-none-any.whl"
    with atomic_path(final, same_name=True) as temporary:
        assert temporary.name == final.name and temporary.parent.parent == tmp_path
        assert not final.exists()
        temporary.write_bytes(b"wheel")
    assert final.read_bytes() == b"wheel"
    assert sorted(p.name for p in tmp_path.iterdir()) == [final.name]


def test_two_writers_never_share_a_temporary_file(tmp_path):
    final = tmp_path / "entry"
    with atomic_path(final) as first, atomic_path(final) as second:
        assert first != second
        first.write_bytes(b"first")
        second.write_bytes(b"second")
    assert final.read_bytes() == b"first"  # the last to finish wins, whole
