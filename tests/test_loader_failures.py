"""Every way the runtime loader can fail is an ImportError naming the cause (issue 13, section 4), so
`try: import pkg._speedups / except ImportError: fallback` works. Packages are written to temporary
directories or zips with the real loader files and imported in this process (no subprocess per case)."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import itertools
import os
import struct
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_C, REPO
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runtime_loader.loader import MANIFEST_HEADER

RUNTIME = REPO / "runtime_loader"
PAYLOAD = "linux_x86_64/x._core.abi3.so"
STUB = "from {loader} import load_extension as _load_extension\n_load_extension(__name__)\n"
_names = itertools.count()
ENV_KEYS = ("FATPACK_DEBUG", "FATPACK_VERIFY", "FATPACK_CACHE_DIR", "XDG_CACHE_HOME")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64", reason="x86_64 Linux"
)


@pytest.fixture(scope="session")
def real_payload(tmp_path_factory) -> bytes:
    """A real extension module `_core` for this interpreter, built with the host's cc."""
    work = tmp_path_factory.mktemp("payload")
    (work / "core.c").write_text(MINIMAL_C % {"base": "_core"})
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["cc", "-shared", "-fPIC", f"-I{include}", "-o", work / "core.so", work / "core.c"], check=True
    )
    return (work / "core.so").read_bytes()


def row(file: str = PAYLOAD, sha: str = "0" * 64, python: str = "3.8", requires: str = "glibc 2.17") -> str:
    return "\t".join(("{pkg}._core", "linux_x86_64", "abi3", python, requires, file, sha))


def write_package(
    where: Path, manifest: bytes | None, files: dict[str, bytes], zipped: bool
) -> tuple[str, str]:
    """Package `fpN` with the stub `fpN._core` and the loader package `fpN._fatpack` holding `manifest`
    and `files`; (sys.path entry, package name). `{pkg}` in the manifest becomes the package name."""
    name = f"fp{next(_names)}"
    members = {
        f"{name}/__init__.py": b"",
        f"{name}/_core.py": STUB.format(loader=f"{name}._fatpack").encode(),
        f"{name}/_fatpack/__init__.py": (RUNTIME / "loader.py").read_bytes(),
        f"{name}/_fatpack/zipcache.py": (RUNTIME / "zipcache.py").read_bytes(),
    }
    if manifest is not None:
        members[f"{name}/_fatpack/manifest.tsv"] = manifest.replace(b"{pkg}", name.encode())
    members.update({f"{name}/_fatpack/{k}": v for k, v in files.items()})
    if zipped:
        entry = where / f"{name}.zip"
        with zipfile.ZipFile(entry, "w") as zf:
            for member, data in members.items():
                zf.writestr(member, data)
        return str(entry), name
    for member, data in members.items():
        (where / member).parent.mkdir(parents=True, exist_ok=True)
        (where / member).write_bytes(data)
    return str(where), name


def import_core(entry: str, name: str, env: dict[str, str]) -> BaseException | None:
    """Import `name._core` with `entry` first on sys.path and `env` as the FATPACK_* variables."""
    saved = {k: os.environ.pop(k, None) for k in ENV_KEYS}
    os.environ.update(env)
    sys.path.insert(0, entry)
    try:
        importlib.import_module(f"{name}._core")
    except BaseException as exc:  # the point is to see what escapes
        return exc
    finally:
        sys.path.remove(entry)
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value
    return None


def failure(tmp_path: Path, manifest: bytes | None, files=None, zipped=False, env=None) -> str:
    entry, name = write_package(tmp_path, manifest, files or {}, zipped)
    exc = import_core(entry, name, {"FATPACK_CACHE_DIR": str(tmp_path / "cache"), **(env or {})})
    assert isinstance(exc, ImportError), repr(exc)
    return str(exc).replace(name, "{pkg}").replace(str(tmp_path), "{tmp}")


def manifest(*rows: str) -> bytes:
    return "\n".join([MANIFEST_HEADER, *rows, ""]).encode()


@pytest.mark.parametrize("zipped", [False, True])
def test_manifest_missing_a_column(tmp_path, zipped):
    text = manifest(row().rsplit("\t", 1)[0])
    assert failure(tmp_path, text, zipped=zipped) == (
        "fatpack: manifest.tsv line 2 has 6 of the 7 columns; the package is damaged, reinstall it"
    )


@pytest.mark.parametrize("python", ["3.x", "3", "", "three"])
def test_bad_version_field(tmp_path, python):
    assert failure(tmp_path, manifest(row(python=python))) == (
        f"fatpack: manifest.tsv line 2: {python!r} is not a version; the package is damaged, reinstall it"
    )


def test_bad_floor_field(tmp_path):
    assert failure(tmp_path, manifest(row(requires="glibc two"))) == (
        "fatpack: manifest.tsv line 2: 'two' is not a version; the package is damaged, reinstall it"
    )


@pytest.mark.parametrize("zipped", [False, True])
def test_manifest_not_utf8(tmp_path, zipped):
    message = failure(tmp_path, manifest(row()) + b"\xff\xfe", zipped=zipped)
    assert message.startswith("fatpack: manifest.tsv in {tmp}/")
    assert message.endswith("/{pkg}/_fatpack is not UTF-8 text; reinstall the package")


def test_manifest_missing(tmp_path):
    assert failure(tmp_path, None) == (
        "fatpack: cannot read manifest.tsv in {tmp}/{pkg}/_fatpack: No such file or directory; "
        "the package is incomplete, reinstall it"
    )


def test_manifest_missing_from_a_zip(tmp_path):
    assert failure(tmp_path, None, zipped=True) == (
        "fatpack: cannot read manifest.tsv in {tmp}/{pkg}.zip/{pkg}/_fatpack: not in the archive; "
        "the package is incomplete, reinstall it"
    )


def test_payload_missing_from_a_zip(tmp_path):
    assert failure(tmp_path, manifest(row()), zipped=True) == (
        f"fatpack: cannot read {PAYLOAD} in {{tmp}}/{{pkg}}.zip/{{pkg}}/_fatpack: not in the archive; "
        "the package is incomplete, reinstall it"
    )


def test_dangling_cache_dir(tmp_path):
    (tmp_path / "cache").symlink_to(tmp_path / "nowhere")
    assert failure(tmp_path, manifest(row()), {PAYLOAD: b"x"}, zipped=True) == (
        "fatpack: cannot use cache directory {tmp}/cache: No such file or directory; "
        "set FATPACK_CACHE_DIR to a directory of your own"
    )


def test_cache_entry_that_is_a_file(tmp_path, real_payload):
    sha = hashlib.sha256(real_payload).hexdigest()
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / sha).write_bytes(b"in the way")
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True) == (
        f"fatpack: refusing cache directory {{tmp}}/cache: {{tmp}}/cache/{sha} is not a private directory "
        "of yours; remove it or set FATPACK_CACHE_DIR to a directory of your own"
    )


def test_cache_file_that_is_a_directory(tmp_path, real_payload):
    sha = hashlib.sha256(real_payload).hexdigest()
    (tmp_path / "cache" / sha / PAYLOAD).mkdir(mode=0o700, parents=True)
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True) == (
        f"fatpack: cannot write to the cache at {{tmp}}/cache/{sha}/{PAYLOAD}: Is a directory; "
        "set FATPACK_CACHE_DIR to a directory of your own"
    )


@pytest.mark.parametrize(
    "path", ["../../evil/x._core.abi3.so", "/tmp/x._core.abi3.so", "linux_x86_64/../../x.so"]
)
def test_zip_manifest_path_leaving_the_package(tmp_path, path):
    assert failure(tmp_path, manifest(row(file=path)), zipped=True) == (
        f"fatpack: manifest path {path!r} leaves the package; refused"
    )


@pytest.mark.parametrize("sha", ["../../outside", "{tmp}/outside", "A" * 64])
def test_zip_manifest_sha256_that_is_not_one(tmp_path, sha):
    """The payload's sha256 names its cache directory: a bad one must not create directories elsewhere."""
    sha = sha.replace("{tmp}", str(tmp_path))
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: b"x"}, zipped=True) == (
        f"fatpack: manifest sha256 {sha!r} of {PAYLOAD} is not a sha256; the package is damaged, reinstall it"
    ).replace(str(tmp_path), "{tmp}")
    assert not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()


def test_payload_hash_mismatch_in_the_zip(tmp_path):
    assert failure(tmp_path, manifest(row()), {PAYLOAD: b"not the payload"}, zipped=True) == (
        f"fatpack: {PAYLOAD} in the archive does not match its sha256 in the manifest"
    )


@pytest.mark.root
def test_other_cache_dir_owner_in_the_path(tmp_path, real_payload):
    if os.geteuid() != 0:
        pytest.skip("needs root to chown")
    (tmp_path / "theirs").mkdir(mode=0o755)
    os.chown(tmp_path / "theirs", 65534, 65534)
    env = {"FATPACK_CACHE_DIR": str(tmp_path / "theirs" / "cache")}
    sha = hashlib.sha256(real_payload).hexdigest()
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env) == (
        "fatpack: refusing cache directory {tmp}/theirs/cache: {tmp}/theirs is owned by uid 65534, "
        "neither you (uid 0) nor root; set FATPACK_CACHE_DIR to a directory of your own"
    )


def test_group_writable_parent_without_sticky_bit(tmp_path, real_payload):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared").chmod(0o777)
    env = {"FATPACK_CACHE_DIR": str(tmp_path / "shared" / "cache")}
    sha = hashlib.sha256(real_payload).hexdigest()
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env) == (
        "fatpack: refusing cache directory {tmp}/shared/cache: {tmp}/shared is writable by others "
        "(mode 777) and not sticky; set FATPACK_CACHE_DIR to a directory of your own"
    )


def grant_write_through_acl(directory: Path, uid: int) -> None:
    """A POSIX ACL (system.posix_acl_access, format version 2) giving user `uid` rwx on `directory`:
    its mode then shows the ACL's mask, rwx, as the group bits."""
    entries = [(0x01, 7, -1), (0x02, 7, uid), (0x04, 0, -1), (0x10, 7, -1), (0x20, 0, -1)]
    acl = struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", tag, perm, i & 0xFFFFFFFF) for tag, perm, i in entries
    )
    os.setxattr(directory, "system.posix_acl_access", acl)


def test_parent_another_user_can_write_through_an_acl(tmp_path, real_payload):
    """Your own directory with your own group, where the group bits are an ACL's mask: user 65534 may
    rename the cache in it between the check and dlopen (the two-user test shows the loads)."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    os.chown(shared, -1, os.getegid())
    try:
        grant_write_through_acl(shared, 65534)
    except OSError:
        pytest.skip("no POSIX ACLs on this filesystem")
    assert shared.stat().st_mode & 0o777 == 0o770
    env = {"FATPACK_CACHE_DIR": str(shared / "cache")}
    sha = hashlib.sha256(real_payload).hexdigest()
    assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env) == (
        "fatpack: refusing cache directory {tmp}/shared/cache: {tmp}/shared is writable by others "
        "(mode 770) and not sticky; set FATPACK_CACHE_DIR to a directory of your own"
    )


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as another user")
def test_parent_writable_by_a_shared_primary_group(real_payload):
    """A user whose primary group is shared (`users`, as on SUSE) makes a directory of theirs
    group-writable: everyone in `users` can write there, so it is no safer than a world-writable one."""
    users = 100
    with tempfile.TemporaryDirectory() as temporary:
        where = Path(temporary)
        where.chmod(0o755)
        entry, name = write_package(
            where,
            manifest(row(sha=hashlib.sha256(real_payload).hexdigest())),
            {PAYLOAD: real_payload},
            zipped=True,
        )
        shared = where / "shared"
        shared.mkdir()
        os.chown(shared, 65534, users)
        shared.chmod(0o770)
        code = f"import sys; sys.path.insert(0, {entry!r}); import {name}._core"
        victim = [
            "setpriv",
            "--reuid=65534",
            f"--regid={users}",
            "--clear-groups",
            "/usr/bin/python3",
            "-I",
            "-c",
            code,
        ]
        env = {"PATH": "/usr/bin:/bin", "FATPACK_CACHE_DIR": str(shared / "cache")}
        result = subprocess.run(victim, capture_output=True, text=True, env=env, cwd="/")
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.splitlines()[-1] == (
            f"ImportError: fatpack: refusing cache directory {shared}/cache: {shared} is writable by "
            "others (mode 770) and not sticky; set FATPACK_CACHE_DIR to a directory of your own"
        )


@contextlib.contextmanager
def tmpfs(mount: Path, options: str, size: str = "4m") -> Iterator[Path]:
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{options},size={size},mode=700", "tmpfs", mount], check=True
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", mount], check=True)  # even if a failed load keeps it busy


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a filesystem")
def test_noexec_cache_is_refused(tmp_path, real_payload):
    sha = hashlib.sha256(real_payload).hexdigest()
    with tmpfs(tmp_path / "noexec", "noexec") as mount:
        env = {"FATPACK_CACHE_DIR": str(mount / "cache")}
        assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env) == (
            "fatpack: cache directory {tmp}/noexec/cache is on a filesystem mounted noexec: a native "
            "payload extracted there cannot be loaded; set FATPACK_CACHE_DIR to a directory on another "
            "filesystem"
        )


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a filesystem")
def test_unwritable_cache_entry(tmp_path, real_payload):
    """A damaged cached copy that cannot be replaced (root writes anywhere but on a read-only mount)."""
    sha = hashlib.sha256(real_payload).hexdigest()
    with tmpfs(tmp_path / "readonly", "rw") as mount:
        for place in (mount / sha, mount / sha / "linux_x86_64"):  # the old and the new layout
            place.mkdir(mode=0o700, parents=True)
            (place / "x._core.abi3.so").write_bytes(b"damaged")
        subprocess.run(["mount", "-o", "remount,ro", mount], check=True)
        env = {"FATPACK_CACHE_DIR": str(mount)}
        assert failure(tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env) == (
            f"fatpack: cannot write to the cache at {{tmp}}/readonly/{sha}/{PAYLOAD}: Read-only file system; "
            "set FATPACK_CACHE_DIR to a directory of your own"
        )


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a filesystem")
def test_full_cache_filesystem_leaves_no_half_written_file(tmp_path, real_payload):
    """One page of space, a payload larger than that: each failed import used to leave its partly
    written temporary file behind, keeping the space taken after the failure."""
    assert len(real_payload) > 4096
    sha = hashlib.sha256(real_payload).hexdigest()
    with tmpfs(tmp_path / "full", "rw", size="4k") as mount:
        env = {"FATPACK_CACHE_DIR": str(mount / "cache")}
        for _ in range(2):
            assert failure(
                tmp_path, manifest(row(sha=sha)), {PAYLOAD: real_payload}, zipped=True, env=env
            ) == (
                f"fatpack: cannot write to the cache at {{tmp}}/full/cache/{sha}/{PAYLOAD}: No space left on "
                "device; set FATPACK_CACHE_DIR to a directory of your own"
            )
        assert [p for p in mount.rglob("*") if not p.is_dir()] == []


# -- the property: random manifests, cache states and environments end in success or ImportError --

fields = st.one_of(
    st.sampled_from(["{pkg}._core", "linux_x86_64", "abi3", "cp311", "library", "3.8", "3.11", "glibc 2.17"]),
    st.sampled_from(
        ["macos 11.0", "glibc", "", "3", "x.y", PAYLOAD, "../x", "/abs", "a\\b", "c:d", "0" * 64]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), max_size=8),
)
rows = st.lists(fields, min_size=0, max_size=9).map("\t".join)
manifests = st.one_of(
    st.none(),
    st.binary(max_size=60),
    st.lists(rows, max_size=4).map(lambda r: "\n".join([MANIFEST_HEADER, *r]).encode()),
    st.sampled_from(["good", "good-lib"]),  # placeholders: a manifest naming the real payload
)
cache_states = st.sampled_from(
    ["missing", "dir", "dir-777", "file", "dangling-link", "link-to-dir", "entry-is-file", "payload-is-dir"]
)
flags = st.one_of(st.none(), st.sampled_from(["1", "0", "", "yes", "\u00e9"]))
cache_values = st.sampled_from(["cache", "", "relative-cache", "cache/deeper/still", "/proc/self/cache"])


@given(
    text=manifests,
    zipped=st.booleans(),
    with_payload=st.booleans(),
    cache_state=cache_states,
    cache_value=cache_values,
    debug=flags,
    verify=flags,
)
@settings(
    max_examples=int(os.environ.get("FATPACK_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_only_success_or_import_error(
    real_payload, text, zipped, with_payload, cache_state, cache_value, debug, verify
):
    sha = hashlib.sha256(real_payload).hexdigest()
    if text in ("good", "good-lib"):
        extra = [row(file="linux_x86_64/libs/libx.so", sha=sha).replace("{pkg}._core", "lib:x")]
        text = manifest(row(sha=sha), *(extra if text == "good-lib" else []))
    with tempfile.TemporaryDirectory() as work:
        where = Path(work)
        files = {PAYLOAD: real_payload, "linux_x86_64/libs/libx.so": real_payload} if with_payload else {}
        entry, name = write_package(where, text, files, zipped)
        cache = where / "cache"
        if cache_state.startswith("dir") or cache_state in ("entry-is-file", "payload-is-dir"):
            cache.mkdir(mode=0o777 if cache_state == "dir-777" else 0o700)
            cache.chmod(0o777 if cache_state == "dir-777" else 0o700)
        elif cache_state == "file":
            cache.write_bytes(b"")
        elif cache_state == "dangling-link":
            cache.symlink_to(where / "nowhere")
        elif cache_state == "link-to-dir":
            (where / "real-cache").mkdir(mode=0o700)
            cache.symlink_to(where / "real-cache")
        if cache_state == "entry-is-file":
            (cache / sha).write_bytes(b"")
        elif cache_state == "payload-is-dir":
            (cache / sha / PAYLOAD).mkdir(parents=True)
        env = {"XDG_CACHE_HOME": str(where / "xdg")}
        if cache_value:
            env["FATPACK_CACHE_DIR"] = str(where / cache_value) if cache_value[0] != "/" else cache_value
        for key, value in (("FATPACK_DEBUG", debug), ("FATPACK_VERIFY", verify)):
            if value is not None:
                env[key] = value
        exc = import_core(entry, name, env)
        event("imported" if exc is None else "ImportError")  # --hypothesis-show-statistics
        assert exc is None or isinstance(exc, ImportError), repr(exc)
