"""A synthetic catalogue of any size for the benchmark: the page's catalogue plus generated
sections, each with its declared range, so lookups, ranges and seeding scale as real data would.
Written to a temporary folder by scripts/bench.py, never committed.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from app.catalogue.model import CodeRow, DeclaredRange, SectionDoc
from app.seeds import load_seed, render

PER_SECTION = 1000
FIRST_CODE = 20_000  # above every range the page declares
STATUSES = (400, 401, 403, 404, 409, 422, 429, 500, 503)


def synthetic_document(total_codes: int):
    """The page's document grown to about ``total_codes`` rows."""
    doc = load_seed()
    have = sum(len(s.rows) for s in doc.sections)
    sections, ranges = list(doc.sections), list(doc.ranges)
    index = 0
    while have < total_codes:
        count = min(PER_SECTION, total_codes - have)
        start = FIRST_CODE + index * PER_SECTION
        name = f"Synthetic{index:04d}"
        rows = tuple(
            CodeRow(
                code=start + i,
                name=f"Synthetic{i:03d}Error",
                status=STATUSES[i % len(STATUSES)],
                description=f"Synthetic error {i} of {name}, for the benchmark",
            )
            for i in range(count)
        )
        heading = f"{name} Errors ({start}-{start + PER_SECTION - 1})"
        sections.append(
            SectionDoc(
                namespace="platform",
                name=name,
                heading=heading,
                range_start=start,
                range_end=start + PER_SECTION - 1,
                rows=rows,
            )
        )
        ranges.append(DeclaredRange(start=start, end=start + PER_SECTION - 1, label=name))
        have += count
        index += 1
    return msgspec.structs.replace(doc, sections=tuple(sections), ranges=tuple(ranges))


def write_synthetic(path: Path, total_codes: int) -> Path:
    path.write_text(render(synthetic_document(total_codes)))
    return path
