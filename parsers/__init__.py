"""newsmon parsers: bytes and text in, article records out.

Pure of their surroundings: no network, no database, no Prefect, no configuration file
(the caller passes what a parser needs; site profiles ship inside ``parsers.profiles``).
Nothing here imports ``flows``, ``store`` or ``deployments``, so every parser can be tested
and benchmarked on its own.
"""
