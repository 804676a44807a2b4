"""convcli's core against scipy, PyTorch (float64) and numpy one-liners.

Run with the virtual environment's own python (the pyenv shim adds ~90 ms to every
start):

    .venv/bin/python benchmarks/bench.py            # the default set (~5 minutes)
    .venv/bin/python benchmarks/bench.py --quick    # the subset of the targets (< 2 minutes)
    .venv/bin/python benchmarks/bench.py --full     # 64² … 4096², kernels 3 … 31 (~20 minutes)
    .venv/bin/python benchmarks/bench.py --calibrate  # blocked vs FFT, for the cost model
    .venv/bin/python benchmarks/bench.py --nd       # the 1-D and 3-D rows alone (~1 minute)
    .venv/bin/python benchmarks/bench.py --wave2    # issue 15's targets (~10 minutes)
    .venv/bin/python benchmarks/bench.py --wave2-pool  # its pooling and stride ≥ 4 rows alone

The machine is shared and noisy: every row runs its implementations interleaved
(one call of each in turn, in a new order at each repetition, repeated), and only
medians and ratios are printed. PyTorch runs with OMP_WAIT_POLICY=PASSIVE unless the
environment sets it: by default its OpenMP threads spin on both cores for a while
after each call, which slowed whatever ran next (measured 2× on the 3-D row) and
PyTorch itself on this 2-core machine (40 ms → 28 ms on the 3-D row).
A reference whose estimated time or memory is out of reach is skipped, and the row
says why. ``ratio`` is convcli's median over the fastest reference's (< 1: faster).
On processors where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set, unset both for the
command that runs this script (never in tests or CI).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.ndimage as ndi
import scipy.signal as sig
from numpy.lib.stride_tricks import sliding_window_view as windows

from convcli import algorithms, conv1d, conv2d, conv3d, conv_transpose2d, pool2d

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP: see above

try:
    import cv2  # loaded here, as in a process that already used it: see convcli.engines
except ImportError:  # pragma: no cover - OpenCV is optional (convcli[fast])
    cv2 = None

try:
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(os.cpu_count() or 1)
except ImportError:  # pragma: no cover - torch is optional
    torch = None

GIB = 1 << 30
Fn = Callable[[], Any]


@dataclass
class Row:
    """One benchmark row: convcli and its references (a str is a reason for skipping)."""

    name: str
    ours: Fn
    refs: dict[str, Fn | str] = field(default_factory=dict)
    repeats: int = 5


@dataclass
class Budget:
    """How long one call of a reference may take before the row skips it."""

    seconds: float

    def allows(self, estimate_s: float) -> bool:
        return estimate_s <= self.seconds


# --------------------------------------------------------------------------- timing


def measure(row: Row) -> dict[str, float]:
    """Median seconds per implementation, calls interleaved so that noise hits all alike."""
    calls = {"convcli": row.ours} | {k: v for k, v in row.refs.items() if callable(v)}
    if row.repeats >= 5:
        for fn in calls.values():  # warm-up: caches, FFT plans, lazy imports
            fn()
    times: dict[str, list[float]] = {name: [] for name in calls}
    order = random.Random(len(row.name))  # seeded: the same orders on every run
    for _ in range(row.repeats):
        # a new order each repetition: no implementation always runs right after the
        # same one (whatever follows a busy call pays for its lingering threads)
        names = list(calls)
        order.shuffle(names)
        for name in names:
            start = time.perf_counter()
            calls[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}" if seconds < 10 else f"{seconds * 1e3:.0f}"


def report(row: Row) -> str:
    """One printed line. References named ``convcli …`` are convcli itself in another
    setting (one thread, float64 for an int row): shown with convcli's ratio to them,
    never counted as the fastest reference."""
    medians = measure(row)
    ours = medians.pop("convcli")
    outside = {k: v for k, v in medians.items() if not k.startswith("convcli")}
    if outside:
        best = min(outside, key=outside.__getitem__)
        fastest = f"{best} {ms(outside[best])}"
        ratio = f"{ours / outside[best]:.2f}"
    else:
        best, fastest, ratio = "", "-", "-"
    inside = [f"{k} {ms(v)} (×{ours / v:.2f})" for k, v in medians.items() if k not in outside]
    others = [f"{k} {ms(v)}" for k, v in sorted(outside.items(), key=lambda kv: kv[1]) if k != best]
    others += [f"{k}: skipped ({v})" for k, v in row.refs.items() if isinstance(v, str)]
    line = f"{row.name:<40} {ms(ours):>9} {fastest:>26} {ratio:>6}  {'; '.join(inside + others)}"
    print(line, flush=True)
    return line


HEADER = f"{'case (median ms)':<40} {'convcli':>9} {'fastest reference':>26} {'ratio':>6}  others"


# --------------------------------------------------------------------------- references


def two_threads(fn: Fn) -> Fn:
    """``fn`` with convcli's opt-in tile threads on (CONVCLI_THREADS=2)."""

    def run() -> Any:
        before = os.environ.get("CONVCLI_THREADS")
        os.environ["CONVCLI_THREADS"] = "2"
        try:
            return fn()
        finally:
            if before is None:
                del os.environ["CONVCLI_THREADS"]
            else:
                os.environ["CONVCLI_THREADS"] = before

    return run


def conv_refs(x: np.ndarray, w: np.ndarray, budget: Budget) -> dict[str, Fn | str]:
    """Single-channel valid cross-correlation references (float64)."""
    (h, wd), (kh, kw) = x.shape, w.shape
    macs = (h - kh + 1) * (wd - kw + 1) * kh * kw
    flipped = np.ascontiguousarray(w[::-1, ::-1])
    refs: dict[str, Fn | str] = {}
    refs["ndimage"] = (
        (lambda: ndi.correlate(x, w, mode="constant"))
        if budget.allows(macs * 1.0e-9)
        else f"~{macs * 1.0e-9:.0f} s"
    )
    refs["correlate2d"] = (
        (lambda: sig.correlate2d(x, w, mode="valid"))
        if budget.allows(macs * 2.5e-9)
        else f"~{macs * 2.5e-9:.0f} s"
    )
    refs["oaconvolve"] = lambda: sig.oaconvolve(x, flipped, mode="valid")
    refs["einsum"] = (
        (lambda: np.einsum("ijkl,kl->ij", windows(x, (kh, kw)), w))
        if budget.allows(macs * 4e-9)
        else f"~{macs * 4e-9:.0f} s"
    )
    refs |= torch_conv(x[None], w[None, None], budget)
    refs |= opencv_conv(x, w)
    return refs


def opencv_conv(x: np.ndarray, w: np.ndarray) -> dict[str, Fn | str]:
    """OpenCV's filter2D in float64, valid part (anchor at the kernel's corner)."""
    if cv2 is None:
        return {"opencv": "not installed"}
    kh, kw = w.shape
    xf, wf = x.astype(np.float64), w.astype(np.float64)

    def run() -> Any:
        full = cv2.filter2D(xf, -1, wf, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
        return full[: x.shape[0] - kh + 1, : x.shape[1] - kw + 1]

    return {"opencv": run}


def numpy_only(fn: Fn, switch: str = "CONVCLI_NO_OPENCV") -> Fn:
    """``fn`` with one of convcli's engines switched off (OpenCV's by default)."""

    def run() -> Any:
        os.environ[switch] = "1"
        try:
            return fn()
        finally:
            del os.environ[switch]

    return run


def torch_conv(x: np.ndarray, w: np.ndarray, budget: Budget, **kw: Any) -> dict[str, Fn | str]:
    """PyTorch float64 conv2d; it builds a full im2col, so skip what would not fit."""
    if torch is None:
        return {"torch": "not installed"}
    out_cells = x.shape[-2] * x.shape[-1]
    im2col = out_cells * w.shape[1] * w.shape[-2] * w.shape[-1] * 8
    # measured: ~7 ns per multiply-add with one channel (its slow path), ~1 ns with many
    estimate = out_cells * w.size * (7e-9 if w.shape[0] * w.shape[1] == 1 else 1e-9)
    if im2col > 4 * GIB:
        return {"torch": f"im2col {im2col / GIB:.0f} GiB"}
    if not budget.allows(estimate):
        return {"torch": f"~{estimate:.0f} s"}
    xt, wt = torch.from_numpy(x)[None], torch.from_numpy(np.ascontiguousarray(w))
    return {"torch": lambda: F.conv2d(xt, wt, **kw)}


# --------------------------------------------------------------------------- rows


def single_channel_rows(sizes: list[int], kernels: list[int], budget: Budget) -> list[Row]:
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        x = rng.standard_normal((n, n))
        for k in kernels:
            if k > n // 2:
                continue
            w = rng.standard_normal((k, k))
            repeats = 5 if n * n * k * k < 4e9 else 3
            refs = conv_refs(x, w, budget)
            if n == 2048 and k in (3, 11):
                refs["convcli 2 threads"] = two_threads(lambda x=x, w=w: conv2d(x, w))
            if cv2 is not None:
                refs["convcli numpy only"] = numpy_only(lambda x=x, w=w: conv2d(x, w))
            ours = lambda x=x, w=w: conv2d(x, w)  # noqa: E731 - bound per row
            rows.append(Row(f"conv {n}² ⋆ {k}×{k} float", ours, refs, repeats))
    return rows


def int_rows(budget: Budget) -> list[Row]:
    """Exact int64 against the float path of the same data (target 2). The numba engine
    is loaded first when installed, as a long-running process would (its import and
    loading, ~0.5 s, are paid once); "without numba" is the OpenCV/numpy path."""
    from convcli import numba_engine

    numba = numba_engine.load()
    rng = np.random.default_rng(1)
    rows = []
    for k in (3, 11):
        xi = rng.integers(-1000, 1000, (2048, 2048))
        wi = rng.integers(-100, 100, (k, k))
        xf, wf = xi.astype(np.float64), wi.astype(np.float64)
        refs: dict[str, Fn | str] = {"convcli float64": lambda xf=xf, wf=wf: conv2d(xf, wf)}
        if k == 3:
            refs["correlate2d int64"] = lambda xi=xi, wi=wi: sig.correlate2d(xi, wi, mode="valid")
        if numba:
            refs["convcli without numba"] = numpy_only(
                lambda xi=xi, wi=wi: conv2d(xi, wi), numba_engine.DISABLE
            )
        rows.append(
            Row(f"conv 2048² ⋆ {k}×{k} int64 (exact)", lambda xi=xi, wi=wi: conv2d(xi, wi), refs)
        )
    return rows


def channel_rows(budget: Budget) -> list[Row]:
    rng = np.random.default_rng(2)
    rows = []
    for c, n, o, k in [(3, 512, 16, 3), (16, 256, 32, 3), (3, 512, 16, 11), (64, 128, 64, 3)]:
        x, w = rng.standard_normal((c, n, n)), rng.standard_normal((o, c, k, k))
        refs: dict[str, Fn | str] = dict(torch_conv(x, w, budget))
        refs["convcli 2 threads"] = two_threads(lambda x=x, w=w: conv2d(x, w))
        refs["einsum"] = lambda x=x, w=w, k=k: np.einsum(
            "cijkl,ockl->oij", windows(x, (k, k), axis=(1, 2)), w, optimize=True
        )
        rows.append(
            Row(f"conv {c}×{n}² → {o} kernels {k}×{k}", lambda x=x, w=w: conv2d(x, w), refs)
        )
    return rows


def stride_dilation_rows(budget: Budget) -> list[Row]:
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2048, 2048)), rng.standard_normal((3, 3))
    holes = np.zeros((5, 5))
    holes[::2, ::2] = w
    dilated: dict[str, Fn | str] = {
        "ndimage (kernel with holes)": lambda: ndi.correlate(x, holes, mode="constant"),
        "einsum strided view": lambda: np.einsum(
            "ijkl,kl->ij", windows(x, (5, 5))[:, :, ::2, ::2], w
        ),
    }
    dilated |= torch_conv(x[None], w[None, None], budget, dilation=2)
    strided: dict[str, Fn | str] = {
        "ndimage then [::4]": lambda: ndi.correlate(x, w, mode="constant")[1:-1:4, 1:-1:4],
        "einsum strided view": lambda: np.einsum("ijkl,kl->ij", windows(x, (3, 3))[::4, ::4], w),
    }
    strided |= torch_conv(x[None], w[None, None], budget, stride=4)
    big = rng.standard_normal((31, 31))
    strided_fft: dict[str, Fn | str] = {
        "oaconvolve then [::2]": lambda: sig.oaconvolve(x, big[::-1, ::-1], mode="valid")[::2, ::2],
    }
    strided_fft |= torch_conv(x[None], big[None, None], budget, stride=2)
    return [
        Row("conv 2048² ⋆ 3×3 dilation 2", lambda: conv2d(x, w, dilation=2), dilated),
        Row("conv 2048² ⋆ 3×3 stride 4", lambda: conv2d(x, w, stride=4), strided),
        Row("conv 2048² ⋆ 31×31 stride 2", lambda: conv2d(x, big, stride=2), strided_fft),
    ]


def transpose_rows(budget: Budget) -> list[Row]:
    rng = np.random.default_rng(4)
    rows = []
    for n, k, s in [(512, 3, 2), (1024, 4, 2), (256, 11, 3)]:
        x, w = rng.standard_normal((n, n)), rng.standard_normal((k, k))
        refs: dict[str, Fn | str] = {"numpy scatter-add": lambda x=x, w=w, s=s: scatter(x, w, s)}
        if torch is not None:
            xt, wt = torch.from_numpy(x)[None, None], torch.from_numpy(w)[None, None]
            refs["torch"] = lambda xt=xt, wt=wt, s=s: F.conv_transpose2d(xt, wt, stride=s)
        out = (n - 1) * s + k
        rows.append(
            Row(
                f"transpose {n}² → {out}² {k}×{k} stride {s}",
                lambda x=x, w=w, s=s: conv_transpose2d(x, w, stride=s),
                refs,
            )
        )
    return rows


def scatter(x: np.ndarray, w: np.ndarray, s: int) -> np.ndarray:
    """The textbook numpy transposed convolution: add x·w[i, j] at stride offsets."""
    (h, wd), (kh, kw) = x.shape, w.shape
    out = np.zeros(((h - 1) * s + kh, (wd - 1) * s + kw))
    for i in range(kh):
        for j in range(kw):
            out[i : i + s * (h - 1) + 1 : s, j : j + s * (wd - 1) + 1 : s] += w[i, j] * x
    return out


def pool_rows(budget: Budget) -> list[Row]:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2048, 2048))
    rows = []
    for op, k, s in [("max", 2, 2), ("max", 3, 1), ("avg", 3, 1), ("avg", 8, 8), ("max", 31, 1)]:
        refs: dict[str, Fn | str] = {}
        if torch is not None:
            xt = torch.from_numpy(x)[None, None]
            fn = F.max_pool2d if op == "max" else F.avg_pool2d
            refs["torch"] = lambda fn=fn, k=k, s=s, xt=xt: fn(xt, k, stride=s)
        if s == 1:
            flt = ndi.maximum_filter if op == "max" else ndi.uniform_filter
            refs["ndimage filter"] = lambda flt=flt, k=k: flt(x, size=k)
        if k * k <= 64:
            red = np.max if op == "max" else np.mean
            refs["numpy windows"] = lambda red=red, k=k, s=s: red(
                windows(x, (k, k))[::s, ::s], axis=(-2, -1)
            )
        rows.append(
            Row(
                f"pool {op} 2048² {k}×{k} stride {s}",
                lambda op=op, k=k, s=s: pool2d(x, k, stride=s, op=op),
                refs,
            )
        )
    return rows


def pool_stride_rows(budget: Budget) -> list[Row]:
    """Issue 15: large pooling windows and convolution strides ≥ 4 on 2048² float64 (and
    int64 for the convolutions), against PyTorch float64 and numpy/scipy one-liners."""
    rng = np.random.default_rng(8)
    n = 2048
    x = rng.standard_normal((n, n))
    xt = torch.from_numpy(x)[None, None] if torch is not None else None
    rows = []
    for op, k, s in [
        ("avg", 4, 4), ("avg", 8, 8), ("avg", 16, 16), ("avg", 8, 4), ("avg", 16, 4),
        ("max", 4, 4), ("max", 8, 8), ("max", 16, 16), ("max", 8, 4), ("max", 16, 4),
    ]:  # fmt: skip
        refs: dict[str, Fn | str] = {}
        if xt is None:
            refs["torch"] = "not installed"
        else:
            fn = F.max_pool2d if op == "max" else F.avg_pool2d
            refs["torch"] = lambda fn=fn, k=k, s=s: fn(xt, k, stride=s)
        m = (n - k) // s + 1
        if op == "avg":
            start = k // 2  # uniform_filter centres its window: the first full one
            refs["ndimage uniform_filter[::s]"] = lambda k=k, s=s, a=start, m=m: ndi.uniform_filter(
                x, size=k
            )[a : a + s * (m - 1) + 1 : s, a : a + s * (m - 1) + 1 : s]
        else:
            start = k // 2
            refs["ndimage maximum_filter[::s]"] = lambda k=k, s=s, a=start, m=m: ndi.maximum_filter(
                x, size=k
            )[a : a + s * (m - 1) + 1 : s, a : a + s * (m - 1) + 1 : s]
        if s == k:
            red = np.max if op == "max" else np.mean
            refs["numpy reshape"] = lambda red=red, k=k, m=m: red(
                x[: m * k, : m * k].reshape(m, k, m, k), axis=(1, 3)
            )
        rows.append(
            Row(
                f"pool {op} {n}² {k}×{k} stride {s}",
                lambda op=op, k=k, s=s: pool2d(x, k, stride=s, op=op),
                refs,
            )
        )
    xi = rng.integers(-1000, 1000, (n, n))
    for kind, data in (("float64", x), ("int64", xi)):
        for k, s in [(4, 4), (8, 4), (4, 8), (8, 8)]:
            w = rng.standard_normal((k, k)) if kind == "float64" else rng.integers(-9, 9, (k, k))
            refs = {
                "windows[::s]+einsum": lambda d=data, w=w, k=k, s=s: np.einsum(
                    "ijkl,kl->ij", windows(d, (k, k))[::s, ::s], w
                ),
                "windows[::s]+tensordot": lambda d=data, w=w, k=k, s=s: np.tensordot(
                    windows(d, (k, k))[::s, ::s], w, axes=2
                ),
            }
            xf, wf = data.astype(np.float64), w.astype(np.float64)
            refs |= torch_conv(xf[None], wf[None, None], budget, stride=s)
            rows.append(
                Row(
                    f"conv {n}² {kind} ⋆ {k}×{k} stride {s}",
                    lambda d=data, w=w, s=s: conv2d(d, w, stride=s),
                    refs,
                )
            )
    return rows


# --------------------------------------------------------------------------- the CLI


def nd_rows(budget: Budget) -> list[Row]:
    """1-D and 3-D (float64, valid): a long signal and a volume, as in signal processing
    and video/medical models."""
    rng = np.random.default_rng(2)
    signal, taps = rng.standard_normal(10**6), rng.standard_normal(31)
    refs: dict[str, Fn | str] = {
        "ndimage": lambda: ndi.correlate1d(signal, taps, mode="constant"),
        "np.correlate": lambda: np.correlate(signal, taps, mode="valid"),
    }
    volume, cube = rng.standard_normal((64, 64, 64)), rng.standard_normal((3, 3, 3))
    refs3: dict[str, Fn | str] = {"ndimage": lambda: ndi.correlate(volume, cube, mode="constant")}
    if torch is None:
        refs["torch"] = refs3["torch"] = "not installed"
    else:
        st, tt = torch.from_numpy(signal)[None, None], torch.from_numpy(taps)[None, None]
        vt, ct = torch.from_numpy(volume)[None, None], torch.from_numpy(cube)[None, None]
        refs["torch"] = lambda: F.conv1d(st, tt)
        refs3["torch"] = lambda: F.conv3d(vt, ct)
    return [  # a few ms each: more repetitions steady the medians
        Row("1-D 10⁶ ⋆ 31 (float)", lambda: conv1d(signal, taps), refs, repeats=11),
        Row("3-D 64³ ⋆ 3³ (float)", lambda: conv3d(volume, cube), refs3, repeats=15),
    ]


def cli_rows(runs: int) -> list[str]:
    """Start-up of a trivial command, and a 2000×2000 integer CSV end to end."""
    bindir = Path(sys.executable).parent
    convcli, python = str(bindir / "convcli"), sys.executable
    shape = [convcli, "shape", "-w", "4", "-k", "3", "-p", "1", "-s", "1", "--format", "plain"]
    lines = [
        report(
            Row(
                "CLI start-up: convcli shape … --format plain",
                lambda: subprocess.run(shape, check=True, capture_output=True),
                {
                    "python -c 'import typer'": lambda: subprocess.run(
                        [python, "-c", "import typer"], check=True
                    )
                },
                repeats=runs,
            )
        )
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        image = np.random.default_rng(6).integers(0, 256, (2000, 2000))
        np.savetxt(folder / "big.csv", image, fmt="%d", delimiter=",")
        kernel = "-1 0 1; -2 0 2; -1 0 1"  # a 3×3 integer kernel (sobel-x)
        script = (
            "import numpy as np, scipy.signal as s\n"
            "x = np.loadtxt('big.csv', delimiter=',', dtype=np.int64)\n"
            "k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])\n"
            "np.savetxt('ref.csv', s.correlate2d(x, k, mode='valid'), fmt='%d', delimiter=',')\n"
        )

        def ours() -> None:
            with open(folder / "out.csv", "wb") as out:
                command = [convcli, "conv", "-i", "big.csv", "-k", kernel, "--format", "csv"]
                subprocess.run(command, check=True, stdout=out, cwd=folder)

        def theirs() -> None:
            subprocess.run([python, "-c", script], check=True, cwd=folder)

        lines.append(
            report(
                Row(
                    "CLI: 2000² int CSV ⋆ 3×3 → CSV",
                    ours,
                    {"loadtxt+correlate2d+savetxt": theirs},
                    repeats=5,
                )
            )
        )
        same = (folder / "out.csv").read_bytes() == (folder / "ref.csv").read_bytes()
        print(f"{'':<40} (the two CSV outputs are {'identical' if same else 'DIFFERENT'})")
    return lines


# --------------------------------------------------------------------------- calibration


def floor_rows() -> list[Row]:
    """The memory floor: one read and one write of the 2048² float64 input."""
    x = np.random.default_rng(8).standard_normal((2048, 2048))
    w = np.random.default_rng(9).standard_normal((3, 3))
    refs: dict[str, Fn | str] = {"floor: one read+write pass (x.copy())": x.copy}
    return [Row("conv 2048² ⋆ 3×3 against the floor", lambda: conv2d(x, w), refs, repeats=11)]


def writer_rows() -> list[Row]:
    """Float64 CSV text of 1000² cells: convcli's writer (with orjson when installed, and
    without it: the same bytes) against pyarrow's and savetxt; int64 likewise."""
    from convcli.matrix_io import format_csv
    from convcli.matrix_io.writers import NO_ORJSON

    def without_orjson(fn: Fn) -> Fn:
        def run() -> Any:
            os.environ[NO_ORJSON] = "1"
            try:
                return fn()
            finally:
                del os.environ[NO_ORJSON]

        return run

    x = np.random.default_rng(10).standard_normal((1000, 1000))
    refs: dict[str, Fn | str] = {
        "convcli without orjson": without_orjson(lambda: format_csv(x)),
        "np.savetxt %.17g": lambda: np.savetxt(io.StringIO(), x, fmt="%.17g", delimiter=","),
    }
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        table = pa.table({str(i): x[:, i] for i in range(x.shape[1])})
        options = pcsv.WriteOptions(include_header=False)
        refs["pyarrow write_csv"] = lambda: pcsv.write_csv(table, io.BytesIO(), options)
    except ImportError:
        refs["pyarrow write_csv"] = "not installed"
    n = np.random.default_rng(11).integers(-(10**6), 10**6, (1000, 1000))
    int_refs: dict[str, Fn | str] = {
        "convcli without orjson": without_orjson(lambda: format_csv(n)),
        "np.savetxt %d": lambda: np.savetxt(io.StringIO(), n, fmt="%d", delimiter=","),
    }
    return [
        Row("CSV text of 1000² float64", lambda: format_csv(x), refs),
        Row("CSV text of 1000² int64", lambda: format_csv(n), int_refs),
    ]


def wave2_cli_rows(runs: int) -> list[str]:
    """Start-up of small commands, and exact rationals against integers end to end."""
    bindir = Path(sys.executable).parent
    convcli, python = str(bindir / "convcli"), sys.executable
    small = [convcli, "conv", "-i", "1 2 0 2; 1 0 3 -1; 2 2 2 0; 3 1 -2 0"]
    small += ["-k", "0 1 -1; -1 0 1; 1 0 1", "--format", "csv"]
    lines = [
        report(
            Row(
                "CLI start-up: conv on a 4×4 inline matrix",
                lambda: subprocess.run(small, check=True, capture_output=True),
                {
                    "python -c 'import numpy, typer'": lambda: subprocess.run(
                        [python, "-c", "import numpy, typer"], check=True
                    )
                },
                repeats=runs,
            )
        ),
        report(
            Row(
                "CLI start-up: kernels --format csv",
                lambda: subprocess.run(
                    [convcli, "kernels", "--format", "csv"], check=True, capture_output=True
                ),
                {
                    "python -c 'import typer'": lambda: subprocess.run(
                        [python, "-c", "import typer"], check=True
                    )
                },
                repeats=runs,
            )
        ),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        image = np.random.default_rng(6).integers(0, 256, (2000, 2000))
        np.savetxt(folder / "big.csv", image, fmt="%d", delimiter=",")
        integer = {"gaussian-3": "1 2 1; 2 4 2; 1 2 1", "gaussian-5": _binomial_text(5)}
        for preset, kernel in integer.items():

            def run(k: str, name: str) -> None:
                with open(folder / name, "wb") as out:
                    command = [convcli, "conv", "-i", "big.csv", "-k", k, "--format", "csv"]
                    subprocess.run(command, check=True, stdout=out, cwd=folder)

            lines.append(
                report(
                    Row(
                        f"CLI: 2000² int CSV ⋆ {preset} (exact a/b) → CSV",
                        lambda p=preset: run(p, "rational.csv"),
                        {"convcli int kernel (×denominator)": lambda k=kernel: run(k, "int.csv")},
                        repeats=5,
                    )
                )
            )
    return lines


def _binomial_text(n: int) -> str:
    import math

    row = [math.comb(n - 1, i) for i in range(n)]
    return "; ".join(" ".join(str(a * b) for b in row) for a in row)


def calibrate() -> None:
    """Every direct method and the FFT on one thread, next to the model's estimates."""
    os.environ["CONVCLI_THREADS"] = "1"
    rng = np.random.default_rng(7)
    methods = ("einsum", "blocked", "banded", "fft")
    print("C  O  size  k: measured ms (model ms) for " + ", ".join(methods) + " | best/chosen")
    for c, o, sizes in [(1, 1, (128, 512, 2048)), (3, 16, (128, 512)), (16, 16, (128, 256))]:
        for n in sizes:
            x = rng.standard_normal((c, n, n))
            for k in (3, 5, 7, 9, 11, 15, 21, 31):
                if k > n // 4:
                    continue
                w = rng.standard_normal((o, c, k, k))
                out = (n - k + 1, n - k + 1)
                work = algorithms.Work.of(algorithms.conv_shifts(x, w, out, (1, 1), (1, 1)))
                model = algorithms.costs(work, "float")
                times = {}
                for method in methods:
                    if model.get(method, 0) > 3e9:  # an estimated 3 s: not worth measuring
                        times[method] = float("inf")
                        continue
                    call = lambda m=method, x=x, w=w, out=out: algorithms.conv2d(  # noqa: E731
                        x, w, 1, out, (1, 1), (1, 1), method=m
                    )
                    times[method] = measure(Row("", call, repeats=3))["convcli"]
                cells = " | ".join(
                    f"{ms(times[m]):>7} ({model.get(m, float('inf')) / 1e6:6.1f})" for m in methods
                )
                best = min(times, key=times.__getitem__)
                chosen = algorithms.choose(work, "float")
                print(f"{c:>2} {o:>2} {n:>5} {k:>2}: {cells} | {best}/{chosen}", flush=True)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the targets only (< 2 minutes)")
    mode.add_argument("--full", action="store_true", help="all sizes 64² … 4096²")
    mode.add_argument("--calibrate", action="store_true", help="blocked vs FFT crossovers")
    mode.add_argument("--nd", action="store_true", help="the 1-D and 3-D rows alone")
    mode.add_argument("--wave2", action="store_true", help="issue 15's targets")
    mode.add_argument(
        "--wave2-int", action="store_true", help="the integer and many-channel rows alone"
    )
    mode.add_argument(
        "--wave2-pool", action="store_true", help="issue 15's pooling and stride ≥ 4 rows alone"
    )
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    if args.nd:
        print(HEADER)
        for row in nd_rows(Budget(6.0)):
            report(row)
        return
    print(
        f"numpy {np.__version__}, torch {torch.__version__ if torch else '-'}, "
        f"threads {algorithms.workers()}, {time.strftime('%Y-%m-%d %H:%M')}"
    )
    if args.wave2_pool:
        print(HEADER)
        for row in pool_stride_rows(Budget(2.0)):
            report(row)
        return
    if args.wave2_int:
        print(HEADER)
        for row in int_rows(Budget(2.0)) + channel_rows(Budget(2.0)):
            report(row)
        return
    if args.wave2:
        budget = Budget(2.0)
        rows = single_channel_rows([256, 1024, 2048, 4096], [3, 5, 11, 31], budget)
        rows += floor_rows() + int_rows(budget) + channel_rows(budget)[-1:] + writer_rows()
        rows += pool_rows(budget)[3:4] + pool_stride_rows(budget)
        print(HEADER)
        for row in rows:
            report(row)
        wave2_cli_rows(15)
        return
    if args.quick:
        budget = Budget(2.0)
        sizes, kernels = [2048], [3, 11]
    elif args.full:
        budget = Budget(20.0)
        sizes, kernels = [64, 256, 1024, 2048, 4096], [3, 5, 11, 31]
    else:
        budget = Budget(6.0)
        sizes, kernels = [256, 2048], [3, 5, 11, 31]
    rows = single_channel_rows(sizes, kernels, budget) + int_rows(budget) + channel_rows(budget)
    rows += nd_rows(budget)
    if not args.quick:
        rows += stride_dilation_rows(budget) + transpose_rows(budget) + pool_rows(budget)
    else:
        rows += transpose_rows(budget)[:1]
    print(HEADER)
    for row in rows:
        report(row)
    cli_rows(15)


if __name__ == "__main__":
    main()
