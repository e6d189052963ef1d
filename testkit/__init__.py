"""What tests/ and bench/ both use, so that neither imports the other, and what several test modules share, so that
no test module imports another: test pictures built from real photographs that installed packages ship
(`images`), the production stack on loopback with a small HTTP client (`live_http`), a throw-away PostgreSQL
cluster (`postgres`), `manage.py` in a process of its own (`commands`), headless Chromium with a fake camera and
the browser tests' shared steps (`browser`), and an animated sticker read back (`stickers`). Needs
requirements-test.txt (scikit-image, Playwright). None of it imports the site."""
