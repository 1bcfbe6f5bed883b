"""fatpack runtime loader, zip part: payloads of a package imported from inside a zip (an egg, a zipapp,
any zip on sys.path) are extracted to a private per-user cache, since a binary cannot be loaded from a zip.

The cache (FATPACK_CACHE_DIR overrides where) holds each payload in a directory named by its sha256,
written under a temporary name, fsynced and renamed; a cached copy is used again only while its hash
matches. A cache directory owned by someone else or writable by others is refused.
Vendored beside the loader as `<package>/_fatpack/zipcache.py`; standard library only.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable


def cache_root() -> str:
    """FATPACK_CACHE_DIR, else the platform's per-user cache directory + 'fatpack'."""
    override = os.environ.get("FATPACK_CACHE_DIR")
    if override:
        return os.path.abspath(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
        return os.path.join(base, "fatpack", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/fatpack")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "fatpack")


def private_directory(path: str) -> str:
    """Create `path` (mode 0700) if missing; refuse one that others own or can write (POSIX)."""
    try:
        os.makedirs(path, mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ImportError(f"fatpack: cannot create cache directory {path}: {exc.strerror}") from None
    if os.name == "posix":
        st = os.stat(path)
        if st.st_uid != os.getuid():
            raise ImportError(
                f"fatpack: refusing cache directory {path}: owned by uid {st.st_uid}, not by you "
                f"(uid {os.getuid()}); set FATPACK_CACHE_DIR to a directory of your own"
            )
        if st.st_mode & 0o022:
            raise ImportError(
                f"fatpack: refusing cache directory {path}: writable by others "
                f"(mode {st.st_mode & 0o777:o}); "
                "chmod go-w it or set FATPACK_CACHE_DIR"
            )
    return path


def _sha256(data: bytes) -> str:
    """sha256 from CPython's builtin module: hashlib would load OpenSSL (several ms) for the same result."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # CPython 3.8-3.11
        except ImportError:  # pragma: no cover - builds without the builtin module
            from hashlib import sha256
    return sha256(data).hexdigest()  # type: ignore[no-any-return]


def _file_sha256(path: str) -> "str | None":
    try:
        with open(path, "rb") as f:
            return _sha256(f.read())
    except OSError:
        return None


def extract(
    relative: str,
    sha256: str,
    read_packaged: "Callable[[str], bytes]",
    debug: "Callable[[str], None] | None",
    libraries: "list[tuple[str, str]] | None" = None,
) -> str:
    """The payload as a real file in <cache>/<its sha256>/, with the bundled libraries it may link,
    `libraries` as (file, sha256), in libs/ beside it: where RUNPATH $ORIGIN/libs and the loader's DLL
    directory look. Cached copies are used while their hashes match; others are extracted afresh."""
    directory = private_directory(os.path.join(private_directory(cache_root()), sha256))
    if libraries:
        libs = private_directory(os.path.join(directory, "libs"))
        for library, library_sha256 in libraries:
            _materialize(
                library, library_sha256, os.path.join(libs, library.rsplit("/", 1)[-1]), read_packaged, debug
            )
    final = os.path.join(directory, relative.rsplit("/", 1)[-1])
    _materialize(relative, sha256, final, read_packaged, debug)
    return final


def _materialize(
    relative: str,
    sha256: str,
    final: str,
    read_packaged: "Callable[[str], bytes]",
    debug: "Callable[[str], None] | None",
) -> None:
    if _file_sha256(final) == sha256:
        if debug:
            debug(f"using cached {final}")
        return
    data = read_packaged(relative)
    if _sha256(data) != sha256:
        raise ImportError(f"fatpack: {relative} in the archive does not match its sha256 in the manifest")
    temporary = f"{final}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.replace(temporary, final)  # atomic: a reader sees no file or the whole file
    except OSError:  # Windows: another process has `final` loaded; it is complete if its hash matches
        os.unlink(temporary)
        if _file_sha256(final) != sha256:
            raise
    if _file_sha256(final) != sha256:
        raise ImportError(f"fatpack: extracted {final} does not match its sha256; the cache is unreliable")
    if debug:
        debug(f"extracted {relative} to {final}")
