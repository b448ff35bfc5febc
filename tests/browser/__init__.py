"""Browser tests: Playwright driving Debian's Chromium against a real `spark serve`."""
