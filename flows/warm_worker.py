"""Imported by the extraction workers' fork server, and by nothing else.

Importing it runs the extractor once on a small page, so that what the extractor loads
on first use (the language model alone is about 0.6 s of CPU) is loaded once, in the
server, and every worker forked from it starts warm instead of loading it again.
"""

from __future__ import annotations

from parsers.extract import warm_up

warm_up()
