"""Imported by the extraction workers' fork server, and by nothing else.

Importing it runs :func:`parsers.extract.warm_up`, so that what the extractor loads on
first use (the language model and the fallback extractor's stop-word lists, about 0.5 s
of CPU each) is loaded once, in the server, and every worker forked from it starts warm
instead of loading it again.
"""

from __future__ import annotations

from parsers.extract import warm_up

warm_up()
