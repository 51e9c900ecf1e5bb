"""Build the engine's word vectors (``matching/engine/data/wordvec/``) from the ``ja-ginza``
wheel on PyPI, without installing it or spaCy.

``ja-ginza`` 5.3.0 (MIT) ships the word2vec vectors of its pipeline (20,000 distinct rows ×
300 dimensions for ~480,000 keys, derived from chiVe, Sudachi-normalized forms) as
``vocab/vectors`` (a NumPy array), ``vocab/key2row`` (msgpack: spaCy string hash → row) and
``vocab/strings.json`` (the strings whose MurmurHash64A, seed 1, are the keys). Installing the
package would pull spaCy and downgrade SudachiPy below the 0.7 the project pins
(``docs/decisions.md``), so this script reads the files straight from the wheel and writes a
compact, deterministic derivative the engine reads with NumPy alone:

* ``keys.npy``: the sorted 64-bit BLAKE2b hashes of the *folded* keys (NFKC, lower case,
  hiragana: the engine's term keys), ``rows.npy``: each key's row;
* ``vectors.npy``: the rows at unit length, centred, with their ``--remove-top`` first
  principal components taken out ("all-but-the-top": the common directions every word
  shares say nothing about meaning), float16, all 300 dimensions (reducing them costs
  quality: ``docs/decisions.md``);
* ``meta.json``: source package, version and SHA-256 of the wheel, the transform, counts.

Run (a few minutes, once per model change; the output is committed)::

    .venv/bin/python bench/build_word_vectors.py            # downloads the pinned wheel
    .venv/bin/python bench/build_word_vectors.py --wheel ja_ginza-5.3.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.japanese import fold  # noqa: E402
from matching.engine.semantic import key_hashes  # noqa: E402

PACKAGE = "ja-ginza"
VERSION = "5.3.0"
INNER = f"ja_ginza/ja_ginza-{VERSION}/vocab/"
OUT = ROOT / "matching" / "engine" / "data" / "wordvec"
_MASK = (1 << 64) - 1


def murmurhash64a(data: bytes, seed: int = 1) -> int:
    """spaCy's string hash (MurmurHash64A of the UTF-8 bytes, seed 1)."""
    m, r = 0xC6A4A7935BD1E995, 47
    h = (seed ^ (len(data) * m)) & _MASK
    whole = len(data) // 8
    for i in range(whole):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * m) & _MASK
        k ^= k >> r
        k = (k * m) & _MASK
        h ^= k
        h = (h * m) & _MASK
    tail = data[8 * whole :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & _MASK
    h ^= h >> r
    h = (h * m) & _MASK
    h ^= h >> r
    return h


def _wheel(path: str | None, tmp: Path) -> Path:
    if path:
        return Path(path)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp)]
    subprocess.run([*cmd, f"{PACKAGE}=={VERSION}"], check=True)
    return next(tmp.glob("ja_ginza-*.whl"))


def _word_like(key: str) -> bool:
    # The engine's terms contain a letter, kana or kanji; emoticons and symbols never occur.
    return any(ch.isalpha() for ch in key) and len(key) <= 24


def read_wheel(wheel: Path) -> tuple[dict[str, int], np.ndarray]:
    """Folded key → row, and the raw vectors."""
    import msgpack

    with zipfile.ZipFile(wheel) as z:
        key2row = msgpack.unpackb(z.read(INNER + "key2row"), strict_map_key=False)
        strings = json.loads(z.read(INNER + "strings.json"))
        with z.open(INNER + "vectors") as f:
            vectors = np.load(f)
    by_key: dict[str, tuple[bool, str, int]] = {}
    for s in strings:
        row = key2row.get(murmurhash64a(s.encode("utf-8")))
        if row is None:
            continue
        key = fold(s)
        if not key or not _word_like(key):
            continue
        # Several spellings fold to one key (ワークショップ, わーくしょっぷ): the one already
        # folded wins, then the first in code-point order.
        rank = (s != key, s, int(row))
        if key not in by_key or rank < by_key[key]:
            by_key[key] = rank
    return {k: v[2] for k, v in by_key.items()}, vectors


def principal_axes(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and principal axes of the rows (signs fixed so that each axis's largest
    coordinate is positive: the SVD is deterministic up to sign)."""
    mean = unit.mean(axis=0)
    _, _, vt = np.linalg.svd(unit - mean, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    return mean, vt * signs[:, None]


def build(wheel: Path, out: Path, remove_top: int) -> dict:
    key_row, vectors = read_wheel(wheel)
    keys = sorted(key_row)
    hashes = key_hashes(keys)
    order = np.argsort(hashes, kind="stable")
    if len(np.unique(hashes)) != len(hashes):
        raise SystemExit("hash collision among the keys: change the hash")
    rows = np.asarray([key_row[k] for k in keys], dtype=np.uint16)[order]
    unit = vectors.astype(np.float64)
    unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    mean, axes = principal_axes(unit)
    top = axes[:remove_top]
    processed = (unit - mean) - ((unit - mean) @ top.T) @ top
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "keys.npy", hashes[order])
    np.save(out / "rows.npy", rows)
    np.save(out / "vectors.npy", processed.astype(np.float16))
    meta = {
        "source": f"{PACKAGE}=={VERSION} (PyPI), vocab/vectors + vocab/key2row + strings.json",
        "license": "ja-ginza: MIT; vectors derived from chiVe (Works Applications), Apache-2.0",
        "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "keys": len(keys),
        "rows": int(vectors.shape[0]),
        "source_dims": int(vectors.shape[1]),
        "dims": int(vectors.shape[1]),
        "remove_top": remove_top,
        "transform": "unit rows, minus their mean, minus their first `remove_top` principal "
        "components; float16",
        "key_hash": "blake2b-64 of the folded key (NFKC, lower case, hiragana), sorted",
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n")
    return meta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help="a downloaded ja_ginza wheel (default: pip download)")
    parser.add_argument("--remove-top", type=int, default=3, help="principal components removed")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        meta = build(_wheel(args.wheel, Path(tmp)), args.out, args.remove_top)
    print(json.dumps(meta, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
