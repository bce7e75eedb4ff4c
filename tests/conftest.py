import sys
from pathlib import Path

# `from harness.x import ...` in every test area
sys.path.insert(0, str(Path(__file__).parent))
