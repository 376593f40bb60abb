import numpy as np
import pytest

from scenarios.identification.encoder import encode


def test_encode__paraphrase_and_unrelated__paraphrase_is_closer():
    # given a complaint, its paraphrase in other words, and an unrelated question
    texts = ["my parcel never showed up", "package not received", "what are your opening hours"]

    # when they are embedded
    vectors = encode(texts)

    # then the vectors are unit length and the paraphrase is far closer than the unrelated text
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert round(float(vectors[0] @ vectors[1]), 2) == 0.59
    assert round(float(vectors[0] @ vectors[2]), 2) == 0.05


def test_encode__batch_or_one_by_one__same_vectors():
    # given texts of different lengths (padded together in one batch)
    texts = ["cancel #W7766554", "hi, the jacket I ordered last week came with a torn sleeve, what now?"]

    # when embedded together and separately
    together = encode(texts)
    alone = np.vstack([encode([t]) for t in texts])

    # then padding changes nothing
    assert np.allclose(together, alone, atol=1e-5)


def test_encode__unknown_encoder__refuses():
    with pytest.raises(ValueError, match="unknown sentence encoder 'glove'"):
        encode(["hello"], "glove")
