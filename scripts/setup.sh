#!/usr/bin/env bash
# Create .venv beside this repo and install the app with its test tools. Safe to run again.
# torch is pinned to the CPU build this workplace keeps on disk; on your own machine set
# TORCH_SPEC (e.g. TORCH_SPEC=torch for the CUDA build from PyPI) before running.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
# EXTRAS=bench adds what the hand-run benchmarks compare against (OpenCV, Stable-Baselines3).
python -m pip install -q -e ".[test${EXTRAS:+,$EXTRAS}]"
# Warn, without failing, when Qt's window would lack system libraries here (the message names the
# install command); the app itself stops with the same line.
python -m studio.desktop_libs || true
