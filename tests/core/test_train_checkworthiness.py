"""Learning from the fact-checker: a model trained on their corrections, and which model loads.

The user's model lives in the user data folder (here the test's temporary folder, through
``$WORKBENCH_DB``), is preferred over the bundled one while it loads, and never replaces it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.core.cli_runner import run
from workbench.cli import training
from workbench.locations import default_db_path
from workbench.models import ArticleDraft, DetectedClaim
from workbench.nlp import load_checkworthiness_model
from workbench.nlp.encoder import (
    CHECKWORTHINESS_DIR,
    CheckworthinessModel,
    checkworthiness_dir,
    user_checkworthiness_dir,
)
from workbench.store import Store

REPO = Path(__file__).resolve().parents[2]
needs_train_group = pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in training.TRAIN_MODULES),
    reason='the train group is not installed (pip install -e ".[train]")',
)
needs_bundled_model = pytest.mark.skipif(
    not (CHECKWORTHINESS_DIR / "model.onnx").exists(), reason="no bundled check-worthiness model"
)

ARTICLE = (
    "Exports fell by 12% in March, the ministry said. "
    "The minister thanked everyone for coming. "
    "Officials met in the capital on Tuesday."
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_copy_of_bundled_model(threshold: float = 0.42) -> Path:
    """A stand-in for a user-trained model: the bundled one with its own threshold."""
    user = user_checkworthiness_dir()
    shutil.copytree(CHECKWORTHINESS_DIR, user)
    config = json.loads((user / "config.json").read_text(encoding="utf-8"))
    config["threshold"] = threshold
    (user / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return user


def db_with_corrections(path: Path) -> Path:
    """A database where the fact-checker added one missed claim and removed a wrong one."""
    with Store(path, user="tester") as store:
        sentence = "Exports fell by 12% in March, the ministry said."
        wrong = "The minister thanked everyone for coming."
        start = ARTICLE.index(wrong)
        detected = [
            DetectedClaim(start=start, end=start + len(wrong), text=wrong, score=0.6, reasons=())
        ]
        article = store.add_article(ArticleDraft(ARTICLE, title="Exports"), detected).article.id
        store.remove_claim(store.claims(article)[0].id)
        start = ARTICLE.index(sentence)
        store.add_claim(article, start, start + len(sentence))
        assert sorted(store.feedback()) == [(sentence, 1), (wrong, 0)]
    return path


def tiny_ct24(path: Path) -> Path:
    claims = [f"Spending rose by {n}% in {1990 + n}." for n in range(12)]
    others = [f"Thank you, {name}, it is good to be here." for name in "ABCDEFGHIJKL"]
    rows = [
        {"id": f"{split}-{i}", "text": text, "label": int(text in claims), "split": split}
        for split in ("train", "dev", "dev_test")
        for i, text in enumerate(claims + others)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/<name>`` run with ``args`` in a new interpreter (it needs the train group)."""
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def training_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """``scripts/train_checkworthiness.py`` imported as a module (it needs the train group)."""
    spec = importlib.util.spec_from_file_location(
        "train_checkworthiness", REPO / "scripts" / "train_checkworthiness.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "train_checkworthiness", module)
    spec.loader.exec_module(module)
    return module


# --- which model the app loads ------------------------------------------------------------


def test_the_user_model_lives_beside_the_database(tmp_path: Path) -> None:
    assert user_checkworthiness_dir() == tmp_path / "models" / "checkworthiness"
    assert checkworthiness_dir() == CHECKWORTHINESS_DIR


@needs_bundled_model
def test_a_user_trained_model_is_preferred_over_the_bundled_one() -> None:
    user = install_copy_of_bundled_model(threshold=0.42)
    assert checkworthiness_dir() == user
    model, status = load_checkworthiness_model()
    assert model is not None and model.directory == user
    assert model.threshold == 0.42
    assert str(user) in status.message


@needs_bundled_model
def test_a_broken_user_model_falls_back_to_the_bundled_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = install_copy_of_bundled_model()
    (user / "model.onnx").write_bytes(b"half a model")
    with caplog.at_level(logging.WARNING, logger="workbench.nlp"):
        assert checkworthiness_dir() == CHECKWORTHINESS_DIR
        model, status = load_checkworthiness_model()
    assert model is not None and model.directory == CHECKWORTHINESS_DIR
    assert status.available
    assert any("using the bundled model" in r.getMessage() for r in caplog.records)
    assert (user / "model.onnx").exists(), "a broken model is reported, not deleted"


@needs_bundled_model
@pytest.mark.parametrize(
    "threshold",
    ["high", [0.5], None, True, float("nan"), 1.5, -0.1, 10**400],
    ids=["text", "list", "null", "true", "nan", "above-1", "negative", "huge-int"],
)
def test_a_user_model_with_a_bad_threshold_falls_back_to_the_bundled_one(
    threshold: object, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # A config.json damaged by hand (an audit): "high" raised a ValueError that made every
    # analysis "a bug" (exit 1) and the app's warm-up fail.
    user = install_copy_of_bundled_model()
    config = json.loads((user / "config.json").read_text(encoding="utf-8"))
    config["threshold"] = threshold
    (user / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="workbench.nlp"):
        model, status = load_checkworthiness_model()
    assert model is not None and model.directory == CHECKWORTHINESS_DIR
    assert status.available
    assert any("threshold" in r.getMessage() for r in caplog.records)
    model, status = load_checkworthiness_model(user)  # that folder alone: the rules
    assert model is None and "not a number from 0 to 1" in status.message
    assert "\n" not in status.message
    Store(default_db_path()).close()
    sentences = user.parent / "s.jsonl"
    sentences.write_text(json.dumps({"id": 1, "text": "Exports fell by 12%."}) + "\n", "utf-8")
    code, _ = run("score", "--sentences", str(sentences))
    assert code == 0 and "Traceback" not in capsys.readouterr().err


@needs_bundled_model
def test_reset_deletes_the_user_model_and_only_it() -> None:
    user = install_copy_of_bundled_model()
    bundled = digest(CHECKWORTHINESS_DIR / "model.onnx")
    code, out = run("train-checkworthiness", "--reset")
    assert code == 0 and "removed" in out
    assert not user.exists()
    assert checkworthiness_dir() == CHECKWORTHINESS_DIR
    assert digest(CHECKWORTHINESS_DIR / "model.onnx") == bundled
    code, out = run("train-checkworthiness", "--reset")
    assert code == 0 and "bundled model is in use" in out
    # A file where the model's folder goes: one line, not "this is a bug" (an audit).
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("not a model")
    code, out = run("train-checkworthiness", "--reset")
    assert code == 2 and user.read_text() == "not a model"


# --- the command's one-line refusals ------------------------------------------------------


def test_training_without_the_train_group_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    code, _ = run("train-checkworthiness", "--with-feedback")
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("workbench: error: ") and err.count("\n") == 1
    assert 'pip install -e ".[train]"' in err and "torch" in err


@pytest.mark.parametrize("problem", ["no data", "no feedback"])
def test_training_refuses_without_data_or_corrections(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    problem: str,
) -> None:
    monkeypatch.setattr(training, "TRAIN_MODULES", ("json",))  # the train group need not be here
    data = tiny_ct24(tmp_path / "ct24.jsonl") if problem == "no feedback" else tmp_path / "none"
    Store(default_db_path()).close()
    code, _ = run("train-checkworthiness", "--with-feedback", "--data", str(data))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    expected = "no CT24 training data" if problem == "no data" else "no corrections to learn from"
    assert expected in err
    assert not user_checkworthiness_dir().exists()


def test_help_does_not_import_torch() -> None:
    import subprocess

    code = (
        "import sys; from workbench import cli\n"
        "try:\n    cli.main(['train-checkworthiness', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--with-feedback" in result.stdout


# --- the training script -----------------------------------------------------------------


@needs_train_group
def test_feedback_is_cleaned_weighted_and_never_written_over_the_bundled_model(
    tmp_path: Path, training_script: ModuleType
) -> None:
    script = training_script
    assert script.feedback_repeats(10, 22_501, 0.05, 20) == 20
    assert script.feedback_repeats(500, 22_501, 0.05, 20) == 2
    assert script.feedback_repeats(5_000, 100, 0.05, 20) == 1
    with pytest.raises(SystemExit):
        script.parse_args(["--feedback", "f.jsonl", "--out", str(CHECKWORTHINESS_DIR)])
    assert script.parse_args(["--feedback", "f.jsonl"]).out == user_checkworthiness_dir()
    corrections = tmp_path / "c.jsonl"
    corrections.write_text(
        '{"text": "A  b.", "label": 1}\n{"text": "A b.", "label": 0}\n'
        '{"text": "Seen in dev.", "label": 1}\n{"text": "C.", "label": 1}\n',
        encoding="utf-8",
    )
    feedback = script.read_feedback(corrections, {"Seen in dev."})
    assert (feedback.texts, feedback.labels) == (["A b.", "C."], [0, 1])
    assert (feedback.conflicting, feedback.in_evaluation) == (1, 1)


@needs_train_group
def test_news_units_teach_c_and_n_and_held_out_articles_stay_out(
    tmp_path: Path, training_script: ModuleType
) -> None:
    script = training_script
    news = tmp_path / "news.jsonl"
    articles = [
        {"id": "a", "units": [
            {"text": "Exports  fell 5% in May.", "label": "C"},
            {"text": "What a lovely day.", "label": "N"},
            {"text": "Monday, May 4", "label": "L"},
        ]},
        {"id": "b", "units": [{"text": "Held out.", "label": "C"}]},
    ]  # fmt: skip
    news.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    texts, labels, used = script.read_news(news, {"b"})
    assert (texts, labels, used) == (
        ["Exports fell 5% in May.", "What a lovely day."],
        [1, 0],
        ["a"],
    )
    with pytest.raises(script.TrainingError, match="names no article"):
        script.read_news(news, {"zzz"})
    with pytest.raises(SystemExit):
        script.parse_args(["--from-float", "f.onnx", "--init", "g.onnx"])
    assert script.parse_args(["--news-hold-out", "a,b"]).news_hold_out == ["a", "b"]


@needs_train_group
@needs_bundled_model
def test_training_with_feedback_end_to_end_on_a_tiny_slice(tmp_path: Path) -> None:
    db = db_with_corrections(tmp_path / "corrections.db")
    data = tiny_ct24(tmp_path / "tiny.jsonl")
    bundled = digest(CHECKWORTHINESS_DIR / "model.onnx")
    argv = ["train-checkworthiness", "--with-feedback", "--db", str(db), "--data", str(data)]
    code, out = run(*argv, "--epochs", "1", "--limit", "16", "--force")
    assert code == 0, out[-2000:]
    assert "2 corrections" in out or "corrections: 2" in out
    assert "before" in out and "after" in out and "installed in" in out

    user = user_checkworthiness_dir()
    assert checkworthiness_dir() == user
    assert digest(CHECKWORTHINESS_DIR / "model.onnx") == bundled
    config = json.loads((user / "config.json").read_text(encoding="utf-8"))
    assert config["feedback"]["examples"] == 2
    assert {"dev", "dev_test", "feedback_agreement"} <= set(config["feedback"]["after"])
    card = (user / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "trained by the user" in card and "ClaimBuster" in card
    model = CheckworthinessModel(user)
    assert len(model.probabilities(["Exports fell by 12% in March."])) == 1


@needs_train_group
def test_training_script_runs_end_to_end_on_a_tiny_slice(tmp_path: Path) -> None:
    data = tiny_ct24(tmp_path / "tiny.jsonl")
    news = tmp_path / "news.jsonl"
    units = [{"text": "Exports fell 5% in May.", "label": "C"}, {"text": "Lovely.", "label": "N"}]
    news.write_text(json.dumps({"id": "a", "units": units}) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    result = run_script(
        "train_checkworthiness.py",
        *("--data", str(data), "--out", str(out), "--epochs", "1", "--batch-size", "8"),
        *("--max-length", "24", "--limit", "16", "--threads", "1", "--log-every", "1"),
        *("--news", str(news)),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert {"dev", "dev_test"} <= set(config["metrics"]["float32"])
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "ClaimBuster" in card and "Wikinews contributors" in card
    assert config["training"]["news_units"] == 2
    claim = "The unemployment rate fell to 3.5% in 2019."
    non_claim = "Thank you all for coming tonight."
    assert len(CheckworthinessModel(out).probabilities([claim, non_claim])) == 2


@needs_train_group
@needs_bundled_model
def test_a_student_is_distilled_with_fewer_layers_from_a_float_teacher(tmp_path: Path) -> None:
    data = tiny_ct24(tmp_path / "tiny.jsonl")
    teacher = tmp_path / "teacher.onnx"
    common = ("--data", str(data), "--limit", "16", "--threads", "1", "--log-every", "1")
    trained = run_script(
        "train_checkworthiness.py",
        *("--out", str(tmp_path / "teacher"), "--epochs", "1", "--batch-size", "8"),
        *("--layers", "2", "--save-float", str(teacher), *common),
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    news = tmp_path / "news.jsonl"
    article = "Exports fell 5% in May, the ministry said. It was a lovely spring. Prices rose."
    news.write_text(json.dumps({"text": article}) + "\n", encoding="utf-8")
    student = tmp_path / "student.onnx"
    result = run_script(
        "distill_checkworthiness.py",
        *("--teacher", str(teacher), "--out", str(student), "--layers", "1"),
        *("--news-source", str(news), "--batch-size", "8", *common),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "student: layers [1] of 2" in result.stdout
    assert "2 news sentences" in result.stdout  # "Prices rose." is too short to teach
    # The student is what --init and --from-float read: one layer now.
    spec = importlib.util.spec_from_file_location(
        "distill_checkworthiness", REPO / "scripts" / "distill_checkworthiness.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classifier = module.tc.classifier_from_onnx(student, module.tc.base_model_dir())
    assert len(classifier.pool.encoder.encoder.layer) == 1
