"""Reading a network for ``convcli net``: inline layers, JSON, TOML, the text PyTorch
prints for a model, and ONNX graphs (:mod:`convcli.onnxread`, with the optional ``onnx``
package).

Every reader returns a :class:`Source`: the layers in order, the input shape when the
source gives one, and notes (such as a printout that hides a branch). Errors are
:class:`~convcli.net.NetError` lines that name the layer, the line or the operator.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from convcli import net as N
from convcli.shape import PADDING_WORDS

NetError = N.NetError


@dataclass
class Source:
    layers: list[N.Layer]
    input_shape: tuple[int, ...] | None = None
    notes: list[str] = field(default_factory=list)


# --- inline: "conv 64 k7 s2 p3; maxpool k3 s2 p1; fc 10" ------------------------------------

ALIASES = {
    "linear": "fc",
    "dense": "fc",
    "batchnorm": "bn",
    "deconv": "tconv",
    "convtranspose": "tconv",
    "transpose": "tconv",
    "avg": "avgpool",
    "max": "maxpool",
}
# the tokens each kind takes (besides @name)
_TAKES = {
    "conv": ("out", "k", "s", "p", "d", "g", "nobias"),
    "tconv": ("out", "k", "s", "p", "d", "g", "op", "nobias"),
    "maxpool": ("k", "s", "p", "d", "ceil"),
    "avgpool": ("k", "s", "p", "ceil"),
    "lppool": ("k", "s", "ceil"),
    "adaptiveavgpool": ("out",),
    "adaptivemaxpool": ("out",),
    "fc": ("out", "nobias"),
}
_SHOW = {
    "out": "a number",
    "k": "kN",
    "s": "sN",
    "p": "pN",
    "d": "dN",
    "g": "gN",
    "op": "opN",
    "nobias": "nobias",
    "ceil": "ceil",
}
_NUMBERS = r"(\d+(?:,\d+)*)"
_TOKEN = re.compile(rf"(?:(k|s|d|g|op){_NUMBERS}|p(.+)|{_NUMBERS}|(nobias|ceil))$")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


def kind_of(word: str) -> str | None:
    word = word.lower()
    word = ALIASES.get(word, word)
    return word if word in N.KINDS and word not in ("add", "concat", "bias") else None


def _unknown_kind(index: int, word: str) -> NetError:
    kinds = ", ".join(
        k for k in N.KINDS if k not in N.ACTIVATIONS and k not in ("add", "concat", "bias")
    )
    msg = f"layer {index}: unknown layer type {word!r}; types: {kinds}, relu and other activations"
    return NetError(msg)


def parse_inline(text: str) -> Source:
    """Layers separated by ``;`` (or new lines), each a type and its tokens."""
    layers = []
    parts = [p.strip() for p in re.split(r"[;\n]", text)]
    for index, part in enumerate((p for p in parts if p), start=1):
        words = part.split()
        kind = kind_of(words[0])
        if kind is None:
            raise _unknown_kind(index, words[0])
        layers.append(_inline_layer(index, kind, words[1:]))
    if not layers:
        msg = 'no layers: give them as "conv 64 k3 p1; maxpool k2; fc 10" or a file'
        raise NetError(msg)
    return Source(layers)


def _inline_layer(index: int, kind: str, tokens: Sequence[str]) -> N.Layer:
    takes = _TAKES.get(kind, ())
    values: dict[str, Any] = {}
    name = None
    for token in tokens:
        if token.startswith("@") and len(token) > 1:
            name = token[1:]
            continue
        found = _TOKEN.match(token.lower())
        key = None
        if found:
            key = found.group(1) or (
                "p" if found.group(3) else "out" if found.group(4) else found.group(5)
            )
        if found is None or key is None or key not in takes:
            listed = ", ".join(_SHOW[t] for t in takes) + (", " if takes else "")
            msg = f"layer {index} ({kind}): unknown token {token!r} ({kind} takes {listed}@name)"
            raise NetError(msg)
        if key == "p":
            values[key] = _padding(index, kind, found.group(3))
        elif key in ("nobias", "ceil"):
            values[key] = True
        else:
            values[key] = _ints(found.group(2) or found.group(4))
    out = values.get("out")
    if out is not None and kind in ("conv", "tconv", "fc") and len(out) != 1:
        what = "features" if kind == "fc" else "channels"
        msg = f"layer {index} ({kind}): give one number of {what}, got {','.join(map(str, out))}"
        raise NetError(msg)
    groups = values.get("g", (1,))
    return N.Layer(
        kind,
        out=out[0] if out is not None and kind in ("conv", "tconv", "fc") else None,
        kernel=values.get("k"),
        stride=values.get("s"),
        padding=values.get("p"),
        dilation=values.get("d"),
        groups=groups[0],
        bias=not values.get("nobias", False),
        output_padding=values.get("op"),
        ceil_mode=values.get("ceil", False),
        output_size=out if kind in N.ADAPTIVE_KINDS else None,
        name=name,
    )


def _padding(index: int, kind: str, text: str) -> str | tuple[int, ...]:
    word = text.lower()
    if word in PADDING_WORDS:
        return word
    if re.fullmatch(_NUMBERS, word):
        return _ints(word)
    words = ", ".join(f"p{w}" for w in PADDING_WORDS)
    msg = f"layer {index} ({kind}): unknown padding 'p{text}' (pN, pA,B… or {words})"
    raise NetError(msg)


# --- JSON and TOML: a list of layer objects ------------------------------------------------

_KEYS = (
    "type",
    "out",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "groups",
    "bias",
    "output_padding",
    "ceil_mode",
    "name",
    "inputs",
    "output_size",
)


def parse_json(text: str, where: str) -> Source:
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = f"{where}: not valid JSON: {exc}"
        raise NetError(msg) from None
    return _from_data(data, where, "a JSON list of layer objects")


def parse_toml(text: str, where: str) -> Source:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{where}: not valid TOML: {exc}"
        raise NetError(msg) from None
    if not isinstance(data, dict) or not isinstance(data.get("layer"), list):
        msg = f"{where}: expected [[layer]] tables"
        raise NetError(msg)
    return _from_data(
        {"layers": data["layer"], **{k: v for k, v in data.items() if k != "layer"}},
        where,
        "[[layer]] tables",
    )


def _from_data(data: Any, where: str, expected: str) -> Source:
    shape = None
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"layers", "input_shape"})
        if unknown or "layers" not in data:
            extra = f", not {unknown[0]!r}" if unknown else ""
            msg = (
                f"{where}: expected {expected} (an object takes 'layers' and 'input_shape'{extra})"
            )
            raise NetError(msg)
        if "input_shape" in data:
            shape = _int_list(data["input_shape"], f"{where}: input_shape")
        data = data["layers"]
    if not isinstance(data, list) or not data:
        msg = f"{where}: expected {expected}"
        raise NetError(msg)
    names: dict[str, int] = {}
    layers = []
    for index, item in enumerate(data, start=1):
        layer = _layer_from_dict(index, item, names)
        if layer.name:
            names[layer.name] = index - 1
        layers.append(layer)
    return Source(layers, tuple(shape) if shape else None)


def _int_list(value: Any, what: str) -> list[int]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        msg = f"{what} must be a whole number or a list of them, got {value!r}"
        raise NetError(msg)
    return items


def _layer_from_dict(index: int, item: Any, names: dict[str, int]) -> N.Layer:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        msg = f'layer {index}: expected an object with a \'type\' ("conv", "fc", …)'
        raise NetError(msg)
    word = item["type"]
    kind = kind_of(word) or (word.lower() if word.lower() in ("add", "concat") else None)
    if kind is None:
        raise _unknown_kind(index, word)
    name = item.get("name")
    label = f"layer {index} ({kind}{' ' + name if isinstance(name, str) and name else ''})"
    unknown = [k for k in item if k not in _KEYS]
    if unknown:
        msg = f"{label}: unknown key {unknown[0]!r} (keys: {', '.join(_KEYS)})"
        raise NetError(msg)

    def axes(key: str) -> tuple[int, ...] | None:
        return tuple(_int_list(item[key], f"{label}: {key}")) if key in item else None

    def one(key: str, default: int | None) -> int | None:
        if key not in item:
            return default
        value = item[key]
        if not isinstance(value, int) or isinstance(value, bool):
            msg = f"{label}: {key} must be a whole number, got {value!r}"
            raise NetError(msg)
        return value

    def flag(key: str, default: bool) -> bool:
        value = item.get(key, default)
        if not isinstance(value, bool):
            msg = f"{label}: {key} must be true or false, got {value!r}"
            raise NetError(msg)
        return value

    padding: Any = item.get("padding")
    if isinstance(padding, str):
        padding = _padding(index, kind, padding)
    elif padding is not None:
        padding = tuple(_int_list(padding, f"{label}: padding"))
    inputs = None
    if "inputs" in item:
        refs = item["inputs"] if isinstance(item["inputs"], list) else [item["inputs"]]
        found = []
        for ref in refs:
            if isinstance(ref, str) and ref in names:
                found.append(names[ref])
            elif isinstance(ref, int) and not isinstance(ref, bool) and 0 <= ref < index:
                found.append(ref - 1)  # 1-based layer numbers; 0 is the network's input
            elif ref == "input":
                found.append(-1)
            else:
                msg = (
                    f"{label}: input {ref!r} is not an earlier layer's name or number "
                    "(0 or 'input': the network's input)"
                )
                raise NetError(msg)
        inputs = tuple(found)
    if kind in ("add", "concat") and (inputs is None or len(inputs) < 2):
        msg = f"{label}: {kind} needs 'inputs': two or more earlier layers"
        raise NetError(msg)
    return N.Layer(
        kind,
        out=one("out", None),
        kernel=axes("kernel"),
        stride=axes("stride"),
        padding=padding,
        dilation=axes("dilation"),
        groups=one("groups", 1) or 1,
        bias=flag("bias", True),
        output_padding=axes("output_padding"),
        ceil_mode=flag("ceil_mode", False),
        output_size=axes("output_size") or (axes("out") if kind in N.ADAPTIVE_KINDS else None),
        name=item.get("name") if isinstance(item.get("name"), str) else None,
        inputs=inputs,
    )


# --- the text PyTorch prints for a model ------------------------------------------------------

_OPEN = re.compile(r"^(?:\((?P<attr>[^)]*)\):\s*)?(?:(?P<times>\d+) x )?(?P<cls>[\w.]+)\($")
_LEAF = re.compile(
    r"^(?:\((?P<attr>[^)]*)\):\s*)?(?:(?P<times>\d+) x )?(?P<cls>[\w.]+)\((?P<args>.*)\)$"
)
_PT_ACTIVATIONS = {
    "ReLU": "relu",
    "ReLU6": "relu6",
    "LeakyReLU": "leakyrelu",
    "ELU": "elu",
    "SELU": "selu",
    "CELU": "celu",
    "GELU": "gelu",
    "SiLU": "silu",
    "Mish": "mish",
    "Sigmoid": "sigmoid",
    "Hardsigmoid": "hardsigmoid",
    "Hardswish": "hardswish",
    "Tanh": "tanh",
    "Softmax": "softmax",
    "LogSoftmax": "logsoftmax",
    "Softplus": "softplus",
    "Identity": "identity",
    "Dropout": "dropout",
    "Dropout1d": "dropout",
    "Dropout2d": "dropout",
    "Dropout3d": "dropout",
    "AlphaDropout": "dropout",
    "Hardtanh": "clip",
}
# a block whose printout lists a skip path after the main one: read the main path only
_BRANCHES = ("downsample", "shortcut")


def looks_like_pytorch(text: str) -> bool:
    return bool(re.search(r"^\s*(?:\([^)]*\):\s*)?\w+\(", text, re.MULTILINE))


def parse_pytorch(text: str, where: str) -> Source:
    """Leaf modules in printed order; containers (Sequential, blocks) are read in order,
    ``(1-2): 2 x Block(`` repeated, and a ``downsample``/``shortcut`` branch left out."""
    stack: list[tuple[str, int, list[tuple[int, N.Layer]]]] = [("", 1, [])]
    skipped: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == ")":
            if len(stack) == 1:
                msg = f"{where}, line {number}: ')' closes nothing"
                raise NetError(msg)
            attr, times, body = stack.pop()
            if attr.split(".")[-1] in _BRANCHES:
                skipped.append(f"{attr} ({len(body)} layers)")
                continue
            stack[-1][2].extend(body * times)
            continue
        opened = _OPEN.match(line)
        if opened:
            parent = stack[-1][0]
            attr = opened["attr"] or ""
            path = f"{parent}.{attr}" if parent and attr else attr or parent
            stack.append((path, int(opened["times"] or 1), []))
            continue
        leaf = _LEAF.match(line)
        if not leaf:
            msg = f"{where}, line {number}: not a line of a printed PyTorch model: {line!r}"
            raise NetError(msg)
        path = stack[-1][0]
        attr = f"{path}.{leaf['attr']}" if path and leaf["attr"] else leaf["attr"]
        at = f"{where}, line {number}"
        try:
            layer = _pytorch_layer(leaf["cls"], leaf["args"], attr, at)
        except (TypeError, ValueError, IndexError, KeyError):
            msg = f"{at}: cannot read {leaf['cls']}({leaf['args']})"
            raise NetError(msg) from None
        stack[-1][2].extend([(number, layer)] * int(leaf["times"] or 1))
    if len(stack) != 1:
        msg = f"{where}: {len(stack) - 1} module(s) opened with '(' are never closed"
        raise NetError(msg)
    layers = [layer for _, layer in stack[0][2]]
    if not layers:
        msg = f"{where}: no layers found"
        raise NetError(msg)
    notes = []
    if skipped:
        notes.append(
            f"the printout hides branches: {', '.join(skipped)} left out and the rest read as "
            f"a chain (shapes and receptive field of the main path; those layers' parameters "
            f"are not counted); an ONNX export shows the whole graph"
        )
    return Source(layers, None, notes)


def _call_args(args: str, where: str) -> tuple[list[Any], dict[str, Any]]:
    try:
        call = ast.parse(f"f({args})", mode="eval").body
    except SyntaxError:
        msg = f"{where}: cannot read the arguments ({args})"
        raise NetError(msg) from None
    assert isinstance(call, ast.Call)

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return node.id  # padding=same, padding_mode=zeros
        if isinstance(node, ast.Tuple):
            return tuple(value(e) for e in node.elts)
        try:
            return ast.literal_eval(node)
        except ValueError:
            return ast.unparse(node)

    return [value(a) for a in call.args], {k.arg or "": value(k.value) for k in call.keywords}


def _tuple(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    return tuple(value) if isinstance(value, tuple) else (int(value),)


def _pytorch_layer(cls: str, args: str, attr: str | None, where: str) -> N.Layer:
    pos, kw = _call_args(args, where)
    name = attr or None
    found = re.fullmatch(
        r"(Conv|ConvTranspose|MaxPool|AvgPool|LPPool|AdaptiveAvgPool|AdaptiveMaxPool|BatchNorm)([123])d",
        cls,
    )
    if found:
        base, dims = found[1], int(found[2])

        def arg(i: int, key: str, default: Any = None) -> Any:
            return pos[i] if len(pos) > i else kw.get(key, default)

        if base in ("Conv", "ConvTranspose"):
            padding = arg(4, "padding", 0)
            padding = padding if isinstance(padding, str) else _tuple(padding)
            return N.Layer(
                "conv" if base == "Conv" else "tconv",
                out=int(arg(1, "out_channels")),
                kernel=_tuple(arg(2, "kernel_size")),
                stride=_tuple(arg(3, "stride", 1)),
                padding=padding,
                dilation=_tuple(kw.get("dilation", 1)),
                groups=int(kw.get("groups", 1)),
                bias=bool(kw.get("bias", True)),
                output_padding=_tuple(kw.get("output_padding")),
                name=name,
                in_channels=int(arg(0, "in_channels")),
                dims=dims,
            )
        if base in ("MaxPool", "AvgPool", "LPPool"):
            kind = {"MaxPool": "maxpool", "AvgPool": "avgpool", "LPPool": "lppool"}[base]
            shift = 1 if base == "LPPool" else 0  # LPPool2d(norm_type, kernel_size, stride, …)
            kernel = _tuple(arg(shift, "kernel_size"))
            stride = arg(shift + 1, "stride")
            padding = 0 if base == "LPPool" else arg(2, "padding", 0)
            return N.Layer(
                kind,
                kernel=kernel,
                stride=_tuple(stride) if stride is not None else None,
                padding=_tuple(padding),
                dilation=_tuple(kw.get("dilation")) if base == "MaxPool" else None,
                ceil_mode=bool(kw.get("ceil_mode", False)),
                name=name,
                dims=dims,
            )
        if base.startswith("Adaptive"):
            size = arg(0, "output_size")
            if isinstance(size, tuple) and None in size:
                msg = f"{where}: an adaptive pool that keeps an axis (None) is not supported"
                raise NetError(msg)
            kind = "adaptiveavgpool" if "Avg" in base else "adaptivemaxpool"
            return N.Layer(kind, output_size=_tuple(size), name=name, dims=dims)
        features = int(arg(0, "num_features"))
        affine = bool(kw.get("affine", True))
        extra = 0 if affine else -2 * features
        return N.Layer("bn", name=name, in_channels=features, extra_params=extra)
    if cls == "Linear":
        return N.Layer(
            "fc",
            out=int(kw.get("out_features", pos[1] if len(pos) > 1 else 0)),
            bias=bool(kw.get("bias", True)),
            name=name,
            in_features=int(kw.get("in_features", pos[0] if pos else 0)),
        )
    if cls == "Flatten":
        return N.Layer("flatten", name=name)
    if cls == "PReLU":
        return N.Layer("prelu", name=name, extra_params=int(kw.get("num_parameters", 1)))
    if cls in _PT_ACTIVATIONS:
        return N.Layer(_PT_ACTIVATIONS[cls], name=name)
    msg = f"{where}: unknown PyTorch module {cls!r}"
    raise NetError(
        msg, hint="net reads Conv, ConvTranspose, pools, BatchNorm, Linear, Flatten and activations"
    )


# --- which reader -------------------------------------------------------------------------------


STDIN_LABEL = "LAYERS '-' (standard input)"


def read(spec: str, stdin: BinaryIO | None = None) -> Source:
    """A file by its suffix (.json, .toml, .onnx, else PyTorch's printout), inline layers,
    or ``-``: standard input, its form told from its text (:func:`read_text`)."""
    if spec == "-":
        return read_text(_stdin_text(stdin), STDIN_LABEL)
    path = Path(spec)
    suffix = path.suffix.lower()
    named = suffix in (".json", ".toml", ".onnx", ".txt") and ";" not in spec
    try:
        exists = path.is_file()
    except (OSError, ValueError):  # a name too long or with a NUL byte: inline text
        exists = False
    is_file = exists or named
    if not is_file:
        return parse_inline(spec)
    if not path.is_file():
        msg = f"{spec}: no such file"
        raise NetError(msg)
    if suffix == ".onnx":
        from convcli.onnxread import parse_onnx

        return parse_onnx(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{spec}: cannot read: {getattr(exc, 'strerror', None) or exc}"
        raise NetError(msg) from None
    if suffix == ".json":
        return parse_json(text, path.name)
    if suffix == ".toml":
        return parse_toml(text, path.name)
    if looks_like_pytorch(text):
        return parse_pytorch(text, path.name)
    return parse_inline(text)  # a text file of inline layers


def read_text(text: str, where: str = "stdin") -> Source:
    """Layers from text of no known file name: TOML when it opens with a table header
    (``[[layers]]``) or has a ``key =`` line, JSON when it opens with ``[`` or ``{``,
    PyTorch's printout, else inline layers."""
    table = re.match(r"\s*\[\[?\s*[A-Za-z_\"']", text)
    if table or re.search(r"^\s*[A-Za-z_][\w-]*\s*=", text, re.MULTILINE):
        return parse_toml(text, where)
    if text.lstrip()[:1] in ("[", "{"):
        return parse_json(text, where)
    if looks_like_pytorch(text):
        return parse_pytorch(text, where)
    return parse_inline(text)


def _stdin_text(stream: BinaryIO | None) -> str:
    from convcli.errors import ParseError
    from convcli.matrix_io.sources import decode_text, read_stdin

    pipe = "the layers into it, e.g. cat model.json | convcli net - -i 3,224,224"
    data = read_stdin(stream, STDIN_LABEL, pipe)
    if not data.strip():
        msg = f"{STDIN_LABEL}: standard input is empty; pipe the layers into it"
        raise NetError(msg)
    try:
        return decode_text(data, STDIN_LABEL)
    except ParseError as error:
        hint = " (an .onnx model is read from its file: give its path)"
        raise NetError(str(error).split("; ")[0] + hint) from None
