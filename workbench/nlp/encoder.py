"""The bundled sentence models, run with onnxruntime and ``tokenizers`` (never torch).

Two models live in ``resources/models/``, each a folder with ``model.onnx``,
``tokenizer.json``, ``config.json`` and ``MODEL_CARD.md``:

* ``checkworthiness/``: all-MiniLM-L6-v2 fine-tuned on ClaimBuster debate sentences;
  sentences in, the probability that each is worth checking out
  (:class:`CheckworthinessModel`). The claim detector weighs it as its ``model`` signal.
* ``encoder/``: the plain all-MiniLM-L6-v2 sentence encoder; sentences in, unit-length
  384-dimensional embeddings out (:class:`SentenceEncoder`), for semantic matching.

Both are made by the scripts in ``scripts/`` (``pip install -e ".[train]"``). A model
that is missing or cannot be loaded raises :class:`ModelLoadError`.

A check-worthiness model the user trained from their own corrections
(``workbench train-checkworthiness --with-feedback``) lives in the user data folder,
never over the bundled one; :func:`checkworthiness_dir` prefers it while it loads.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from workbench.errors import WorkbenchError
from workbench.locations import default_db_path
from workbench.textsafety import clipped

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

__all__ = [
    "CHECKWORTHINESS_DIR",
    "ENCODER_DIR",
    "MODELS_DIR",
    "CheckworthinessModel",
    "ModelLoadError",
    "OnnxTextModel",
    "SentenceEncoder",
    "checkworthiness_dir",
    "default_workers",
    "encode_texts",
    "length_batches",
    "load_checkworthiness",
    "load_tokenizer",
    "physical_cores",
    "user_checkworthiness_dir",
    "user_models_dir",
]

log = logging.getLogger("workbench.nlp")

MODELS_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"
"""Where the bundled models live."""
CHECKWORTHINESS_DIR = MODELS_DIR / "checkworthiness"
ENCODER_DIR = MODELS_DIR / "encoder"

BATCH_SIZE = 32
"""At most this many sentences per onnxruntime call.

Scoring all 1,693 Wikinews sentences at once on one AMD EPYC core, batches of 64 or 128
were 3-4% slower than 32: the int8 matrix products are already at full speed, and
bigger batches only pad more.
"""
MAX_PADDING = 2
"""Sentences batched together differ by at most this many word pieces.

Batches are formed from sentences of (nearly) the same tokenised length. Besides
wasting work, padding is slow on its own: the attention mask drives the softmax
output of every padded position to a denormal float, which the CPU handles slowly.
Scoring Wikinews articles one by one, as the detector does, batches of equal token
length ran the check-worthiness model 1.75 times as fast as batches sorted by
character length; allowing 2 tokens of padding fills a short article's batches
better (another 7%).
"""
TOKENISE_CHUNK = 512
"""Texts tokenised at once (padded to the longest of them), bounding memory on big inputs."""
DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)
"""onnxruntime graph rewrites left out when a session is built.

onnxruntime 1.32's CPU kernel for the fused ``SkipLayerNormalization`` is about nine
times as slow as the ``Add`` and ``LayerNormalization`` it replaces (1.4 ms against
0.15 ms on a 32 x 25 x 384 batch); without the fusion the models run 15-20% faster.
"""

SESSION_CONFIG = {"session.intra_op.allow_spinning": "0"}
"""onnxruntime session settings used when a session has more than one thread.

Without spinning, idle pool threads sleep instead of polling for work: with another
job on the second core, two spinning threads ran the Wikinews sentences in 1.8 times
the wall time of two that sleep, and no faster when the machine was idle.
"""

MAX_WORKERS = 4
"""At most this many batches run at once by default (:func:`default_workers`).

An article of a few hundred sentences makes 5-20 batches; more workers than that
would mostly wait.
"""

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
Feeds = dict[str, IntArray]


def physical_cores() -> int:
    """The CPU cores this process may run on, each counted once however many threads it has.

    The int8 matrix products keep a core's vector units busy, so a second hardware
    thread on the same core adds little. Where the topology cannot be read (not
    Linux), the logical CPU count.
    """
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
    cores: set[tuple[str, str]] = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return max(1, len(cpus))
        cores.add((package, core))
    return max(1, len(cores))


def default_workers() -> int:
    """Batches the check-worthiness model runs at once: one per physical core, at most 4."""
    return max(1, min(physical_cores(), MAX_WORKERS))


class ModelLoadError(WorkbenchError):
    """A bundled model is missing or cannot be loaded; the caller may fall back."""


def load_tokenizer(path: Path, *, max_length: int) -> Tokenizer:
    """The ``tokenizers`` tokenizer at ``path``, truncating to ``max_length`` tokens.

    Padding is to the longest sentence of each batch. Training and export use this
    same function, so the model sees at run time exactly what it saw in training.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def encode_texts(tokenizer: Tokenizer, texts: Sequence[str]) -> tuple[IntArray, IntArray]:
    """Token ids and attention mask of ``texts``, as int64 arrays of shape (n, longest)."""
    encodings = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


class OnnxTextModel:
    """An ONNX model over tokenised sentences: ``model.onnx`` + ``tokenizer.json`` + config.

    Args:
        directory: The model's folder.
        threads: onnxruntime intra-op threads of each run: each matrix product is split
            between them.
        workers: Batches run at once, each on its own thread (onnxruntime releases the
            GIL). With one intra-op thread per run this uses the cores better than
            splitting every operation: the runs never wait for each other, and a
            batch's output is the same whichever thread runs it. ``threads * workers``
            cores are used at most; the default, 1 and 1, keeps the UI's other core free.

    Raises:
        ModelLoadError: A file is missing or unreadable, or onnxruntime refuses the model.
    """

    batch_size = BATCH_SIZE
    """At most this many texts per onnxruntime call."""

    def __init__(self, directory: Path, *, threads: int = 1, workers: int = 1) -> None:
        started = time.perf_counter()
        self.directory = Path(directory)
        self.workers = max(1, workers)
        try:
            self.config: dict[str, Any] = json.loads(
                (self.directory / "config.json").read_text(encoding="utf-8")
            )
            self.max_length = int(self.config["max_length"])
            self.tokenizer = load_tokenizer(
                self.directory / "tokenizer.json", max_length=self.max_length
            )
            self.session = self._session(self.directory / "model.onnx", threads)
            self.output_name = self.session.get_outputs()[0].name
            self.input_names = {i.name for i in self.session.get_inputs()}
        except ImportError as error:
            raise ModelLoadError(f"cannot run the model in {self.directory}: {error}") from error
        except Exception as error:  # tokenizers and onnxruntime raise plain exceptions
            raise ModelLoadError(
                f"cannot load the model in {self.directory}: {_one_line(error)}"
            ) from error
        self.load_seconds = time.perf_counter() - started
        log.info("loaded %s in %.2f s", self.directory.name, self.load_seconds)

    @staticmethod
    def _session(path: Path, threads: int) -> onnxruntime.InferenceSession:
        import onnxruntime

        if not path.is_file():
            raise FileNotFoundError(f"no {path.name}")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Every graph rewrite (onnxruntime's default, made explicit): "basic" alone
        # ran the model 15% slower; "extended" gives the same speed.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads > 1:
            for key, value in SESSION_CONFIG.items():
                options.add_session_config_entry(key, value)
        return onnxruntime.InferenceSession(
            str(path),
            sess_options=options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=list(DISABLED_OPTIMIZERS),
        )

    def run(self, texts: Sequence[str], *, workers: int | None = None) -> npt.NDArray[np.float32]:
        """The model's output row for each text, in input order.

        Texts are tokenised in chunks of similar character length and run in batches
        of (nearly) equal token length (see :data:`MAX_PADDING`), :attr:`workers`
        batches at once (``workers`` for this call only). The batches do not depend on
        the number of workers, so neither do the outputs.

        An int8 model (dynamically quantised) quantises its activations over the whole
        batch, so with a :attr:`batch_size` over 1 a text's output depends a little on
        the texts batched beside it and on padding.
        """
        items = list(texts)
        if not items:
            return np.zeros((0,), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        positions: list[IntArray] = []
        rows: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(order), TOKENISE_CHUNK):
            chunk = np.array(order[start : start + TOKENISE_CHUNK], dtype=np.int64)
            ids, mask = encode_texts(self.tokenizer, [items[i] for i in chunk])
            lengths = mask.sum(axis=1)
            batches = length_batches(lengths, size=self.batch_size, max_padding=MAX_PADDING)
            feeds: list[Feeds] = []
            for batch in batches:
                width = int(lengths[batch].max())
                feeds.append(self._feeds(ids[batch, :width], mask[batch, :width]))
                positions.append(chunk[batch])
            rows.extend(self._run_batches(feeds, workers or self.workers))
        result = np.concatenate(rows)
        unsorted = np.empty_like(result)
        unsorted[np.concatenate(positions)] = result
        return unsorted

    def _feeds(self, ids: IntArray, mask: IntArray) -> Feeds:
        """The model's inputs for these token ids and attention mask (the inputs it has)."""
        inputs = {"input_ids": ids, "attention_mask": mask}
        return {k: v for k, v in inputs.items() if k in self.input_names}

    def _run_one(self, feeds: Feeds) -> FloatArray:
        (output,) = self.session.run([self.output_name], feeds)
        return np.asarray(output, dtype=np.float32)

    def _run_batches(self, feeds: Sequence[Feeds], workers: int) -> list[FloatArray]:
        """The output of each batch, in order: :attr:`workers` of them at once.

        The longest batches start first (they come last in ``feeds``), so no core is
        left with a long one at the end while the other has nothing to do. The threads
        last one call: nothing is left running between analyses.
        """
        workers = min(workers, len(feeds))
        if workers <= 1:
            return [self._run_one(f) for f in feeds]
        with ThreadPoolExecutor(workers, thread_name_prefix="workbench-onnx") as pool:
            longest_first = list(pool.map(self._run_one, reversed(feeds)))
        return longest_first[::-1]


def length_batches(lengths: IntArray, *, size: int, max_padding: int) -> list[IntArray]:
    """Indices of ``lengths`` in batches of at most ``size``, shortest first.

    Each batch holds items whose lengths differ by at most ``max_padding``.
    """
    order = np.argsort(lengths, kind="stable")
    batches: list[IntArray] = []
    start = 0
    while start < len(order):
        limit = lengths[order[start]] + max_padding
        end = start + 1
        while end < len(order) and end - start < size and lengths[order[end]] <= limit:
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


class CheckworthinessModel(OnnxTextModel):
    """The fine-tuned check-worthiness classifier: a probability per sentence.

    Its instances are :data:`workbench.nlp.detector.ProbabilityModel` callables.
    ``threshold`` is the probability at which the model alone calls a sentence
    check-worthy (chosen on the dev split); the detector has its own threshold.

    Each sentence is run on its own, so its probability depends on it alone. The int8
    model quantises its activations over a whole batch: batched by article, a
    Wikinews sentence's probability moved by 0.011 on average and up to 0.46 with
    the sentences beside it, and 18 of the 759 claims of the 43 articles were
    flagged or not depending on the article they came with (and on which sentence
    the score cache saw first). Alone, the model takes 16-19% more time on them.

    By default it runs one sentence per physical core at once (:func:`default_workers`):
    it is most of the claim detector's time, and an analysis is short, so it may take
    the machine for that long. Its threads do not spin while waiting, and the UI's
    thread, which needs little CPU, still gets its turn.
    """

    batch_size = 1

    def __init__(
        self,
        directory: Path = CHECKWORTHINESS_DIR,
        *,
        threads: int = 1,
        workers: int | None = None,
    ) -> None:
        super().__init__(
            directory, threads=threads, workers=default_workers() if workers is None else workers
        )
        self.threshold = _probability(self.config.get("threshold", 0.5))
        if self.threshold is None:
            # A config.json written by hand or cut short: the model is passed over (the
            # caller falls back) rather than failing every analysis with a ValueError.
            raise ModelLoadError(
                f"cannot load the model in {self.directory}: its threshold"
                f" {clipped(repr(self.config.get('threshold')), 40)} is not a number from 0 to 1"
            )

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """The probability that each sentence is check-worthy, in input order."""
        return [float(p) for p in self.run(texts).reshape(-1)]

    def __call__(self, texts: Sequence[str]) -> list[float]:
        return self.probabilities(texts)


class SentenceEncoder(OnnxTextModel):
    """all-MiniLM-L6-v2 as a sentence encoder: mean-pooled, L2-normalised embeddings."""

    def __init__(self, directory: Path = ENCODER_DIR, *, threads: int = 1) -> None:
        super().__init__(directory, threads=threads)
        self.dimensions = int(self.config.get("dimensions", 384))

    def embed(self, texts: Sequence[str], *, workers: int | None = None) -> FloatArray:
        """An (n, dimensions) float32 array of unit vectors; dot products are cosines.

        ``workers``: batches run at once for this call (see :meth:`run`); by default
        the encoder's own, one, which leaves a core to the UI while the archive is
        embedded in the background.
        """
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return _unit(self.run(texts, workers=workers))

    def embed_each(
        self,
        texts: Sequence[str],
        *,
        cancel: Callable[[], bool] | None = None,
        workers: int = 1,
    ) -> FloatArray | None:
        """Each text embedded on its own, exactly as ``embed([text])`` embeds it, as an
        (n, dimensions) array; None once ``cancel()`` (asked before each text) says so.

        The texts are tokenised together (each one's word pieces are its own; the
        padding is cut off again), so that a thread embedding one claim after another
        needs Python, and so the interpreter lock, once per text instead of twice: with
        the main thread busy, each time costs up to the switch interval (5 ms).
        Without ``cancel``, ``workers`` texts run at once (:meth:`run`'s threads).
        """
        rows: list[FloatArray] = []
        for start in range(0, len(texts), TOKENISE_CHUNK):
            ids, mask = encode_texts(self.tokenizer, texts[start : start + TOKENISE_CHUNK])
            feeds = [
                self._feeds(ids[i : i + 1, :length], mask[i : i + 1, :length])
                for i, length in enumerate(mask.sum(axis=1).tolist())
            ]
            if cancel is None:
                rows.extend(map(_unit, self._run_batches(feeds, workers)))
                continue
            for one in feeds:
                if cancel():
                    return None
                rows.append(_unit(self._run_one(one)))
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.vstack(rows)


def _unit(vectors: FloatArray) -> FloatArray:
    """``vectors``' rows scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: FloatArray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def user_models_dir() -> Path:
    """Where models trained by the user live: ``models/`` in the user data folder.

    That is the folder of the default database (:func:`workbench.locations.default_db_path`):
    ``~/.local/share/factcheck-workbench`` on Linux, or the folder of ``$WORKBENCH_DB``
    when that is set, so a test or a second setup never sees another one's model.
    """
    return default_db_path().parent / "models"


def user_checkworthiness_dir() -> Path:
    """The folder of the check-worthiness model trained from the user's corrections."""
    return user_models_dir() / "checkworthiness"


def load_checkworthiness() -> CheckworthinessModel:
    """The check-worthiness model the app uses: the user's own when it loads, else the bundled.

    A user model that is present but cannot be loaded (damaged, or made by an
    incompatible version) is passed over with a warning in the log; it is not deleted.

    Raises:
        ModelLoadError: the bundled model cannot be loaded either.
    """
    user = user_checkworthiness_dir()
    if (user / "model.onnx").exists():
        try:
            return CheckworthinessModel(user)
        except ModelLoadError as error:
            log.warning("%s; using the bundled model", error)
    return CheckworthinessModel(CHECKWORTHINESS_DIR)


def checkworthiness_dir() -> Path:
    """The folder of the model :func:`load_checkworthiness` loads (the bundled one if none does)."""
    try:
        return load_checkworthiness().directory
    except ModelLoadError:
        return CHECKWORTHINESS_DIR


def _probability(value: object) -> float | None:
    """``value`` as a finite number from 0 to 1, or None (a string, NaN, a list ...)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value <= 1 else None  # NaN compares false; 10**400 too


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
