#!/usr/bin/env bash
# Run the whole test suite headless (Qt offscreen). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen SDL_VIDEODRIVER=dummy
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
