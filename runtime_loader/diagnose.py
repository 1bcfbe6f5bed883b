"""fatpack runtime loader, diagnosis: what FATPACK_DEBUG=1 shows, for every module of the package,
without loading any payload. Vendored beside the loader as `<package>/_fatpack/diagnose.py` and run
through the loader file itself: `python <package>/_fatpack/__init__.py` (the command every "no payload"
ImportError names). Standard library only."""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Callable


def diagnose(loader: "ModuleType", write: "Callable[[str], object]" = print) -> int:
    """This interpreter's platform, floors and ABI, what would load and why the others do not fit;
    0 when every module has a payload, else 1. `loader`: the loader module (run as __main__)."""
    host = loader.detect_host()
    dotted = loader._dotted
    floors = ", ".join(f"{loader._FLOOR_NAMES.get(k, k)} {dotted(v)}" for k, v in host.floors.items())
    write(f"fatpack loader in {loader._HERE}")
    write(f"interpreter: {sys.executable} ({sys.implementation.name} {dotted(sys.version_info[:3])})")
    write(
        f"host: {host.key}; targets: {', '.join(host.targets) or 'none'}; floors: {floors or 'none'}; "
        f"ABI flags: {host.abiflags or 'none'}; extension suffixes: {' '.join(loader.extension_suffixes())}"
    )
    try:
        entries = loader._manifest()
    except ImportError as exc:
        write(str(exc))
        return 1
    status = 0
    for module in sorted({e.module for e in entries if e.abi != "library"}):
        best, rejected = loader.select_payload(entries, module, host)
        write(f"{module}: " + (f"loads {best.label} ({best.file})" if best else "no payload fits"))
        status |= best is None
        for entry, reason in sorted(rejected, key=lambda pair: pair[0].label):
            write(f"  not {entry.label}: {reason}")
    for library in sorted((e for e in entries if e.abi == "library"), key=lambda e: e.file):
        write(f"bundled library for {library.target}: {library.file}")
    return status
