"""End-to-end tier: a real Home Assistant driven through its UI in Chromium."""
