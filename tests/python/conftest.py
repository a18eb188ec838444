"""The Python test suite runs against the installed wheel (scripts/test-python.sh); make the
brute-force helpers beside it importable."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
