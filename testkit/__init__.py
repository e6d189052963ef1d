"""What tests/ and bench/ both use, so that neither imports the other: test pictures built from real photographs
that installed packages ship (`images`), and the production stack on loopback with a small HTTP client
(`live_http`). Needs requirements-test.txt (scikit-image)."""
