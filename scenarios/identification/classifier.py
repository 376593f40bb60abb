"""The embedded scenario identifier: TF-IDF word + character n-grams, a linear model, and an
out-of-scope gate learned without out-of-scope examples.

Pure scikit-learn, no Django: the product, the `evaluate_identification` command and the
benchmarks all fit and predict through this module, so what is measured is what is served.

Out of scope. A classifier trained on N labels always answers one of them, so the gate needs a
score that drops for messages unlike any label. Two are combined: the model's (renormalised)
top probability and the cosine similarity to the nearest training example. Their threshold is
chosen by *leave-labels-out* cross-validation on the training set alone: each round hides a
third of the labels, trains on the rest and treats the hidden labels' rows as pseudo out-of-scope
traffic; the threshold that maximises balanced accuracy (in-scope right + out-of-scope rejected,
weighted equally) over the rounds is kept. The same rounds fit a Platt mapping from the score to
P(answer is right), which is the confidence returned.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn import config_context
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from .encoder import encode

OUT_OF_SCOPE = None  # the label of a rejected message

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class IdentifierSettings:
    c: float = 10.0
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    # Weights of the nearest-example similarity in the out-of-scope score (the rest is the top
    # probability); the one with the best leave-labels-out balanced accuracy is kept.
    similarity_weights: tuple[float, ...] = (0.0, 0.25, 0.5)
    cv_rounds: int = 6
    cv_holdout_share: float = 0.34
    cv_max_rows: int = 6000  # the threshold search subsamples big sets: its cost stays bounded
    max_neighbours: int = 20000  # rows kept for the nearest-example score (per-message cost bound)
    clarify_below: float = 0.55  # accepted, but a calibrated confidence under this asks the customer
    candidates: int = 3
    seed: int = 13
    # Pretrained sentence embeddings appended to the n-gram features (None: n-grams only) and the
    # scale of that dense block against the two unit-norm TF-IDF blocks.
    embedding: str | None = "minilm-int8"
    embedding_scale: float = 1.0
    # Where the nearest-example similarity is measured: "ngrams" or "embedding".
    similarity_space: str = "embedding"
    # Leave-labels-out rounds drop from their training fold every row this similar to a dev row,
    # so dev rows are not paraphrase copies of training rows (templated sets make the threshold
    # too strict otherwise). None keeps every row.
    cv_purge_similarity: float | None = 0.8


@dataclass
class Prediction:
    label: str | None
    confidence: float
    decision: str  # matched | clarify | out_of_scope
    candidates: list[tuple[str, float]] = field(default_factory=list)
    score: float = 0.0


def _features(settings: IdentifierSettings) -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=settings.word_ngrams,
                    sublinear_tf=True,
                    lowercase=True,
                    token_pattern=r"(?u)\b\w+\b",  # noqa: S106 (a regex, not a password)
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=settings.char_ngrams, sublinear_tf=True, lowercase=True
                ),
            ),
        ]
    )


class _Core:
    """Features + linear model + the nearest-example index, without any threshold."""

    def __init__(
        self, texts: Sequence[str], labels: Sequence[str], settings: IdentifierSettings, vectors=None
    ):
        self.settings = settings
        self.features = _features(settings)
        ngrams = self.features.fit_transform(texts)
        matrix, neighbour_space = self._combine(ngrams, texts, vectors)
        # newton-cg: ~8 iterations where lbfgs needs ~35 slow ones on these sparse features (measured).
        self.model = LogisticRegression(C=settings.c, max_iter=300, solver="newton-cg")
        self.model.fit(matrix, labels)
        self.labels = [str(label) for label in self.model.classes_]
        rows = _normalise(neighbour_space)
        if rows.shape[0] > settings.max_neighbours:
            keep = np.random.default_rng(settings.seed).choice(
                rows.shape[0], settings.max_neighbours, replace=False
            )
            rows = rows[np.sort(keep)]
        # dense in the embedding space: sparse products of dense rows are slow
        self.neighbours = rows.T.tocsr() if sparse.issparse(rows) else np.ascontiguousarray(rows.T)

    def raw(
        self, texts: Sequence[str], vectors=None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Class probabilities, top-class index, rescaled top probability and nearest-example
        similarity per text (`vectors`: the texts' sentence embeddings, when already computed)."""
        matrix, neighbour_space = self._combine(self.features.transform(texts), texts, vectors)
        probabilities = self.model.predict_proba(matrix)
        top = probabilities.argmax(axis=1)
        similarity = _max_similarity(_normalise(neighbour_space), self.neighbours)
        # The top probability shrinks as labels are added; rescaling it by the label count keeps a
        # threshold learnt on folds with fewer labels valid for the full model.
        n = probabilities.shape[1]
        best = probabilities.max(axis=1)
        probability = (best - 1.0 / n) / (1.0 - 1.0 / n) if n > 1 else best
        return probabilities, top, probability, similarity

    def _combine(self, ngrams, texts, vectors=None):
        """(model features, nearest-example space) for the texts."""
        settings = self.settings
        # Artifacts written before embeddings existed have settings without these fields.
        if getattr(settings, "embedding", None) is None:
            return ngrams, ngrams
        if vectors is None:
            vectors = encode(list(texts), settings.embedding)
        dense = sparse.csr_matrix(vectors)
        matrix = sparse.hstack([ngrams, dense * settings.embedding_scale]).tocsr()
        return matrix, np.asarray(vectors) if settings.similarity_space == "embedding" else ngrams


def _max_similarity(rows, columns) -> np.ndarray:
    products = rows @ columns
    if sparse.issparse(products):
        return np.asarray(products.max(axis=1).todense()).ravel()
    return np.asarray(products).max(axis=1)


def _normalise(matrix):
    if not sparse.issparse(matrix):
        return matrix  # sentence embeddings are unit length already
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


class Identifier:
    """A fitted identifier: `predict` returns one Prediction per text."""

    def __init__(
        self, core: _Core, weight: float, threshold: float, calibration: tuple[float, float], report: dict
    ):
        self.core = core
        self.weight = weight
        self.threshold = threshold
        self.calibration = calibration
        self.report = report

    @property
    def labels(self) -> list[str]:
        return self.core.labels

    def confidence(self, score: float) -> float:
        a, b = self.calibration
        return 1.0 / (1.0 + math.exp(-(a * score + b)))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        # One BLAS thread: on a busy 2-core host OpenBLAS's second thread spins against the first
        # (measured, one message: p50 16 ms / p99 28 ms with two threads, 4.5 / 6.8 ms with one;
        # the nearest-example product alone went from 6 ms to 0.2 ms).
        # And no input checks: the features are finite by construction (TF-IDF of text, unit-length
        # sentence vectors) for estimators fitted here; the checks were ~0.4 ms of a ~4.3 ms prediction.
        with (
            _blas_controller().limit(limits=1, user_api="blas"),
            config_context(assume_finite=True, skip_parameter_validation=True),
        ):
            probabilities, top, probability, similarity = self.core.raw(list(texts))
        scores = (1 - self.weight) * probability + self.weight * similarity
        settings = self.core.settings
        out = []
        for row, best, score in zip(probabilities, top, scores, strict=True):
            confidence = self.confidence(float(score))
            order = np.argsort(-row)[: settings.candidates]
            scale = confidence / row[best] if row[best] > 0 else 0.0
            candidates = [(self.labels[i], round(float(row[i] * scale), 4)) for i in order]
            if score < self.threshold:
                out.append(Prediction(None, round(confidence, 4), "out_of_scope", candidates, float(score)))
                continue
            decision = "matched" if confidence >= settings.clarify_below else "clarify"
            out.append(
                Prediction(self.labels[best], round(confidence, 4), decision, candidates, float(score))
            )
        return out


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _rows(vectors, indices):
    return None if vectors is None else vectors[indices]


def _leave_labels_out_scores(texts, labels, settings: IdentifierSettings, vectors, progress: Progress | None):
    """Scores of held-out in-scope rows and of pseudo out-of-scope rows over the CV rounds.
    Returns (probability, similarity, is_in_scope, top_is_right) arrays."""
    rng = random.Random(settings.seed)  # noqa: S311 (reproducible sampling, not security)
    distinct = sorted(set(labels))
    indices = list(range(len(texts)))
    if len(indices) > settings.cv_max_rows:
        indices = rng.sample(indices, settings.cv_max_rows)
    probabilities, similarities, in_scope, right = [], [], [], []
    space = None
    if settings.cv_purge_similarity is not None:
        space = vectors if vectors is not None else _normalise(_features(settings).fit_transform(texts))
    n_hidden = max(1, round(len(distinct) * settings.cv_holdout_share))
    for round_no in range(settings.cv_rounds):
        if progress:
            progress(10 + round(60 * round_no / settings.cv_rounds), f"cross-validation {round_no + 1}")
        hidden = set(rng.sample(distinct, n_hidden))
        known = [i for i in indices if labels[i] not in hidden]
        rng.shuffle(known)
        cut = max(1, len(known) // 5)
        dev, train = known[:cut], known[cut:]
        if space is not None:
            nearest_dev = _max_similarity(space[train], space[dev].T)
            train = [i for i, s in zip(train, nearest_dev, strict=True) if s < settings.cv_purge_similarity]
        if len({labels[i] for i in train}) < 2:
            continue
        core = _Core([texts[i] for i in train], [labels[i] for i in train], settings, _rows(vectors, train))
        pseudo_oos = [i for i in indices if labels[i] in hidden]
        evaluated = dev + pseudo_oos
        _, top, probability, similarity = core.raw([texts[i] for i in evaluated], _rows(vectors, evaluated))
        for i, best, p, s in zip(evaluated, top, probability, similarity, strict=True):
            probabilities.append(float(p))
            similarities.append(float(s))
            in_scope.append(labels[i] not in hidden)
            right.append(labels[i] not in hidden and core.labels[best] == labels[i])
    return (
        np.array(probabilities),
        np.array(similarities),
        np.array(in_scope, dtype=bool),
        np.array(right, dtype=bool),
    )


def _choose_threshold(scores, in_scope, right) -> tuple[float, float]:
    """The threshold maximising balanced accuracy; returns (threshold, balanced accuracy)."""
    if not in_scope.any() or in_scope.all():
        return 0.0, float("nan")
    candidates = np.unique(np.concatenate([scores, [0.0]]))
    best = (0.0, -1.0)
    n_in, n_out = in_scope.sum(), (~in_scope).sum()
    for t in candidates:
        accepted = scores >= t
        in_acc = (right & accepted).sum() / n_in
        oos_rec = (~in_scope & ~accepted).sum() / n_out
        value = 0.5 * in_acc + 0.5 * oos_rec
        if value > best[1]:
            best = (float(t), float(value))
    # A midpoint to the next score up generalises better than sitting exactly on a training score.
    above = candidates[candidates > best[0]]
    threshold = (best[0] + above[0]) / 2 if len(above) else best[0]
    return float(threshold), best[1]


def _fit_calibration(scores, in_scope, right) -> tuple[float, float]:
    """Platt scaling of the score to P(answer right), pseudo out-of-scope rows weighted to half."""
    if len(scores) == 0 or right.all() or not right.any():
        return 10.0, -5.0
    weights = np.where(in_scope, 0.5 / max(in_scope.sum(), 1), 0.5 / max((~in_scope).sum(), 1))
    model = LogisticRegression(C=100.0)
    model.fit(scores.reshape(-1, 1), right.astype(int), sample_weight=weights * len(scores))
    return float(model.coef_[0][0]), float(model.intercept_[0])


def fit_identifier(
    texts: Sequence[str],
    labels: Sequence[str],
    settings: IdentifierSettings | None = None,
    progress: Progress | None = None,
) -> Identifier:
    settings = settings or IdentifierSettings()
    texts, labels = [str(t) for t in texts], [str(label) for label in labels]
    if len(set(labels)) < 2:
        raise ValueError("at least two labels are needed to train an identifier")
    if progress:
        progress(3, "sentence embeddings")
    # Every text is embedded once: the CV rounds and the final model take rows of this array.
    vectors = encode(texts, settings.embedding) if settings.embedding is not None else None
    if progress:
        progress(5, "leave-labels-out cross-validation")
    weight, threshold, cv_balanced, calibration = 0.0, 0.0, float("nan"), (10.0, -5.0)
    if len(set(labels)) >= 3:  # with two labels none can be hidden: everything is accepted
        probability, similarity, in_scope, right = _leave_labels_out_scores(
            texts, labels, settings, vectors, progress
        )
        best = -1.0
        for w in settings.similarity_weights:
            scores = (1 - w) * probability + w * similarity
            t, value = _choose_threshold(scores, in_scope, right)
            if value > best:
                best, weight, threshold, cv_balanced = value, w, t, value
                calibration = _fit_calibration(scores, in_scope, right)
    if progress:
        progress(75, "fitting the final model")
    core = _Core(texts, labels, settings, vectors)
    report = {
        "threshold": round(threshold, 4),
        "similarity_weight": weight,
        "cv_balanced_accuracy": None if math.isnan(cv_balanced) else round(cv_balanced, 4),
        "calibration": [round(calibration[0], 4), round(calibration[1], 4)],
        "n_examples": len(texts),
        "n_labels": len(core.labels),
        "embedding": settings.embedding,
    }
    return Identifier(core, weight, threshold, calibration, report)
