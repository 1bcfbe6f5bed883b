#!/usr/bin/env python3
"""fatpack benchmarks: ratios measured side by side in one run (the machines are shared and noisy).

    python bench/run.py [--quick] [--json FILE] [--report FILE.md] [--plot FILE.png]

Keys written to the JSON file (floats):
  import_ratio, import_added_ms   fresh-process `import midsize._core`: fat wheel / plain setuptools wheel
                                  (both compiled by the host's gcc), medians of interleaved runs
  parallel_ratio                  4 targets built -j 4 / built -j 1 (zig's C runtimes warm, payload cache
                                  off, sources changed before each build so zig's object cache misses)
  noop_rebuild_s                  a second `fatpack assemble` with nothing changed (wall seconds, median)
  size_ratio                      fat wheel's Linux payload (zig) / setuptools + gcc build, stripped
  fat_vs_thin_ratio               fat wheel bytes / the sum of one wheel per target
  verify_import_ratio             the same fat import with FATPACK_VERIFY=1 (sha256 of the payload) / without;
                                  informational, no goal: it is why FATPACK_VERIFY is off by default
  matrix_ratio                    version-specific cp310..cp315 x linux_x86_64 + win_amd64 built in one run /
                                  the sum of one run per version (each run with its own empty build cache,
                                  sources changed before each); only the versions fatpack finds headers
                                  for here, named in the report
Needs: the README's setup (fatpack installed), network access to PyPI for setuptools' isolated build;
matplotlib only for --plot.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIDSIZE = REPO / "bench" / "midsize"
HELLO = REPO / "examples" / "hello"
FOUR_TARGETS = ("linux_x86_64", "linux_aarch64", "win_amd64", "macosx_arm64")
GOALS = {
    "import_ratio": ("<=", 1.10),
    "import_added_ms": ("<", 0.5),
    "parallel_ratio": ("<=", 0.6),
    "noop_rebuild_s": ("<=", 0.5),
    "size_ratio": ("<=", 1.5),
    "fat_vs_thin_ratio": ("<=", 1.0),
    "matrix_ratio": ("<=", 0.5),
}
MATRIX_MINORS = range(10, 16)  # cp310 ... cp315
MATRIX_TARGETS = ("linux_x86_64", "win_amd64")
IMPORT_PROBE = "import time; t = time.perf_counter(); import midsize._core; print(time.perf_counter() - t)"


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, command))} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def fatpack(*args: str | Path, cache: Path | None = None) -> str:
    env = {**os.environ, "FATPACK_BUILD_CACHE": str(cache)} if cache else None
    return run(sys.executable, "-m", "fatpack", *args, env=env).strip().splitlines()[-1]


def copy_project(source: Path, work: Path) -> Path:
    dest = work / source.name
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__"))
    return dest


def venv_with(wheel: Path, where: Path) -> Path:
    run(sys.executable, "-m", "venv", where)
    python = where / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel)
    return python


def plain_wheel(project: Path, out: Path) -> Path:
    """The same extension as one platform wheel, built by setuptools with the host compiler."""
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, project)
    return next(out.glob("midsize-*.whl"))


def bench_import(work: Path, project: Path, runs: int) -> dict:
    fat = Path(
        fatpack(
            "assemble",
            project,
            "--target",
            "linux_x86_64",
            "--builder",
            "native",
            "--no-cache",
            "-o",
            work / "fat-native",
        )
    )
    plain = plain_wheel(project, work / "plain")
    fat_python, plain_python = venv_with(fat, work / "venv-fat"), venv_with(plain, work / "venv-plain")
    fat_ms, plain_ms, verify_ms = [], [], []
    verify_env = {**os.environ, "FATPACK_VERIFY": "1"}
    for _ in range(runs):  # interleaved, so drift in machine load affects all alike
        fat_ms.append(float(run(fat_python, "-c", IMPORT_PROBE, cwd=work)) * 1000)
        plain_ms.append(float(run(plain_python, "-c", IMPORT_PROBE, cwd=work)) * 1000)
        verify_ms.append(float(run(fat_python, "-c", IMPORT_PROBE, cwd=work, env=verify_env)) * 1000)
    fat_median, plain_median = statistics.median(fat_ms), statistics.median(plain_ms)
    return {
        "import_ratio": fat_median / plain_median,
        "import_added_ms": fat_median - plain_median,
        "verify_import_ratio": statistics.median(verify_ms) / fat_median,
        "_import_verify_ms": verify_ms,
        "_import_fat_ms": fat_ms,
        "_import_plain_ms": plain_ms,
        "_plain_wheel": plain,
    }


def timed(*args: str | Path, cache: Path | None = None) -> float:
    started = time.perf_counter()
    fatpack(*args, cache=cache)
    return time.perf_counter() - started


def stamp_sources(project: Path, stamp: str) -> None:
    """Change every C source, so zig's own object cache cannot serve the build: a real compile."""
    for source in (project / "src" / "midsize" / "native").glob("*.c"):
        text = source.read_text().split("\n/* bench stamp")[0]
        source.write_text(f"{text}\n/* bench stamp {stamp} */\n")


def bench_parallel(work: Path, project: Path, reps: int) -> dict:
    targets = [f"--target={t}" for t in FOUR_TARGETS]
    fatpack("build", project, *targets, "--no-cache", "-o", work / "warm")  # zig's C runtimes warm
    serial, parallel = [], []
    for i in range(reps):
        stamp_sources(project, f"serial {i}")
        serial.append(timed("build", project, *targets, "--no-cache", "-j", "1", "-o", work / f"serial{i}"))
        stamp_sources(project, f"parallel {i}")
        parallel.append(
            timed("build", project, *targets, "--no-cache", "-j", "4", "-o", work / f"parallel{i}")
        )
    stamp_sources(project, "done")
    return {
        "parallel_ratio": statistics.median(parallel) / statistics.median(serial),
        "_serial_s": statistics.median(serial),
        "_parallel_s": statistics.median(parallel),
    }


def bench_noop(work: Path, project: Path, reps: int) -> dict:
    cache = work / "payload-cache"
    fatpack("assemble", project, "-o", work / "noop", cache=cache)
    seconds = [timed("assemble", project, "-o", work / "noop", cache=cache) for _ in range(reps)]
    return {"noop_rebuild_s": statistics.median(seconds)}


def matrix_versions() -> list[str]:
    """The cp310..cp315 whose headers fatpack finds on this machine (as a build would look for them)."""
    from fatpack.errors import FatpackError
    from fatpack.interpreters import find_interpreter

    found = []
    for minor in MATRIX_MINORS:
        try:
            find_interpreter(minor)
        except FatpackError:
            continue
        found.append(f"cp3{minor}")
    return found


def bench_matrix(work: Path, project: Path, reps: int) -> dict:
    """Each build with its own empty payload cache: reuse inside one run counts, reuse across runs not."""
    versions = matrix_versions()
    if len(versions) < 2:
        return {"_matrix_versions": versions}
    targets = [f"--target={t}" for t in MATRIX_TARGETS]
    every = [f"--python={v}" for v in versions]
    fatpack("build", project, *targets, *every, "--no-cache", "-o", work / "matrix-warm")
    together, apart = [], []
    for i in range(reps):
        stamp_sources(project, f"matrix {i}")
        out, cache = work / f"matrix{i}", work / f"matrix-cache{i}"
        together.append(timed("build", project, *targets, *every, "-o", out, cache=cache))
        singles = 0.0
        for version in versions:
            stamp_sources(project, f"single {version} {i}")
            out, cache = work / f"single-{version}-{i}", work / f"single-cache-{version}-{i}"
            singles += timed("build", project, *targets, f"--python={version}", "-o", out, cache=cache)
        apart.append(singles)
    stamp_sources(project, "done")
    return {
        "matrix_ratio": statistics.median(together) / statistics.median(apart),
        "_matrix_versions": versions,
        "_matrix_s": statistics.median(together),
        "_singles_s": statistics.median(apart),
    }


def linux_payload_bytes(wheel: Path) -> int:
    with zipfile.ZipFile(wheel) as zf:
        return next(i.file_size for i in zf.infolist() if "/linux_x86_64/" in i.filename)


def stripped_extension_bytes(wheel: Path, work: Path) -> int:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".so"))
        extracted = Path(zf.extract(name, work / "stripped"))
    run("strip", "--strip-unneeded", extracted)
    return extracted.stat().st_size


def bench_size(work: Path, project: Path, plain: Path) -> dict:
    fat = Path(fatpack("assemble", project, "--target", "linux_x86_64", "--no-cache", "-o", work / "fat-zig"))
    return {"size_ratio": linux_payload_bytes(fat) / stripped_extension_bytes(plain, work)}


def bench_fat_vs_thin(work: Path, project: Path) -> dict:
    fat = Path(fatpack("assemble", project, *[f"--target={t}" for t in FOUR_TARGETS], "-o", work / "fat4"))
    thin = [
        Path(fatpack("assemble", project, f"--target={t}", "-o", work / f"thin-{t}")) for t in FOUR_TARGETS
    ]
    return {"fat_vs_thin_ratio": fat.stat().st_size / sum(t.stat().st_size for t in thin)}


def meets(key: str, value: float) -> str:
    op, goal = GOALS[key]
    ok = value <= goal if op == "<=" else value < goal
    return f"{'met' if ok else 'NOT met'} (goal {op} {goal})"


def table(results: dict) -> str:
    rows = ["| measure | value | goal |", "|---|---|---|"]
    measured = [key for key in GOALS if key in results]
    rows += [f"| `{key}` | {results[key]:.3f} | {meets(key, results[key])} |" for key in measured]
    rows += [f"| `{key}` | not measured | {why} |" for key, why in unmeasured(results).items()]
    return "\n".join(rows)


def unmeasured(results: dict) -> dict[str, str]:
    """Goals with no figure in this run, and why."""
    if "matrix_ratio" in results:
        return {}
    found = ", ".join(results.get("_matrix_versions", [])) or "none"
    return {"matrix_ratio": f"needs two or more of cp310..cp315 with headers here; found: {found}"}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {system}, Python {platform.python_version()}"


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: --plot needs matplotlib (pip install matplotlib); no plot written", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.boxplot([results["_import_plain_ms"], results["_import_fat_ms"]], showfliers=True)
    ax.set_xticks([1, 2], ["plain wheel\n(setuptools)", "fat wheel\n(fatpack loader)"])
    ax.set_ylabel("fresh-process `import midsize._core` (ms)")
    ax.set_title(f"import time, {len(results['_import_fat_ms'])} runs each, interleaved")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results: dict, path: Path, plot_path: Path | None, quick: bool) -> None:
    command = "python bench/run.py" + (" --quick" if quick else "")
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.date.today().isoformat()} by `{command}` on {machine()}.",
        "All values are ratios or differences measured side by side in one run; see `bench/README.md`.",
        "",
        table(results),
        "",
        f"Parallel: 4 targets in {results['_parallel_s']:.1f} s with -j 4, "
        f"{results['_serial_s']:.1f} s with -j 1.",
        "",
        f"Import: median fat {statistics.median(results['_import_fat_ms']):.2f} ms, "
        f"plain {statistics.median(results['_import_plain_ms']):.2f} ms "
        f"({len(results['_import_fat_ms'])} fresh processes each).",
        "",
        f"FATPACK_VERIFY=1: median {statistics.median(results['_import_verify_ms']):.2f} ms, "
        f"`verify_import_ratio` {results['verify_import_ratio']:.2f} (no goal).",
    ]
    if "matrix_ratio" in results:
        lines += [
            "",
            f"Matrix: {', '.join(results['_matrix_versions'])} x {' + '.join(MATRIX_TARGETS)} in one run "
            f"{results['_matrix_s']:.1f} s, one run per version {results['_singles_s']:.1f} s in all.",
        ]
    if plot_path is not None:
        lines += ["", f"![import time distributions]({os.path.relpath(plot_path, path.parent)})"]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (finishes in a few minutes)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--report", type=Path, help="write a Markdown report here (e.g. docs/benchmarks.md)")
    parser.add_argument("--plot", type=Path, help="write a PNG of the import time distributions here")
    args = parser.parse_args()
    runs, reps = (30, 2) if args.quick else (100, 5)
    with tempfile.TemporaryDirectory(prefix="fatpack-bench-") as tmp:
        work = Path(tmp)
        project = copy_project(MIDSIZE, work)
        results = bench_import(work, project, runs)
        results |= bench_parallel(work, project, reps)
        results |= bench_noop(work, project, reps * 2)
        results |= bench_size(work, project, results["_plain_wheel"])
        results |= bench_fat_vs_thin(work, project)
        results |= bench_matrix(work, project, max(1, reps // 2))
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps({k: v for k, v in results.items() if not k.startswith("_")}, indent=2) + "\n"
        )
    if args.plot:
        plot(results, args.plot)
    if args.report:
        report(results, args.report, args.plot, args.quick)


if __name__ == "__main__":
    main()
