"""Tests marked `deploy` build images and run containers: only `make test-deploy` (-m deploy)
runs them."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    if config.getoption("markexpr", "") == "deploy":
        return
    skip = pytest.mark.skip(reason="containers: run by `make test-deploy`")
    for item in items:
        if item.get_closest_marker("deploy"):
            item.add_marker(skip)
