"""The sample data generator (``sigap sample``): a synthetic Kota Bekasi with contract-
conformant monthly extracts on an SFTP-shaped tree and their ground truth.

>>> from devkit.sample import generate, read_truth
>>> manifest = generate(Path("data/sample"), residents=20_000, periods=["2026-09", "2026-10"])
>>> entries, changes = read_truth(manifest.truth_root, "2026-10")

See :mod:`devkit.sample.generator` for the steps and ``truth/README.md`` (written with every
sample) for what the truth files mean.
"""

from devkit.sample.generator import (
    ExtractFile,
    SampleManifest,
    TruthFiles,
    default_bpjs_rows,
    generate,
    load_manifest,
)
from devkit.sample.plants import SampleTooSmall
from devkit.sample.truth import read_truth

__all__ = [
    "ExtractFile",
    "SampleManifest",
    "SampleTooSmall",
    "TruthFiles",
    "default_bpjs_rows",
    "generate",
    "load_manifest",
    "read_truth",
]
