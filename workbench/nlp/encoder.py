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
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from workbench.errors import WorkbenchError

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
    "encode_texts",
    "load_tokenizer",
]

log = logging.getLogger("workbench.nlp")

MODELS_DIR = Path(__file__).resolve().parents[2] / "resources" / "models"
"""Where the bundled models live."""
CHECKWORTHINESS_DIR = MODELS_DIR / "checkworthiness"
ENCODER_DIR = MODELS_DIR / "encoder"

BATCH_SIZE = 32
"""Sentences per onnxruntime call; sorted by length first, so padding stays short."""

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


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
        threads: onnxruntime intra-op threads (1 keeps the UI's other core free).

    Raises:
        ModelLoadError: A file is missing or unreadable, or onnxruntime refuses the model.
    """

    def __init__(self, directory: Path, *, threads: int = 1) -> None:
        started = time.perf_counter()
        self.directory = Path(directory)
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
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def run(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The model's output row for each text, in input order."""
        items = list(texts)
        if not items:
            return np.zeros((0,), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        rows: list[npt.NDArray[np.float32]] = []
        for start in range(0, len(order), BATCH_SIZE):
            batch = [items[i] for i in order[start : start + BATCH_SIZE]]
            ids, mask = encode_texts(self.tokenizer, batch)
            feeds = {"input_ids": ids, "attention_mask": mask}
            (output,) = self.session.run(
                [self.output_name], {k: v for k, v in feeds.items() if k in self.input_names}
            )
            rows.append(np.asarray(output, dtype=np.float32))
        result = np.concatenate(rows)
        unsorted = np.empty_like(result)
        unsorted[np.array(order)] = result
        return unsorted


class CheckworthinessModel(OnnxTextModel):
    """The fine-tuned check-worthiness classifier: a probability per sentence.

    Its instances are :data:`workbench.nlp.detector.ProbabilityModel` callables.
    ``threshold`` is the probability at which the model alone calls a sentence
    check-worthy (chosen on the dev split); the detector has its own threshold.
    """

    def __init__(self, directory: Path = CHECKWORTHINESS_DIR, *, threads: int = 1) -> None:
        super().__init__(directory, threads=threads)
        self.threshold = float(self.config.get("threshold", 0.5))

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

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """An (n, dimensions) float32 array of unit vectors; dot products are cosines."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self.run(texts)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: FloatArray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
