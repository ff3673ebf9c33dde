"""The sha256 of landed files and of the values a landed file must not carry into the warehouse
(a licence's product secret): computed once per run and compared with the register."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa

from automq_billing.landing.survey import LandedFile
from automq_billing.landing.value_fit import is_text


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


Hashes = dict[tuple[str, str], str]


def hash_landed(files: Iterable[LandedFile], workers: int = 2) -> Hashes:
    """The sha256 of every landed file, keyed by (dataset, relative path); hashlib releases the
    GIL, so two threads read two files at once."""
    files = list(files)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        digests = pool.map(lambda f: sha256_file(f.path), files)
        return {(f.dataset, f.relative): digest for f, digest in zip(files, digests, strict=True)}


# what a full refresh empties besides the landing tables: the register, and everything that says


def sha256_array(array: pa.Array) -> pa.Array:
    """sha256 (hex) of every value's bytes; the values themselves go no further."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_null(array.type):
        return pa.nulls(len(array), pa.string())
    raw = array.cast(pa.large_binary()) if is_text(array.type) else array
    return pa.array(
        [None if value is None else hashlib.sha256(value).hexdigest() for value in raw.to_pylist()],
        pa.string(),
    )
