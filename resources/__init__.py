"""Files the app ships with: the embedded default digits (see README.md here)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent
