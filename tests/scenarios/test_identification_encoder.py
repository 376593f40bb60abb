import json
from pathlib import Path

import numpy as np
import pytest

from scenarios.identification import encoder
from scenarios.identification.encoder import MINILM, MINILM_INT8, encode

# Vectors of all-MiniLM-L6-v2 in float32 on its original weights (the numpy forward pass this
# product used before the onnxruntime encoders; it matched sentence-transformers to 1e-7).
REFERENCE = json.loads((Path(__file__).parent / "minilm_reference.json").read_text())


def _reference():
    return REFERENCE["texts"], np.array(REFERENCE["vectors"], dtype=np.float32)


def test_encode__int8_encoder__within_cosine_0_99_of_float_minilm():
    # given texts and their float all-MiniLM-L6-v2 vectors
    texts, reference = _reference()

    # when they are embedded by the default (int8) encoder
    vectors = encode(texts)

    # then each vector is unit length and points where the float model's does
    # (measured 0.993-0.996 on these texts; 0.969-1.000, mean 0.993, over 200 varied messages)
    assert vectors.shape == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * reference).sum(axis=1).min() > 0.99


def test_encode__legacy_minilm_encoder__within_cosine_0_999_of_float_minilm():
    # given texts and their float all-MiniLM-L6-v2 vectors
    texts, reference = _reference()

    # when they are embedded by the encoder of models trained before minilm-int8
    vectors = encode(texts, MINILM)

    # then the vectors are the float model's up to its weights' int8 rounding (measured 0.9995-0.9996)
    assert (vectors * reference).sum(axis=1).min() > 0.999


def test_encode__paraphrase_and_unrelated__paraphrase_is_closer():
    # given a complaint, its paraphrase in other words, and an unrelated question
    texts = ["my parcel never showed up", "package not received", "what are your opening hours"]

    # when they are embedded
    vectors = encode(texts, MINILM_INT8)

    # then the paraphrase is far closer than the unrelated text (float model: 0.59 and 0.05). The int8
    # kernels onnxruntime picks depend on the CPU's instruction set and round differently: 0.5758 and
    # 0.03 on an AVX2-only host, under 0.575 on an earlier one, so the values are checked to +-0.01.
    paraphrase, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert paraphrase == pytest.approx(0.575, abs=0.01)
    assert unrelated == pytest.approx(0.03, abs=0.01)


@pytest.mark.parametrize("name", [MINILM_INT8, MINILM])
def test_encode__batch_or_one_by_one__same_vectors(name):
    # given texts of different lengths (padded together in one batch by the float encoder)
    texts = ["cancel #W7766554", "hi, the jacket I ordered last week came with a torn sleeve, what now?"]

    # when embedded together and separately
    together = encode(texts, name)
    alone = np.vstack([encode([t], name) for t in texts])

    # then neither padding nor batch neighbours change a vector
    assert np.allclose(together, alone, atol=1e-5)


def test_encode__no_texts__empty_matrix():
    assert encode([]).shape == (0, 384)


def test_encode__unknown_encoder__refuses():
    with pytest.raises(ValueError, match="unknown sentence encoder 'glove'"):
        encode(["hello"], "glove")


def test_encoder__built_once__later_processes_open_the_cached_graph(settings, tmp_path, monkeypatch):
    # given an empty var dir and no encoder loaded in this process
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(encoder, "_encoders", {})
    first = encode(["where is my parcel"])
    cached = sorted(p.name for p in (tmp_path / "encoders").iterdir())

    # when a new process (an empty in-process cache) loads it again, with the source unreadable
    monkeypatch.setattr(encoder, "_encoders", {})
    monkeypatch.setattr(encoder, "_source_path", lambda: tmp_path / "missing.onnx")
    second = encode(["where is my parcel"])

    # then the graph came from the cached file, keyed by source hash and graph version
    assert cached == [f"minilm-int8-8199be6f699a395f-v{encoder._GRAPH_VERSION}.onnx"]
    assert np.array_equal(first, second)


def test_encoder__damaged_cache_file__rebuilt(settings, tmp_path, monkeypatch):
    # given a cached graph file that is not a graph
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(encoder, "_encoders", {})
    cached = tmp_path / "encoders" / f"minilm-int8-8199be6f699a395f-v{encoder._GRAPH_VERSION}.onnx"
    cached.parent.mkdir()
    cached.write_bytes(b"not a graph")

    # when the encoder loads
    vectors = encode(["where is my parcel"])

    # then it was rebuilt from the source weights and the file replaced
    assert vectors.shape == (1, 384)
    assert cached.stat().st_size > 50_000_000


def test_encoder__source_file_not_the_pinned_one__refuses(settings, tmp_path, monkeypatch):
    # given no cached graph and a source file with other bytes than the pinned model
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(encoder, "_encoders", {})
    source = tmp_path / "model.onnx"
    source.write_bytes(b"something else")
    monkeypatch.setattr(encoder, "_source_path", lambda: source)

    # when the encoder loads, then it refuses and caches nothing
    with pytest.raises(RuntimeError, match="is not the pinned all-MiniLM-L6-v2 int8 file"):
        encode(["hello"])
    assert not (tmp_path / "encoders").exists()
