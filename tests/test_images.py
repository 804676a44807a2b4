"""Images in (-i photo.png, --grey) and results out (-o FILE, --image-scale, --bits),
checked against the pixels as Pillow reads them and scipy's correlation."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.signal import correlate2d

from tests.conftest import SAMPLES, Run, assert_error

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int64)


def test_the_sample_scene_is_what_its_script_draws() -> None:
    spec = importlib.util.spec_from_file_location("make_scene", SAMPLES / "make_scene.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert np.array_equal(pixels(SAMPLES / "scene.png"), module.scene())
    assert (SAMPLES / "scene.png").stat().st_size < 8192


def test_sobel_edges_of_the_sample_equal_the_matrix_computation(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "edges.png"
    result = run("conv", "-i", "samples/scene.png", "-k", "sobel-x", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    expected = np.clip(correlate2d(pixels(SAMPLES / "scene.png"), SOBEL_X, mode="valid"), 0, 255)
    with Image.open(target) as image:
        assert image.mode == "L"
        assert image.size == (62, 62)
    assert np.array_equal(pixels(target), expected)
    assert expected.max() == 255
    assert expected.min() == 0


@pytest.mark.parametrize("scale", ["abs", "normalize"])
def test_image_scales(run: Run, tmp_path: Path, scale: str) -> None:
    target = tmp_path / "edges.png"
    result = run("conv", "-i", "samples/scene.png", "-k", "sobel-x", "-o", str(target),
                 "--image-scale", scale)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    raw = correlate2d(pixels(SAMPLES / "scene.png"), SOBEL_X, mode="valid").astype(float)
    if scale == "abs":
        expected = np.clip(np.abs(raw), 0, 255)
    else:
        expected = np.rint((raw - raw.min()) * 255 / (raw.max() - raw.min()))
    assert np.array_equal(pixels(target), expected.astype(np.int64))


def test_sixteen_bit_png_out_and_in(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "big.png"
    result = run("conv", "-i", "300 70000; -5 2", "-k", "1", "-o", str(target), "--bits", "16")
    assert result.exit_code == 0, result.stderr
    with Image.open(target) as image:
        assert image.mode.startswith("I")
    assert pixels(target).tolist() == [[300, 65535], [0, 2]]
    back = run("conv", "-i", str(target), "-k", "1", "-f", "json")
    assert json.loads(back.stdout)["output"] == [[300, 65535], [0, 2]]


def test_fractions_round_half_to_even(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "half.png"
    assert run("conv", "-i", "1 3 5; 2 -4 600", "-k", "1/2", "-o", str(target)).exit_code == 0
    assert pixels(target).tolist() == [[0, 2, 2], [1, 0, 255]]  # ½→0, 3/2→2, 5/2→2


@pytest.fixture
def colour(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(5, 6, 3), dtype=np.uint8)
    path = tmp_path / "colour.png"
    Image.fromarray(rgb, "RGB").save(path)
    return path, rgb


def test_colour_image_is_three_channels(run: Run, colour: tuple[Path, np.ndarray]) -> None:
    path, rgb = colour
    result = run("pool", "-i", str(path), "-k", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["output"] == np.moveaxis(rgb, -1, 0).tolist()


def test_grey_converts_with_the_luma_formula(run: Run, colour: tuple[Path, np.ndarray]) -> None:
    path, rgb = colour
    result = run("pool", "-i", str(path), "--grey", "-k", "1", "-f", "json")
    assert result.exit_code == 0, result.stderr
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    luma = (r * 299 + g * 587 + b * 114 + 500) // 1000  # ITU-R 601-2, rounded as Pillow does
    assert np.abs(np.array(json.loads(result.stdout)["output"]) - luma).max() <= 1


def test_colour_result_written_as_rgb(
    run: Run, colour: tuple[Path, np.ndarray], tmp_path: Path
) -> None:
    path, rgb = colour
    target = tmp_path / "out.png"
    assert run("pool", "-i", str(path), "-k", "1", "-o", str(target)).exit_code == 0
    with Image.open(target) as image:
        assert image.mode == "RGB"
        assert np.array_equal(np.asarray(image), rgb)


@pytest.mark.parametrize("extension", [".bmp", ".tif", ".webp"])
def test_lossless_formats_read_exactly(run: Run, tmp_path: Path, extension: str) -> None:
    grey = np.arange(30, dtype=np.uint8).reshape(5, 6) * 8
    path = tmp_path / f"g{extension}"
    options = {"lossless": True} if extension == ".webp" else {}
    Image.fromarray(grey, "L").save(path, **options)
    result = run("pool", "-i", str(path), "--grey", "-k", "1", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    read = np.array([[int(v) for v in line.split(",")] for line in result.stdout.splitlines()])
    with Image.open(path) as image:  # webp stores grey as RGB: compare with Pillow's grey
        assert np.array_equal(read, np.asarray(image.convert("L")))


def test_jpeg_reads_what_pillow_decodes(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.jpg"
    Image.fromarray(np.full((4, 4), 100, dtype=np.uint8), "L").save(path)
    result = run("pool", "-i", str(path), "-k", "1", "-f", "json")
    assert json.loads(result.stdout)["output"] == pixels(path).tolist()


def test_matrix_files_out(run: Run, tmp_path: Path) -> None:
    args = ("conv", "-i", "1 2 0; 1 0 3; 2 2 2", "-k", "1 0; 0 -1")
    shown = run(*args, "-f", "csv").stdout
    for name in ("r.csv", "r.json", "r.npy"):
        result = run(*args, "-o", str(tmp_path / name))
        assert (result.exit_code, result.stdout) == (0, "")
    assert (tmp_path / "r.csv").read_text() == shown
    assert json.loads((tmp_path / "r.json").read_text()) == {"data": [[1, -1], [-1, -2]]}
    assert np.load(tmp_path / "r.npy").tolist() == [[1, -1], [-1, -2]]
    again = run("conv", "-i", str(tmp_path / "r.json"), "-k", "1", "-f", "csv")
    assert again.stdout == shown


def test_output_of_every_matrix_command(run: Run, tmp_path: Path) -> None:
    for args in (
        ("transpose", "-i", "1 2; 3 4", "-k", "1 1; 1 1", "-s", "2"),
        ("dilate", "-k", "1 2; 3 4", "-d", "2"),
        ("pool", "-i", "1 2; 3 4", "-k", "2"),
        ("kernels", "sobel-x"),
    ):
        target = tmp_path / f"{args[0]}.csv"
        result = run(*args, "-o", str(target))
        assert (result.exit_code, result.stdout) == (0, ""), result.stderr
        assert target.read_text() == run(*args, "-f", "csv").stdout


def test_output_errors(run: Run, tmp_path: Path) -> None:
    assert_error(run("conv", "-i", "1 2", "-k", "1", "-o", "x.txt"), 2, "'--output'", ".npy")
    assert_error(run("conv", "-i", "1 2", "-k", "1", "--bits", "12"), 2, "'--bits'")
    result = run("conv", "-i", "1 2; 3 4", "-k", "1/3", "-o", str(tmp_path / "f.npy"))
    assert_error(result, 1, "exact fractions", ".npy")
    four = run("conv", "-i", "1 2; 3 4", "-k", "1", "-k", "2", "-k", "3", "-k", "4",
               "-o", str(tmp_path / "f.png"))  # fmt: skip
    assert_error(four, 1, "1 (grey) or 3 (RGB) channels")
    assert_error(run("kernels", "-o", str(tmp_path / "k.csv")), 1, "no matrix to write")
    jpeg16 = run("conv", "-i", "1 2", "-k", "1", "--bits", "16", "-o", str(tmp_path / "a.jpg"))
    assert_error(jpeg16, 1, "--bits 16 writes grey PNG only")
    nowhere = run("conv", "-i", "1 2", "-k", "1", "-o", str(tmp_path / "no" / "a.csv"))
    assert_error(nowhere, 1, "cannot write")


@pytest.mark.parametrize(
    ("extra", "option"),
    [(("--image-scale", "abs"), "'--image-scale'"), (("--bits", "16"), "'--bits'")],
)
@pytest.mark.parametrize("output", [None, "r.csv"])
def test_image_options_apply_only_to_an_image_file(
    run: Run, tmp_path: Path, extra: tuple[str, ...], option: str, output: str | None
) -> None:
    args = ["conv", "-i", "1 2", "-k", "1", *extra]
    if output:
        args += ["-o", str(tmp_path / output)]
    assert_error(run(*args), 2, option, "applies only with -o IMAGE")
    assert not (tmp_path / "r.csv").exists()


def test_unreadable_image(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    assert_error(
        run("conv", "-i", str(bad), "-k", "1"), 1, f"--input '{bad}': not a readable image"
    )


def test_missing_pillow_on_reading_an_image(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    result = run("conv", "-i", "samples/scene.png", "-k", "sobel-x", "-f", "csv")
    assert_error(result, 1)
    assert result.stderr == (
        "Error: --input 'samples/scene.png': reading an image needs Pillow, which is not "
        "installed\nhint: pip install 'convcli[image]'\n"
    )


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header and holds no pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("size", "needle"), [(5000, "a 5000×5000 image"), (30000, "too large")])
def test_huge_images_are_refused_from_their_header(
    run: Run, tmp_path: Path, size: int, needle: str
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header(size, size))
    result = run("conv", "-i", str(path), "-k", "1")
    assert_error(result, 1, needle, "4096×4096")


def test_a_missing_image_is_named_as_a_missing_file(run: Run) -> None:
    result = run("conv", "-i", "holiday.JPG", "-k", "1")
    assert_error(result, 1)
    assert result.stderr == "Error: --input: no such file: 'holiday.JPG'\n"


def test_truncated_png(run: Run, tmp_path: Path) -> None:
    whole = (SAMPLES / "scene.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(whole[: len(whole) // 2])
    assert_error(run("conv", "-i", str(path), "-k", "1"), 1, "not a readable image")


def test_palette_alpha_and_tiny_images(run: Run, tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10  # red, nearly transparent: alpha is dropped
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    shown = run("pool", "-i", str(tmp_path / "a.png"), "-k", "1", "-f", "json")
    assert json.loads(shown.stdout)["output"] == [[[200, 200]] * 2, [[0, 0]] * 2, [[0, 0]] * 2]
    Image.fromarray(np.array([[7]], dtype=np.uint8), "L").save(tmp_path / "one.png")
    one = run("conv", "-i", str(tmp_path / "one.png"), "-k", "2", "-f", "csv")
    assert one.stdout == "14\n"
    palette = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=np.uint8), "P")
    palette.putpalette([10, 20, 30, 40, 50, 60])
    palette.save(tmp_path / "p.png")
    expanded = run("pool", "-i", str(tmp_path / "p.png"), "-k", "1", "-f", "json")
    assert json.loads(expanded.stdout)["output"] == [
        [[10, 40], [40, 10]], [[20, 50], [50, 20]], [[30, 60], [60, 30]]
    ]  # fmt: skip


def test_exif_orientation_is_applied(run: Run, tmp_path: Path) -> None:
    image = Image.fromarray(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8), "L")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    image.save(tmp_path / "r.png", exif=exif)
    result = run("pool", "-i", str(tmp_path / "r.png"), "-k", "1", "-f", "json")
    assert json.loads(result.stdout)["output"] == [[4, 1], [5, 2], [6, 3]]


def test_output_onto_the_input_file_and_overwrite(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.array([[1, 2], [3, 4]]))
    result = run("conv", "-i", str(path), "-k", "2", "-o", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert np.load(path).tolist() == [[2, 4], [6, 8]]  # read whole, then replaced
    assert run("conv", "-i", str(path), "-k", "2", "-o", str(path)).exit_code == 0
    assert np.load(path).tolist() == [[4, 8], [12, 16]]
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]  # no temporary left behind


def test_a_failed_write_leaves_no_file(run: Run, tmp_path: Path) -> None:
    result = run("conv", "-i", "1 2; 3 4", "-k", "1/3", "-o", str(tmp_path / "f.npy"))
    assert result.exit_code == 1
    assert list(tmp_path.iterdir()) == []


def test_explain_reads_a_colour_image_as_grey(run: Run, colour: tuple[Path, np.ndarray]) -> None:
    # explain --grey: the lesson runs on the luma plane (one channel), not on [3][H][W]
    path, rgb = colour
    result = run("explain", "-i", str(path), "--grey", "-k", "1", "--cell", "1,2", "-f", "json")
    assert result.exit_code == 0, result.stderr
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    luma = (r * 299 + g * 587 + b * 114 + 500) // 1000  # ITU-R 601-2, rounded as Pillow does
    (step,) = [s for s in json.loads(result.stdout)["steps"] if s["kind"] == "cell"]
    assert step["title"] == "Multiply and add: out[1,2]"
    shown = np.array(step["grids"][0]["values"])
    assert shown.shape == (5, 6)
    assert np.abs(shown - luma).max() <= 1
    assert step["lines"][-1] == f"out[1,2] = {shown[1, 2]}×1 = {shown[1, 2]}"
    # without --grey the image is three channels, which a one-channel kernel cannot read
    assert_error(run("explain", "-i", str(path), "-k", "1", "-f", "json"), 1, "has 3")
