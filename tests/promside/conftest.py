"""pytest setup for tests/promside: puts tests/ on sys.path so `from lib import ...` and
`from promside import alert_catalog` work however pytest is started."""
import os
import sys

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)
