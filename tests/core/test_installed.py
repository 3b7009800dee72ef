"""The installed ``workbench`` command, run as a user runs it, on every input format.

``make test`` builds its virtual environment with the pip that ships with the
interpreter (never upgraded first), so this also proves that the declared
dependencies are enough for that pip: an old pip once missed ``lxml[html-clean]``
and every ``analyze`` of a web page crashed.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

from tests.core.test_ingest import article_pdf

SCRIPT = Path(sys.executable).with_name("workbench")
PARAGRAPHS = [
    "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday.",
    "On Thursday, 70 lawmakers introduced a resolution urging the government to act.",
]


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("Troops from the North", level=1)
    for paragraph in PARAGRAPHS:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


INPUTS = {
    "article.txt": ("Troops from the North\n\n" + "\n\n".join(PARAGRAPHS) + "\n").encode(),
    "article.md": ("# Troops from the North\n\n" + "\n\n".join(PARAGRAPHS) + "\n").encode(),
    # A page trafilatura finds no date in: its own log lines must not leak out.
    "article.html": (
        "<!doctype html><html><head><title>Troops from the North</title></head><body>"
        "<nav><a href='/'>Home</a></nav><article><h1>Troops from the North</h1>"
        + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        + "</article><footer>© 2024 The Herald</footer></body></html>"
    ).encode(),
    "article.docx": _docx(),
    "article.pdf": article_pdf(),
}


@pytest.mark.skipif(not SCRIPT.exists(), reason="the package is not installed in this venv")
@pytest.mark.parametrize("name", sorted(INPUTS))
def test_installed_command_analyses_each_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(INPUTS[name])
    env = {**os.environ, "WORKBENCH_MODEL": "0", "WORKBENCH_DB": str(tmp_path / "w.db")}
    result = subprocess.run(
        [str(SCRIPT), "analyze", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "check-worthy claim" in result.stdout
    title = "Bridge opening delayed" if name.endswith(".pdf") else "Troops from the North"
    assert result.stdout.startswith(title + "\n")
