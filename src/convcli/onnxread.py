"""Reading an ONNX graph for ``convcli net`` (the optional ``onnx`` package): its nodes
in order as layers, weights giving the channel counts, and the shape values a graph
computes for its Reshapes folded while reading (:class:`_Folder`).

Errors are :class:`~convcli.net.NetError` lines that name the file, the node or the
operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from convcli import net as N
from convcli.netread import NetError, Source

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
        geometry: dict[str, Any] = {
            "kernel": kernel,
            "stride": ints("strides"),
            "padding": _onnx_pads(attrs, len(kernel)),
            "dilation": ints("dilations"),
            "groups": g,
            "bias": len(shapes) > 2 and shapes[2] is not None,
            "dims": len(kernel),
        }
        if op == "Conv":
            return N.Layer("conv", out=w[0], in_channels=w[1] * g, **geometry)
        if attrs.get("output_shape") is not None:
            msg = f"{where}: ConvTranspose with output_shape is not supported; give pads"
            raise NetError(msg)
        return N.Layer(
            "tconv",
            out=w[1] * g,
            in_channels=w[0],
            output_padding=ints("output_padding"),
            **geometry,
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
