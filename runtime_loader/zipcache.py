"""fatpack runtime loader, zip part: payloads of a package imported from inside a zip (an egg, a zipapp,
any zip on sys.path) are extracted to a private per-user cache, since a binary cannot be loaded from a zip.

The cache (FATPACK_CACHE_DIR overrides where) holds each payload in a directory named by its sha256,
with the payload and the bundled libraries of its target at their paths inside the package, so relative
RUNPATHs ($ORIGIN/libs, auditwheel's $ORIGIN/../pkg.libs) resolve as they do once installed. Files are
written under a temporary name, fsynced and renamed; a cached copy is used again only while its hash
matches, hashed from a descriptor opened without following symbolic links.

Safety against other local users (POSIX): the binary that is loaded must be the file that was checked.
The cache directory's real path is used, and every directory on it, from / down, must be owned by root
or by you and not writable by others (a sticky directory such as /tmp is allowed: its entries on the
path must then be root's or yours; a group-writable one of yours only when the group is your private
group and no ACL is set, since with an ACL the group bits may let a named user write); a symbolic
link in the configured path owned by someone else is refused. No other user can then change any
component between the check and dlopen, and $ORIGIN keeps working (loading through /proc/self/fd would
break it). A cache on a filesystem mounted noexec is refused.
Vendored beside the loader as `<package>/_fatpack/zipcache.py`; standard library only.
"""

import errno
import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_HINT = "set FATPACK_CACHE_DIR to a directory of your own"


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


def _refuse(root: str, why: str) -> ImportError:
    return ImportError(f"fatpack: refusing cache directory {root}: {why}")


def _makedirs(path: str, root: str) -> None:
    """`path` and its missing parents, each made with mode 0700: os.makedirs gives parents the umask's
    mode, 0777 under umask 000 (a world-writable ~/.cache, which the check then refuses for good)."""
    try:
        try:
            os.mkdir(path, 0o700)
        except FileNotFoundError:
            parent = os.path.dirname(path)
            if parent == path:
                raise
            _makedirs(parent, root)
            os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ImportError(f"fatpack: cannot create cache directory {root}: {exc.strerror}; {_HINT}") from None


def cache_directory() -> str:
    """The cache root, created if missing, as a real path no other user can change (POSIX)."""
    root = cache_root()
    if os.name != "posix":
        _makedirs(root, root)
        return root
    euid = os.geteuid()
    path = "/"
    for name in root.split("/"):  # a link someone else owns in the path as configured: refused outright
        path = os.path.join(path, name)
        try:
            st = os.lstat(path)
        except OSError:
            break
        if stat.S_ISLNK(st.st_mode) and st.st_uid not in (0, euid):
            raise _refuse(root, f"{path} is a symbolic link owned by uid {st.st_uid}; {_HINT}")
    _makedirs(root, root)
    try:
        real = os.path.realpath(root)  # OSError if a link vanishes while it is read
        _check_chain(real, root, euid)
        noexec = hasattr(os, "statvfs") and os.statvfs(real).f_flag & getattr(os, "ST_NOEXEC", 0)
    except OSError as exc:
        raise ImportError(f"fatpack: cannot use cache directory {root}: {exc.strerror}; {_HINT}") from None
    if noexec:
        raise ImportError(
            f"fatpack: cache directory {root} is on a filesystem mounted noexec: a native payload "
            "extracted there cannot be loaded; set FATPACK_CACHE_DIR to a directory on another filesystem"
        )
    return real


def _check_chain(real: str, root: str, euid: int) -> None:
    """Every directory from / to `real` is root's or yours, and none but a sticky one writable by others."""
    parts = [part for part in real.split("/") if part]
    path = "/"
    for depth in range(len(parts) + 1):
        if depth:
            path = os.path.join(path, parts[depth - 1])
        st = os.lstat(path)
        last = depth == len(parts)
        if not stat.S_ISDIR(st.st_mode):
            raise _refuse(root, f"{path} changed while it was checked (now not a directory); {_HINT}")
        if last and st.st_uid != euid:
            raise _refuse(root, f"owned by uid {st.st_uid}, not by you (uid {euid}); {_HINT}")
        if st.st_uid not in (0, euid):
            raise _refuse(
                root, f"{path} is owned by uid {st.st_uid}, neither you (uid {euid}) nor root; {_HINT}"
            )
        yours_alone = st.st_mode & 0o020 and st.st_uid == euid and st.st_gid == os.getegid()
        others = st.st_mode & (0o002 if yours_alone and _private_group(path, st.st_gid, euid) else 0o022)
        if last and st.st_mode & 0o022:
            raise _refuse(
                root,
                f"writable by others (mode {st.st_mode & 0o777:o}); chmod go-w it or set FATPACK_CACHE_DIR",
            )
        if others and not st.st_mode & stat.S_ISVTX:
            raise _refuse(
                root, f"{path} is writable by others (mode {st.st_mode & 0o777:o}) and not sticky; {_HINT}"
            )


def _private_group(path: str, gid: int, euid: int) -> bool:
    """Whether write access for the group `gid` of your directory `path` gives it to you alone: the group
    is your private group (named after you, no other member listed) and no ACL is set (with one, the
    group bits are the ACL's mask, and a named user or group may be the one who can write)."""
    try:
        os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
        return False
    except AttributeError:  # no extended attributes in this os module (not Linux)
        pass
    except OSError as exc:  # ENODATA: no ACL; EOPNOTSUPP: a filesystem without them
        if exc.errno not in (getattr(errno, "ENODATA", -1), errno.EOPNOTSUPP):
            return False
    import grp  # only here: a group-writable directory of yours on the path is rare
    import pwd

    try:
        group, user = grp.getgrgid(gid), pwd.getpwuid(euid).pw_name
    except KeyError:
        return False
    return group.gr_name == user and set(group.gr_mem) <= {user}


def _private_subdirectory(path: str, root: str) -> None:
    """A directory inside the checked cache root: created 0700, and it must be a directory of yours."""
    try:  # noqa: SIM105 - contextlib is one more import on this path
        os.mkdir(path, 0o700)
    except FileExistsError:  # made by an earlier or a concurrent import; checked below
        pass
    if os.name == "posix":
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise _refuse(root, f"{path} is not a private directory of yours; remove it or {_HINT}")


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
    """The hash of the regular file of yours, writable by you alone, at `path`, read through a descriptor
    that followed no link (a file others may write could change between this check and dlopen)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (
        os.name == "posix" and (st.st_uid != os.geteuid() or st.st_mode & 0o022)
    ):
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        return _sha256(f.read())


def extract(
    files: "list[tuple[str, str]]",
    read_packaged: "Callable[[str], bytes]",
    debug: "Callable[[str], None] | None",
) -> "list[str]":
    """`files`, (path inside the package, sha256) with the payload first and then the bundled libraries
    of its target, as real files in <cache>/<payload sha256>/<path>; their paths, in the same order.
    Cached copies are used while their hashes match; others are extracted afresh."""
    name = files[0][1]  # a directory name: '../x' or '/x' would put it outside the cache
    if len(name) != 64 or name.strip("0123456789abcdef"):
        raise ImportError(
            f"fatpack: manifest sha256 {name!r} of {files[0][0]} is not a sha256; the package is damaged, "
            "reinstall it"
        )
    root = cache_root()
    try:
        directory = os.path.join(cache_directory(), files[0][1])
        _private_subdirectory(directory, root)
        paths = []
        for relative, sha256 in files:
            parts = relative.split("/")
            for depth in range(1, len(parts)):
                _private_subdirectory(os.path.join(directory, *parts[:depth]), root)
            final = os.path.join(directory, *parts)
            _materialize(relative, sha256, final, read_packaged, debug)
            paths.append(final)
        return paths
    except OSError as exc:
        where = exc.filename2 or exc.filename if isinstance(exc.filename, str) else root
        raise ImportError(f"fatpack: cannot write to the cache at {where}: {exc.strerror}; {_HINT}") from None


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
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o700)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        try:  # noqa: SIM105 - a half-written copy (a full disk) must not stay and keep the space
            os.unlink(temporary)
        except OSError:
            pass
        raise ImportError(f"fatpack: cannot write to the cache at {final}: {exc.strerror}; {_HINT}") from None
    try:
        os.replace(temporary, final)  # atomic: a reader sees no file or the whole file
    except OSError as exc:  # Windows: another process has `final` loaded; it is complete if its hash matches
        os.unlink(temporary)
        if _file_sha256(final) != sha256:
            raise ImportError(
                f"fatpack: cannot write to the cache at {final}: {exc.strerror}; {_HINT}"
            ) from None
    if _file_sha256(final) != sha256:
        raise ImportError(f"fatpack: extracted {final} does not match its sha256; the cache is unreliable")
    if debug:
        debug(f"extracted {relative} to {final}")
