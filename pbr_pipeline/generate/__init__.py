"""Synthetic provider returns: `pbr generate` (spec/outputs.md, spec/returns.md).

Realistic submissions for the eight pilot areas (or a national-sized population), every window
of a range, with a known share of late, resubmitted, retracted, zipped and defective returns,
and a `defects.json` that lists every defect the pipeline must find. See docs/generator.md.
"""

from pbr_pipeline.generate.api import SCALES, generate_returns
from pbr_pipeline.generate.summary import GenerationSummary

__all__ = ["SCALES", "GenerationSummary", "generate_returns"]
