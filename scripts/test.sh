#!/usr/bin/env bash
# Set-up command 2: builds qopt and runs the whole test suite (lit, unit and
# end-to-end tests) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
bash scripts/build.sh
bash scripts/install-python.sh
ctest --test-dir build --output-on-failure
