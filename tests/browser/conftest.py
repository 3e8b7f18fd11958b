"""pytest fixtures: one estate (emulator, origin, controller) and one signed-in
headless Chromium per session. Run through tests/browser/run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import estate as est  # noqa: E402


@pytest.fixture(scope="session")
def estate():
    e = est.Estate()
    try:
        yield e
    finally:
        e.close()


@pytest.fixture(scope="session")
def driver(estate):
    d = est.browser()
    try:
        est.sign_in(d, estate.controller.url)
        yield d
    finally:
        d.quit()
