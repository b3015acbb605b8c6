"""Real-browser tests: headless Chromium, driven by Playwright, against the
live Django server and the RemyPass sandbox."""
