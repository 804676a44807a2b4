"""Streaming (convcli.stream) and the dask engine: throughput in MB/s and peak memory.

    .venv/bin/python benchmarks/bench_stream.py            # 4096² ⋆ 3×3, ~2 minutes
    .venv/bin/python benchmarks/bench_stream.py --big      # plus 20,000² (3.2 GB), ~5 min
    .venv/bin/python benchmarks/bench_stream.py --size 2048 --kernel 5 --repeat 3

Every measurement runs in a fresh process (``--one``), so that its peak resident memory
(VmHWM from /proc/self/status: the high-water mark of this process alone, unlike
ru_maxrss, which keeps that of the parent it was forked from) is its own; the rows
alternate in a new order at each repetition and the medians are printed. MB/s counts
the input bytes (10⁶ a MB). The in-process API rows are the baseline of the issue's
target (from .npy to out.npy ≤ 2× the in-process API time): ``np.load`` + ``conv2d``,
and the same plus ``np.save``. The CSV rows are the issue's other target: the command
line from ``.npy`` to a CSV file (``conv -f csv`` streams an input of 64 MiB or more)
against ``np.load`` + the fastest peer's filter + pyarrow's ``write_csv`` (installed by
hand: it is no dependency of convcli; the row says "no pyarrow" without it). The dask
rows run on a LocalCluster of two worker processes of one thread each (the cluster's
start-up is not timed) and on dask's threads.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROWS = {
    "api: np.load + conv2d": "api",
    "api: np.load + conv2d + np.save": "api_save",
    "stream: .npy → out.npy": "stream_npy",
    "stream: .npy → csv file": "stream_csv",
    "CLI: convcli conv -i x.npy … -f csv > file": "cli_csv",
    "peers: np.load + cv2.filter2D + pyarrow write_csv": "peer_csv",
    "dask (2 worker processes): .npy → out.npy": "dask_cluster",
    "dask (threads): .npy → out.npy": "dask_threads",
}


def peak_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(kind: str, source: str, out_dir: str, kernel: int) -> dict[str, Any]:
    """One measurement in this process: seconds and peak memory."""
    from convcli import conv2d

    k = np.random.default_rng(1).standard_normal((kernel, kernel))
    options = {"padding": kernel // 2, "padding_mode": "reflect"}
    out = Path(out_dir)
    extra: dict[str, Any] = {}
    if kind.startswith("dask"):
        from convcli import dask_engine

        cluster = None
        address = "threads"
        if kind == "dask_cluster":
            from distributed import LocalCluster

            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            )
            address = cluster.scheduler_address
        start = time.perf_counter()
        result = dask_engine.conv_dask(
            source, k, out / "dask.npy", scheduler_address=address, **options
        )
        seconds = time.perf_counter() - start
        extra["chunks"] = result.chunks
        if cluster is not None:
            cluster.close()
        return {"seconds": seconds, "peak_mib": peak_mib(), **extra}
    if kind in ("cli_csv", "peer_csv"):
        return csv_rows(kind, source, out, k)
    start = time.perf_counter()
    if kind in ("api", "api_save"):
        y = conv2d(np.load(source), k, **options)
        if kind == "api_save":
            np.save(out / "api.npy", y)
    elif kind == "stream_npy":
        from convcli.stream import conv_npy

        extra["blocks"] = conv_npy(source, k, out / "stream.npy", **options).blocks
    elif kind == "stream_csv":
        from convcli.stream import conv_npy

        conv_npy(source, k, out / "stream.csv", **options)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": peak_mib(), **extra}


def csv_rows(kind: str, source: str, out: Path, k: np.ndarray) -> dict[str, Any]:
    """The issue's CSV target: the command line to a CSV file against np.load, the
    fastest peer's convolution (OpenCV, or scipy.ndimage without it) and pyarrow's
    writer. The command's peak memory is its own (RUSAGE_CHILDREN: the only child)."""
    import resource

    if kind == "cli_csv":
        kernel = "; ".join(" ".join(repr(v) for v in row) for row in k.tolist())
        command = [str(Path(sys.executable).parent / "convcli"), "conv", "-i", source,
                   "-k", kernel, "-p", str(len(k) // 2), "--padding-mode", "reflect",
                   "-f", "csv"]  # fmt: skip
        start = time.perf_counter()
        with open(out / "cli.csv", "wb") as text:
            subprocess.run(command, check=True, stdout=text)
        seconds = time.perf_counter() - start
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return {"seconds": seconds, "peak_mib": child}
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:
        return {"seconds": float("nan"), "peak_mib": float("nan"), "note": "no pyarrow"}
    start = time.perf_counter()
    x = np.load(source)
    try:
        import cv2

        y = cv2.filter2D(x, -1, k, borderType=cv2.BORDER_REFLECT_101)
    except ImportError:
        from scipy import ndimage

        y = ndimage.correlate(x, k, mode="mirror")
    table = pa.table({str(i): y[:, i] for i in range(y.shape[1])})
    pcsv.write_csv(table, str(out / "peer.csv"), pcsv.WriteOptions(include_header=False))
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib()}


def run_one(kind: str, source: Path, out_dir: Path, kernel: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", kind, str(source), str(out_dir), str(kernel)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(source: Path, out_dir: Path, kernel: int, repeat: int, rows: dict[str, str]) -> None:
    size_mb = source.stat().st_size / 1e6
    times: dict[str, list[float]] = {name: [] for name in rows}
    peaks: dict[str, list[float]] = {name: [] for name in rows}
    rng = random.Random(15)
    for _ in range(repeat):
        order = list(rows)
        rng.shuffle(order)
        for name in order:
            result = run_one(rows[name], source, out_dir, kernel)
            times[name].append(result["seconds"])
            peaks[name].append(result["peak_mib"])
    base = statistics.median(times[next(iter(rows))])
    print(f"\n{source.name}: {size_mb:,.0f} MB float64, ⋆ {kernel}×{kernel} reflect, "
          f"{repeat} runs, medians")  # fmt: skip
    print("| row | time | MB/s | peak RSS | × api |")
    print("|---|---|---|---|---|")
    for name in rows:
        t = statistics.median(times[name])
        p = statistics.median(peaks[name])
        print(f"| {name} | {t:.2f} s | {size_mb / t:,.0f} | {p:,.0f} MiB | {t / base:.2f} |")
    cli, peers = (
        "CLI: convcli conv -i x.npy … -f csv > file",
        "peers: np.load + cv2.filter2D + pyarrow write_csv",
    )
    if cli in times and peers in times:
        ratio = statistics.median(times[cli]) / statistics.median(times[peers])
        print(f"\nCLI to csv against the peers: {ratio:.2f}× (target ≤ 1.5×); peak RSS "
              f"{statistics.median(peaks[cli]):,.0f} MiB against input + output "
              f"{2 * size_mb / 1.048576:,.0f} MiB (target ≤ 2×)")  # fmt: skip


def in_process(source: Path, out_dir: Path, kernel: int, repeat: int) -> None:
    """The API against streaming in one warm process, alternated: less noise than fresh
    processes (no import or start-up), no memory figures."""
    from convcli import conv2d
    from convcli.stream import conv_npy

    k = np.random.default_rng(1).standard_normal((kernel, kernel))
    options = {"padding": kernel // 2, "padding_mode": "reflect"}
    calls = {
        "api: np.load + conv2d + np.save": lambda: np.save(
            out_dir / "api.npy", conv2d(np.load(source), k, **options)
        ),
        "stream: .npy → out.npy": lambda: conv_npy(source, k, out_dir / "s.npy", **options),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    rng = random.Random(16)
    for name in calls:  # warm-up
        calls[name]()
    for _ in range(repeat):
        order = list(calls)
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[next(iter(calls))])
    print(f"\nin one process, {repeat} alternated runs: median (min)")
    for name, values in times.items():
        t = statistics.median(values)
        print(f"| {name} | {t:.3f} s ({min(values):.3f}) | × api {t / base:.2f} |")


def make_input(path: Path, size: int) -> None:
    """A float64 .npy of size × size, written in row blocks (never whole in memory)."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(size, size))
    rng = np.random.default_rng(15)
    step = max(1, (1 << 25) // (8 * size))
    for first in range(0, size, step):
        array[first : first + step] = rng.standard_normal((min(step, size - first), size))
        array.flush()
    del array


def check_crops(source: Path, result: Path, kernel: int) -> str:
    """The streamed result against conv2d in memory on crops with their halos (corners,
    edges, middle): the largest difference."""
    from convcli import conv2d

    x = np.load(source, mmap_mode="r")
    y = np.load(result, mmap_mode="r")
    k = np.random.default_rng(1).standard_normal((kernel, kernel))
    half = kernel // 2
    n = x.shape[0]
    worst = 0.0
    for r, c in [(0, 0), (0, n - 300), (n - 300, 0), (n - 300, n - 300), (n // 2, n // 3)]:
        rows = slice(max(r - half, 0), min(r + 300 + half, n))
        cols = slice(max(c - half, 0), min(c + 300 + half, n))
        pads = (half if r == 0 else 0, half if r + 300 == n else 0,
                half if c == 0 else 0, half if c + 300 == n else 0)  # fmt: skip
        want = conv2d(np.array(x[rows, cols]), k, padding=pads, padding_mode="reflect")
        got = np.asarray(y[r : r + 300, c : c + 300])
        worst = max(worst, float(np.abs(got - want[:300, :300]).max()))
    return f"largest difference over five 300×300 crops (corners, middle): {worst:.3g}"


def big(work: Path, kernel: int) -> None:
    source = work / "big.npy"
    start = time.perf_counter()
    make_input(source, 20_000)
    print(f"\nwrote {source.stat().st_size / 1e9:.1f} GB in {time.perf_counter() - start:.0f} s")
    for kind in ("stream_npy", "dask_threads"):
        result = run_one(kind, source, work, kernel)
        mb = source.stat().st_size / 1e6
        print(f"20,000² {kind}: {result['seconds']:.1f} s, {mb / result['seconds']:,.0f} MB/s, "
              f"peak RSS {result['peak_mib']:,.0f} MiB")  # fmt: skip
        out = work / ("stream.npy" if kind == "stream_npy" else "dask.npy")
        print("  " + check_crops(source, out, kernel))
        out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=4, metavar=("KIND", "SOURCE", "OUT", "KERNEL"))
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="also 20,000² (3.2 GB on disk)")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--dir", help="where the inputs and outputs go (not a RAM disk)")
    args = parser.parse_args()
    if args.one:
        kind, source, out, kernel = args.one
        print(json.dumps(one(kind, source, out, int(kernel))))
        return
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    rows = {name: kind for name, kind in ROWS.items()
            if not (args.no_dask and kind.startswith("dask"))}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-stream-", dir=args.dir) as temp:
        work = Path(temp)
        source = work / f"x{args.size}.npy"
        make_input(source, args.size)
        table(source, work, args.kernel, args.repeat, rows)
        in_process(source, work, args.kernel, 3 * args.repeat)
        if args.big:
            source.unlink()
            big(work, args.kernel)


if __name__ == "__main__":
    main()
