"""Cross-validated news figures for a check-worthiness model that learns from news units.

The bundled model is trained on the C and N units of the 43 labelled Wikinews articles
too (``train_checkworthiness.py --news``), so ``benchmarks/news_units.py`` would score it
on its own training data. This script measures it honestly: the articles are dealt into
``--folds`` groups (seeded); for each group a model is trained exactly as the bundled one
(``--init``, ``--news``, the same options) with that group's articles held out, the
detector's Platt calibration is fitted on CT24 dev with that model (as
``fit_detector_calibration.py`` does for the bundled one), and the held-out articles are
analysed with it through the app's path. The units of all groups, each scored by a model
that never saw its article, are pooled and reported with ``news_units``' figures.

Needs the train group (torch): ``pip install -e ".[train]"``.

Usage: python scripts/news_crossval.py --init FLOAT.onnx [--folds 5] [--work DIR]
       [--errors] [-- extra train_checkworthiness.py options]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "benchmarks"))

from fit_detector_calibration import fit_logistic, load, raw_log_odds  # noqa: E402
from news_units import DEFAULT_ARTICLES, DEFAULT_LABELS, Unit, analyse, read_jsonl, report  # noqa: E402

from workbench.nlp import claim_detector, load_checkworthiness_model, load_pipeline  # noqa: E402
from workbench.nlp.signals import Calibration  # noqa: E402

CT24 = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
SEED = 7


def deal(ids: list[str], folds: int, seed: int) -> list[list[str]]:
    """``ids`` shuffled (seeded) and dealt into ``folds`` groups of near-equal size."""
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    return [shuffled[k::folds] for k in range(folds)]


def calibration_for(model_dir: Path) -> Calibration:
    """The detector's Platt scaling with the model of ``model_dir``, fitted on CT24 dev."""
    dev = load(CT24, with_model=True, model_dir=model_dir)["dev"]
    z, _ = raw_log_odds(dev, with_model=True)
    scale, offset = (float(w) for w in fit_logistic(z[:, None], dev.y, np.zeros(len(z))))
    return Calibration(scale, offset)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--init", type=Path, required=True, help="the float ONNX to continue from")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("news-crossval"), help="fold models")
    parser.add_argument("--errors", action="store_true", help="list missed C and flagged N")
    parser.add_argument("extra", nargs="*", help="more train_checkworthiness.py options")
    args = parser.parse_args(argv)
    if not DEFAULT_ARTICLES.exists() or not CT24.exists():
        print("no Wikinews articles or CT24 data in ../shared/data; nothing to measure")
        return 0
    articles = {row["id"]: row for row in read_jsonl(DEFAULT_ARTICLES)}
    labelled = {row["id"]: row for row in read_jsonl(DEFAULT_LABELS)}
    groups = deal(list(labelled), args.folds, SEED)
    units: list[Unit] = []
    for k, held_out in enumerate(groups, start=1):
        folder = args.work / f"fold-{k}"
        if not (folder / "model.onnx").exists():
            command = [
                sys.executable,
                str(REPO / "scripts" / "train_checkworthiness.py"),
                "--init",
                str(args.init),
                "--news",
                str(DEFAULT_LABELS),
                "--news-hold-out",
                ",".join(held_out),
                "--speed-data",
                str(args.work / "no-speed-measurement"),
                "--out",
                str(folder),
                *args.extra,
            ]
            print(f"fold {k}/{args.folds}: training without {len(held_out)} articles", flush=True)
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        calibration = calibration_for(folder)
        nlp = load_pipeline(use_model=True, model=partial(load_checkworthiness_model, folder))
        claim_detector(nlp).model_calibration = calibration
        for article_id in held_out:
            units.extend(analyse(articles[article_id], labelled[article_id]["units"], nlp))
        print(
            f"fold {k}: calibration {calibration.scale:.3f}, {calibration.offset:+.3f}; "
            f"{len(held_out)} articles analysed",
            flush=True,
        )
    print(f"\nout of fold ({args.folds} folds, each article scored by a model that never saw it):")
    report(units, errors=args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
