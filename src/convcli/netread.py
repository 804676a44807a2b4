"""Reading a network for ``convcli net``: inline layers, JSON, TOML, the text PyTorch
prints for a model, and ONNX graphs (with the optional ``onnx`` package).

Every reader returns a :class:`Source`: the layers in order, the input shape when the
source gives one, and notes (such as a printout that hides a branch). Errors are
:class:`~convcli.net.NetError` lines that name the layer, the line or the operator.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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


# --- ONNX --------------------------------------------------------------------------------------

ONNX_OPS = (
    "Conv",
    "ConvTranspose",
    "MaxPool",
    "AveragePool",
    "LpPool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "GlobalLpPool",
    "Gemm",
    "MatMul",
    "BatchNormalization",
    "Add",
    "Concat",
    "Flatten",
    "Reshape",
    "Relu",
    "LeakyRelu",
    "PRelu",
    "Elu",
    "Selu",
    "Celu",
    "Gelu",
    "Sigmoid",
    "HardSigmoid",
    "HardSwish",
    "Tanh",
    "Softmax",
    "LogSoftmax",
    "Softplus",
    "Mish",
    "Clip",
    "Dropout",
    "Identity",
)


def parse_onnx(path: Path) -> Source:
    """The graph's nodes in order (ONNX requires a topological order), each reading the
    layers that produce its inputs; weights (initializers) give the channel counts.

    The nodes that compute a value rather than data (Constant, Shape, NonZero, and Gather,
    Unsqueeze, Squeeze, Concat, Slice, Cast, Mul, Div, Add, Sub, Identity and
    ConstantOfShape when they read no data tensor) are folded while reading, not layers:
    stored tensors and Constants are read, and the Shape of a data tensor is known only in
    its item 0, the batch (net does not track the other sizes while reading), so
    ``Gather(Shape(x), 0)`` or ``Slice(Shape(x), 0, 1)`` is the batch; arithmetic keeps it
    only when it multiplies or divides it by 1 or adds or subtracts 0. A Reshape whose target
    folds to two items (batch, features), (batch, -1), or numbers such as (1, -1), is a
    flatten; one whose target cannot be folded (another size of a Shape, a graph input,
    NonZero, arithmetic on the batch) is refused, naming the node and why."""
    try:
        import onnx
        from onnx import helper
    except ImportError:
        msg = "reading .onnx files needs the onnx package"
        raise NetError(msg, hint="pip install 'convcli[onnx]'") from None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and others for a bad file
        msg = f"{path.name}: not an ONNX model ({type(exc).__name__})"
        raise NetError(msg) from None
    graph = model.graph
    weights = {t.name: tuple(t.dims) for t in graph.initializer}
    tensors: dict[str, Any] = {t.name: t for t in graph.initializer}
    # an integer graph input is a value given at run time (a shape), not the network's data
    integer = (onnx.TensorProto.INT64, onnx.TensorProto.INT32)
    given = {
        i.name
        for i in graph.input
        if i.name not in weights and i.type.tensor_type.elem_type in integer
    }
    values = set(weights) | given
    unsupported = set()
    for node in graph.node:  # which nodes compute values (folded) and which data (layers)
        op = node.op_type
        if op in _ALWAYS_VALUES or (op in _FOLD_OPS and all(x in values for x in node.input if x)):
            values.update(node.output[:1])
        elif op not in ONNX_OPS:
            unsupported.add(op)
    if unsupported:
        msg = f"{path.name}: unsupported ONNX operators: {', '.join(sorted(unsupported))}"
        raise NetError(
            msg,
            hint=f"net reads {', '.join(ONNX_OPS[:11])}, activations, Add, Concat, Flatten",
        )
    for node in graph.node:  # a Constant node is a stored tensor too (a Reshape's shape)
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None:
                weights[node.output[0]] = tuple(value.dims)
                tensors[node.output[0]] = value
    folder = _Folder(tensors)
    for name in given:
        folder.values[name] = _Unknown(f"it comes from the graph input {name!r}, given at run time")
    inputs = [i for i in graph.input if i.name not in weights and i.name not in given]
    if len(inputs) != 1:
        msg = f"{path.name}: the graph has {len(inputs)} data inputs; net reads graphs with one"
        raise NetError(msg)
    dims = inputs[0].type.tensor_type.shape.dim
    shape: tuple[int, ...] | None = None
    sizes = [d.dim_value if d.HasField("dim_value") else 0 for d in dims]
    if len(sizes) >= 3 and all(v > 0 for v in sizes[1:]):
        shape = tuple(sizes[1:])  # drop the batch axis
    producer: dict[str, int] = {inputs[0].name: -1}
    layers: list[N.Layer] = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.output[:1] and node.output[0] in values:
            if node.op_type != "Constant" or node.output[0] not in weights:
                folder.fold(node, attrs, node.name or node.op_type)
                size = getattr(folder.values[node.output[0]], "shape", None)
                if size is not None:  # a folded array: a stored tensor for the layers
                    weights[node.output[0]] = tuple(size)
            if node.op_type == "Identity" and node.input[0] in weights:
                weights[node.output[0]] = weights[node.input[0]]  # PyTorch's weight aliases
            continue
        data = [x for x in node.input if x and x not in values]
        where = f"{path.name}: node {node.name or node.op_type}"
        missing = [x for x in data if x not in producer]
        if not data:
            msg = f"{where} reads no data, only stored tensors"
            raise NetError(msg)
        if missing:
            msg = f"{where} reads {missing[0]!r}, which no earlier node produces"
            raise NetError(msg)
        if node.op_type == "Reshape":
            data = data[:1]
        layer = _onnx_layer(
            node.op_type, attrs, [weights.get(x) for x in node.input], folder, node, where
        )
        if node.op_type in ("Add",) and len(data) == 1:
            added = next(x for x in node.input if x and x not in data)
            if added not in weights:
                why = getattr(folder.get(added), "why", "it is not a stored tensor")
                msg = f"{where} adds {added!r}, whose size is not known while reading: {why}"
                raise NetError(msg)
            layer = N.Layer("bias", extra_params=_size(weights[added]))
        src = tuple(producer[x] for x in data)
        layer = replace(layer, name=node.name or None, inputs=src)
        for out in node.output[:1]:
            producer[out] = len(layers)
        layers.append(layer)
    if not layers:
        msg = f"{path.name}: the graph has no nodes"
        raise NetError(msg)
    return Source(layers, shape)


def _size(dims: Sequence[int] | None) -> int:
    out = 1
    for d in dims or ():
        out *= d
    return out


def _onnx_pads(attrs: dict[str, Any], n: int) -> str | tuple[int, ...] | None:
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto == "SAME_UPPER":
        return "same"
    if auto == "SAME_LOWER":
        return "same-lower"
    if auto == "VALID":
        return "valid"
    pads = attrs.get("pads")
    if not pads:
        return None
    pads = list(pads)
    k = len(pads) // 2
    return tuple(
        side for a in range(k) for side in (pads[a], pads[k + a])
    )  # ONNX: begins, then ends


def _onnx_layer(
    op: str,
    attrs: dict[str, Any],
    shapes: list[tuple[int, ...] | None],
    folder: _Folder,
    node: Any,
    where: str,
) -> N.Layer:
    def ints(key: str) -> tuple[int, ...] | None:
        value = attrs.get(key)
        return tuple(int(v) for v in value) if value is not None else None

    if op in ("Conv", "ConvTranspose"):
        w = shapes[1] if len(shapes) > 1 else None
        if w is None:
            msg = f"{where}: the weight must be an initializer (a stored tensor)"
            raise NetError(msg)
        g = int(attrs.get("group", 1))
        kernel = ints("kernel_shape") or w[2:]
        bias = len(shapes) > 2 and shapes[2] is not None
        if op == "Conv":
            return N.Layer(
                "conv",
                out=w[0],
                in_channels=w[1] * g,
                kernel=kernel,
                stride=ints("strides"),
                padding=_onnx_pads(attrs, len(kernel)),
                dilation=ints("dilations"),
                groups=g,
                bias=bias,
                dims=len(kernel),
            )
        if attrs.get("output_shape") is not None:
            msg = f"{where}: ConvTranspose with output_shape is not supported; give pads"
            raise NetError(msg)
        return N.Layer(
            "tconv",
            out=w[1] * g,
            in_channels=w[0],
            kernel=kernel,
            stride=ints("strides"),
            padding=_onnx_pads(attrs, len(kernel)),
            dilation=ints("dilations"),
            groups=g,
            bias=bias,
            output_padding=ints("output_padding"),
            dims=len(kernel),
        )
    if op in ("MaxPool", "AveragePool", "LpPool"):
        window = ints("kernel_shape")
        kind = {"MaxPool": "maxpool", "AveragePool": "avgpool", "LpPool": "lppool"}[op]
        return N.Layer(
            kind,
            kernel=window,
            stride=ints("strides") or (1,),
            padding=_onnx_pads(attrs, len(window or ())),
            dilation=ints("dilations"),
            ceil_mode=bool(attrs.get("ceil_mode", 0)),
        )
    if op in ("GlobalAveragePool", "GlobalLpPool"):
        return N.Layer("gap")
    if op == "GlobalMaxPool":
        return N.Layer("gmp")
    if op in ("Gemm", "MatMul"):
        w = shapes[1] if len(shapes) > 1 else None
        if w is None or len(w) != 2:
            msg = f"{where}: {op} needs a 2-D weight initializer as its second input"
            raise NetError(msg)
        trans = op == "Gemm" and bool(attrs.get("transB", 0))
        fin, fout = (w[1], w[0]) if trans else (w[0], w[1])
        bias = op == "Gemm" and len(shapes) > 2 and shapes[2] is not None
        return N.Layer("fc", out=fout, in_features=fin, bias=bias)
    if op == "BatchNormalization":
        return N.Layer("bn", in_channels=(shapes[1] or (0,))[0] or None)
    if op == "Add":
        return N.Layer("add")
    if op == "Concat":
        if int(attrs.get("axis", 1)) != 1:
            axis = attrs.get("axis")
            msg = f"{where}: Concat along axis {axis} is not supported (channels: axis 1)"
            raise NetError(msg)
        return N.Layer("concat")
    if op in ("Flatten", "Reshape"):
        if op == "Reshape" and len(node.input) > 1:
            _flatten_target(folder.get(node.input[1]), where)
        return N.Layer("flatten")
    if op == "PRelu":
        return N.Layer("prelu", extra_params=_size(shapes[1] if len(shapes) > 1 else None))
    return N.Layer(
        {
            "Relu": "relu",
            "LeakyRelu": "leakyrelu",
            "Elu": "elu",
            "Selu": "selu",
            "Celu": "celu",
            "Gelu": "gelu",
            "Sigmoid": "sigmoid",
            "HardSigmoid": "hardsigmoid",
            "HardSwish": "hardswish",
            "Tanh": "tanh",
            "Softmax": "softmax",
            "LogSoftmax": "logsoftmax",
            "Softplus": "softplus",
            "Mish": "mish",
            "Clip": "clip",
            "Dropout": "dropout",
            "Identity": "identity",
        }[op]
    )


# --- ONNX: the values a graph computes for its Reshapes' shapes --------------------------------

# operators that compute shape values; a node of these is folded (not a layer) when it reads
# no data tensor; Shape and NonZero always make a value, whatever they read
_FOLD_OPS = (
    "Constant",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Slice",
    "Cast",
    "Mul",
    "Div",
    "Add",
    "Sub",
    "Identity",
    "ConstantOfShape",
    "NonZero",
)
_ALWAYS_VALUES = ("Constant", "Shape", "NonZero")
_FOLD_LIMIT = 1 << 16  # items: a shape value is short; a weight is never folded


class _Batch:
    """The batch size: item 0 of a Shape, which the graph leaves free."""

    def __repr__(self) -> str:
        return "batch"


BATCH = _Batch()


@dataclass(frozen=True)
class _Unknown:
    """A value net cannot know while reading, and why."""

    why: str


@dataclass(frozen=True)
class _ShapeOf:
    """The Shape of a data tensor: the batch first, its other sizes unknown while reading."""

    node: str
    tensor: str


_Folded = Any  # an object ndarray (items: int, float, BATCH or _Unknown), _ShapeOf or _Unknown


class _Folder:
    """Folds the shape-computing nodes: each output becomes a constant array, the Shape of a
    data tensor (only its batch item is known) or an _Unknown that says why."""

    def __init__(self, tensors: dict[str, Any]) -> None:
        self.tensors = tensors  # initializers and Constant values, read when a node needs them
        self.values: dict[str, _Folded] = {}

    def get(self, name: str) -> _Folded:
        if name not in self.values:
            import numpy as np
            from onnx import numpy_helper

            tensor = self.tensors.get(name)
            if tensor is None:
                return _Unknown(f"{name!r} is computed from data at run time")
            size = _size(tuple(tensor.dims))
            try:
                if size > _FOLD_LIMIT:
                    raise ValueError
                array = numpy_helper.to_array(tensor)
            except Exception:  # a shape-only or external tensor: its values are not stored
                self.values[name] = _Unknown(f"the stored tensor {name!r} holds no values")
            else:
                self.values[name] = np.array(array.tolist(), dtype=object).reshape(array.shape)
        return self.values[name]

    def fold(self, node: Any, attrs: dict[str, Any], label: str) -> None:
        try:
            value = self._fold(node, attrs, label)
        except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError) as exc:
            value = _Unknown(f"node {label} ({node.op_type}) cannot be folded: {exc}")
        for out in node.output[:1]:
            self.values[out] = value

    def _fold(self, node: Any, attrs: dict[str, Any], label: str) -> _Folded:
        import numpy as np

        op = node.op_type
        if op == "NonZero":
            return _Unknown(f"node {label} (NonZero) depends on the values of the data")
        if op == "Constant":
            return _constant(attrs)
        inputs = [self.get(x) if x else None for x in node.input]
        if op == "Shape":
            start, end = int(attrs.get("start", 0)), attrs.get("end")
            of_value = node.input[0] in self.values or node.input[0] in self.tensors
            x = inputs[0] if of_value else None  # else the Shape of a data tensor
            if isinstance(x, _Unknown):  # NonZero's output: its very shape is data
                return x
            if isinstance(x, np.ndarray):
                return np.array(list(x.shape), dtype=object)[start:end]
            if start == 0 and end == 1:
                return np.array([BATCH], dtype=object)
            if start == 0 and end is None:
                return _ShapeOf(label, node.input[0])
            upto = "" if end is None else end
            return _Unknown(
                f"node {label} takes sizes {start}:{upto} of {node.input[0]!r}; "
                "only the batch (item 0) is known while reading"
            )
        first = inputs[0]
        if isinstance(first, _ShapeOf) and op in ("Identity", "Cast"):
            return first
        if isinstance(first, _ShapeOf) and op in ("Gather", "Slice"):
            return self._of_shape(first, node, attrs, inputs, label)
        for x in inputs:
            if isinstance(x, _Unknown):
                return x
            if isinstance(x, _ShapeOf):
                return _Unknown(
                    f"node {label} ({op}) uses the whole Shape of {x.tensor!r} "
                    f"(node {x.node}); only its item 0, the batch, is known while reading"
                )
        args: list[Any] = [x for x in inputs if x is not None]
        if op == "Identity":
            return args[0]
        if op == "Cast":
            to = int(attrs.get("to", 0))
            floats = to in (1, 10, 11, 16)  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
            return _map(args[0], lambda v: float(v) if floats else int(v))
        if op == "Gather":
            return np.take(args[0], _int_array(args[1]), axis=int(attrs.get("axis", 0)))
        if op in ("Unsqueeze", "Squeeze"):
            axes = attrs.get("axes")
            if axes is None and len(args) > 1:
                axes = [int(v) for v in _int_array(args[1]).ravel()]
            if op == "Unsqueeze":
                return np.expand_dims(args[0], tuple(axes or ()))
            return np.squeeze(args[0], tuple(axes) if axes is not None else None)
        if op == "Concat":
            return np.concatenate(args, axis=int(attrs.get("axis", 0)))
        if op == "Slice":
            return args[0][_slices(args[0].ndim, attrs, [_int_array(a) for a in args[1:]])]
        if op == "ConstantOfShape":
            dims = [int(v) for v in _int_array(args[0]).ravel()]
            if _size(dims) > _FOLD_LIMIT:
                return _Unknown(f"node {label} (ConstantOfShape) is too large to fold")
            fill = attrs.get("value")
            item = _constant({"value": fill}).ravel()[0] if fill is not None else 0.0
            return np.full(dims, item, dtype=object)
        a, b = np.broadcast_arrays(args[0], args[1])
        out = np.empty(a.shape, dtype=object)
        for index in np.ndindex(a.shape):
            out[index] = _arith(op, a[index], b[index], label)
        return out

    def _of_shape(
        self, shape: _ShapeOf, node: Any, attrs: dict[str, Any], inputs: list[Any], label: str
    ) -> _Folded:
        import numpy as np

        args = [_int_array(x) for x in inputs[1:] if x is not None]
        if node.op_type == "Gather":
            picks = args[0]
            items = [BATCH if int(i) == 0 else None for i in picks.ravel()]
        else:
            part = _slices(1, attrs, args)[0]
            batch_only = part.start == 0 and part.stop == 1 and part.step in (1, None)
            items = [BATCH if batch_only else None]
            picks = np.array(items, dtype=object)
        if any(i is None for i in items):
            return _Unknown(
                f"node {label} ({node.op_type}) takes a size other than the batch from the "
                f"Shape of {shape.tensor!r}; only item 0, the batch, is known while reading"
            )
        return np.array(items, dtype=object).reshape(picks.shape)


def _constant(attrs: dict[str, Any]) -> Any:
    import numpy as np
    from onnx import numpy_helper

    for key in ("value_int", "value_float", "value_ints", "value_floats"):
        if key in attrs:
            return np.array(attrs[key], dtype=object)
    if "value" in attrs:
        array = numpy_helper.to_array(attrs["value"])
        return np.array(array.tolist(), dtype=object).reshape(array.shape)
    return _Unknown("a Constant without a numeric value")


def _int_array(value: Any) -> Any:
    import numpy as np

    if not isinstance(value, np.ndarray):
        msg = "an index or axis must be a constant"
        raise TypeError(msg)
    for v in value.ravel():
        if isinstance(v, _Unknown):
            raise TypeError(v.why)
        if not isinstance(v, int):
            msg = f"an index or axis must be a whole number, got {v!r}"
            raise TypeError(msg)
    return value.astype(np.int64)


def _slices(ndim: int, attrs: dict[str, Any], args: list[Any]) -> tuple[slice, ...]:
    if args:  # opset 10+: starts, ends, axes, steps are inputs
        starts, ends = ([int(v) for v in a.ravel()] for a in args[:2])
        axes = [int(v) for v in args[2].ravel()] if len(args) > 2 else list(range(len(starts)))
        steps = [int(v) for v in args[3].ravel()] if len(args) > 3 else [1] * len(starts)
    else:
        starts, ends = list(attrs["starts"]), list(attrs["ends"])
        axes = list(attrs.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    parts = [slice(None)] * ndim
    for axis, start, end, step in zip(axes, starts, ends, steps, strict=True):
        parts[axis] = slice(start, end, step)
    return tuple(parts)


def _map(array: Any, cast: Any) -> Any:
    import numpy as np

    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        v = array[index]
        out[index] = v if isinstance(v, _Batch | _Unknown) else cast(v)
    return out


def _arith(op: str, a: Any, b: Any, label: str) -> Any:
    for v in (a, b):
        if isinstance(v, _Unknown):
            return v
    if isinstance(a, _Batch) or isinstance(b, _Batch):
        batch = (
            (op == "Mul" and 1 in (a, b))
            or (op == "Add" and 0 in (a, b))
            or (op == "Sub" and b == 0)
            or (op == "Div" and b == 1)
        )
        if batch and not (isinstance(a, _Batch) and isinstance(b, _Batch)):
            return BATCH
        return _Unknown(f"node {label} ({op}) computes with the batch size, which is free")
    if op == "Mul":
        return a * b
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if isinstance(a, int) and isinstance(b, int):  # ONNX's integer Div truncates
        q = abs(a) // abs(b)
        return q if (a < 0) == (b < 0) else -q
    return a / b


def _flatten_target(target: _Folded, where: str) -> None:
    """A Reshape's target that folds to two items: the flatten net reads."""
    import numpy as np

    if isinstance(target, _ShapeOf):
        target = _Unknown(f"it is the whole Shape of {target.tensor!r} (node {target.node})")
    items = list(target.ravel()) if isinstance(target, np.ndarray) else [target]
    unknown = next((v for v in items if isinstance(v, _Unknown)), None)
    if unknown is not None:
        msg = f"{where}: the Reshape's target shape is not known while reading: {unknown.why}"
        raise NetError(msg)
    if len(items) != 2 or not isinstance(items[1], int) or isinstance(items[0], float):
        dims = "[" + ", ".join(repr(v) for v in items) + "]"
        msg = f"{where}: only a Reshape to (batch, features) is supported, got {dims}"
        raise NetError(msg)


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
    from convcli.matrix_io.sources import decode_text, max_input_bytes

    stream = stream if stream is not None else sys.stdin.buffer
    try:
        interactive = stream.isatty()
    except (OSError, ValueError):
        interactive = False
    if interactive:
        msg = (
            f"{STDIN_LABEL}: standard input is a terminal; pipe the layers into it, "
            "e.g. cat model.json | convcli net - -i 3,224,224"
        )
        raise NetError(msg)
    limit = max_input_bytes()
    try:
        data = stream.read(limit + 1)
    except (OSError, ValueError) as error:
        msg = f"{STDIN_LABEL}: cannot read standard input: {error}"
        raise NetError(msg) from None
    if len(data) > limit:
        msg = (
            f"{STDIN_LABEL} is larger than the input limit of {limit:,} bytes; set "
            "CONVCLI_MAX_INPUT_BYTES to a larger number of bytes to read it"
        )
        raise NetError(msg)
    if not data.strip():
        msg = f"{STDIN_LABEL}: standard input is empty; pipe the layers into it"
        raise NetError(msg)
    try:
        return decode_text(bytes(data), STDIN_LABEL)
    except ParseError as error:
        hint = " (an .onnx model is read from its file: give its path)"
        raise NetError(str(error).split("; ")[0] + hint) from None
