"""pytest options: `--run-slow` runs tests marked slow, `--run-cuda` runs tests marked cuda (skipped without a GPU)."""
import pytest
import torch


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")
    parser.addoption("--run-cuda", action="store_true", help="also run tests marked cuda (needs a GPU)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes minutes; run with --run-slow (make test-gpu)")
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU; run with --run-cuda (make test-gpu)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(pytest.mark.skip(reason="slow: run with --run-slow"))
        if "cuda" in item.keywords:
            if not config.getoption("--run-cuda"):
                item.add_marker(pytest.mark.skip(reason="cuda: run with --run-cuda"))
            elif not torch.cuda.is_available():
                item.add_marker(pytest.mark.skip(reason="cuda: torch.cuda.is_available() is False"))
