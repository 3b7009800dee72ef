"""Distil the check-worthiness model into a smaller student with fewer layers.

The detector's time is mostly the model's (six transformer layers per sentence). A
student keeps ``--layers`` of the teacher's layers, evenly spaced and ending with its
last, starts from the teacher's weights, and learns to give the teacher's logit
(mean squared error) for every sentence of a transfer set:

* the CT24 train sentences, and a share of them retold as news reports speech (as
  ``train_checkworthiness.py`` does);
* ``--news-sentences`` sentences of real reporting, unlabelled (by default from the
  PolitiFact articles of ``../shared/data``), split as the app splits articles: the
  teacher's scores carry what it knows to sentences the labels never covered.

No labels are used: the student copies the teacher, so it should be distilled from a
teacher that never saw the articles it is later measured on. The output is a float
ONNX file for ``train_checkworthiness.py --init`` (the news round, then export,
int8 quantisation, evaluation and model card) or ``--from-float``.

Seeded and deterministic on the CPU. Known problems print one line and exit 2.
Needs the train group: ``pip install -e ".[train]"``.

Usage: python scripts/distill_checkworthiness.py --teacher float.onnx --out student.onnx
       [--layers 3] [--news-sentences 20000] [--epochs 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_checkworthiness as tc
from reported_speech import retold

from workbench.nlp.encoder import CHECKWORTHINESS_DIR, load_tokenizer

DEFAULT_NEWS_SOURCE = (
    tc.REPO.parent
    / "shared"
    / "data"
    / "claim_retrieval"
    / "ct21_task2b_en"
    / "collection_fulltext.jsonl.gz"
)
LOGIT_LIMIT = 8.0
"""Teacher logits are clipped to ±8 (probability 0.9997): past that the student would
only learn to be surer, not to rank better."""


def spaced_layers(total: int, keep: int) -> list[int]:
    """``keep`` of ``total`` layer indexes, evenly spaced, always ending with the last.

    >>> spaced_layers(6, 3), spaced_layers(6, 2), spaced_layers(6, 1)
    ([1, 3, 5], [2, 5], [5])
    """
    if not 1 <= keep <= total:
        raise tc.TrainingError(f"--layers must be between 1 and {total}")
    step = total / keep
    return [round(total - 1 - step * i) for i in range(keep)][::-1]


def news_sentences(path: Path, count: int, seed: int) -> list[str]:
    """``count`` sentences of the articles in ``path`` (JSON lines, gzip or not).

    Articles are taken in a seeded order and split with the app's own pipeline, so
    the sentences look like those the detector scores.
    """
    if count <= 0:
        return []
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            articles = [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as error:
        raise tc.TrainingError(f"cannot read the news sentences in {path}: {error}") from None
    random.Random(seed).shuffle(articles)
    from workbench.nlp import build_pipeline

    nlp = build_pipeline(use_model=False)
    found: list[str] = []
    seen: set[str] = set()
    for article in articles:
        text = str(article.get("article_text") or article.get("text") or "")
        for sentence in nlp(text[:20_000]).sents:
            words = sentence.text.split()
            if 4 <= len(words) <= 80 and (key := " ".join(words)) not in seen:
                seen.add(key)
                found.append(key)
        if len(found) >= count:
            break
    return found[:count]


def student_of(teacher: tc.Classifier, layers: list[int]) -> tc.Classifier:
    """``teacher`` keeping only ``layers`` (its weights, in their order)."""
    encoder = teacher.pool.encoder
    encoder.encoder.layer = nn.ModuleList([encoder.encoder.layer[i] for i in layers])
    encoder.config.num_hidden_layers = len(layers)
    return teacher


def teacher_logits(teacher_file: Path, texts: list[str]) -> np.ndarray:
    """The teacher's logits (from its exported probabilities), clipped to ±LOGIT_LIMIT."""
    staged = tc._staged_model(CHECKWORTHINESS_DIR, teacher_file, threads=torch.get_num_threads())
    probabilities = np.clip(np.array(staged.probabilities(texts), dtype=np.float64), 1e-6, 1 - 1e-6)
    logits = np.log(probabilities / (1 - probabilities))
    return np.clip(logits, -LOGIT_LIMIT, LOGIT_LIMIT).astype(np.float32)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--teacher", type=Path, required=True, help="float ONNX (--save-float)")
    parser.add_argument("--out", type=Path, required=True, help="the student's float ONNX")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--data", type=Path, default=tc.DEFAULT_DATA)
    parser.add_argument("--news-source", type=Path, default=DEFAULT_NEWS_SOURCE)
    parser.add_argument("--news-sentences", type=int, default=20_000)
    parser.add_argument("--retell-share", type=float, default=0.4)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first N rows of each source")
    parser.add_argument("--log-every", type=int, default=100)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    tc.seed_everything(args.seed)
    torch.set_num_threads(args.threads)
    base = tc.base_model_dir()
    splits = tc.read_splits(args.data, args.limit)
    texts, labels = list(splits["train"][0]), list(splits["train"][1])
    told, _ = retold(texts, labels, args.retell_share, args.seed)
    count = args.news_sentences if args.limit is None else min(args.news_sentences, args.limit)
    news = news_sentences(args.news_source, count, args.seed) if args.news_source.exists() else []
    if not news and count > 0:
        print(f"no news sentences ({args.news_source} is missing): debates only", flush=True)
    transfer = texts + told + news
    print(
        f"transfer set: {len(texts)} train, {len(told)} retold, {len(news)} news sentences",
        flush=True,
    )
    started = time.perf_counter()
    targets = teacher_logits(args.teacher, transfer)
    print(f"teacher scored them in {time.perf_counter() - started:.0f} s", flush=True)

    teacher = tc.classifier_from_onnx(args.teacher, base)
    total = len(teacher.pool.encoder.encoder.layer)
    layers = spaced_layers(total, args.layers)
    student = student_of(teacher, layers)
    print(f"student: layers {layers} of {total}", flush=True)
    tokenizer = load_tokenizer(base / "tokenizer.json", max_length=64)
    seconds = tc.train(
        student,
        tokenizer,
        transfer,
        targets.tolist(),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        log_every=args.log_every,
        loss_fn=nn.MSELoss(),
    )
    print(f"distilled in {seconds:.0f} s", flush=True)
    for name in tc.EVAL_SPLITS:
        gold = splits[name][1]
        student_probs = tc.predict(student, tokenizer, splits[name][0])
        teacher_probs = 1 / (1 + np.exp(-teacher_logits(args.teacher, splits[name][0])))
        print(
            f"{name}: F1 at 0.5 teacher {tc.prf(gold, teacher_probs, 0.5)['f1']:.3f}, "
            f"student {tc.prf(gold, student_probs, 0.5)['f1']:.3f}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tc.export_onnx(tc.Probability(student), args.out, "probability", tokenizer)
    print(f"wrote {args.out}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except tc.TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
