"""newsmon parsers: bytes and text in, article records out. No network, no database, no Prefect."""
