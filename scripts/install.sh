#!/usr/bin/env bash
# Install mlgate from the action's own checkout (and the user's requirements) into a virtual environment.
#
# Called by action.yml; reads its inputs from the environment only:
#   GITHUB_ACTION_PATH   the action's checkout (holds pyproject.toml and src/mlgate)
#   INPUT_PYTHON         interpreter to build the venv with (setup-python's python-path); empty: python3 on PATH
#   INPUT_VENV           venv directory; empty: $RUNNER_TEMP/mlgate-venv. Reused when it already holds
#                        this mlgate version, so a persistent runner or a local run installs nothing.
#   INPUT_REQUIREMENTS   the user's requirements file (pip -r), relative to the working directory; may be empty
# Writes the step output `python` (the venv's interpreter) to $GITHUB_OUTPUT.
set -euo pipefail

fail() { # one line, as an annotation, then exit 2 (bad input)
  printf '::error title=mlgate::%s\n' "$1"
  exit 2
}

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this script through action.yml}"
output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this script through action.yml}"
venv="${INPUT_VENV:-${RUNNER_TEMP:?RUNNER_TEMP is not set: set the input venv}/mlgate-venv}"
requirements="${INPUT_REQUIREMENTS:-}"

python="${INPUT_PYTHON:-}"
if [ -z "$python" ]; then
  python="$(command -v python3 || true)"
  [ -n "$python" ] || fail "no python3 on PATH: set the action input python-version, e.g. \"3.11\""
fi
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "mlgate needs Python 3.11 or newer, $python is $("$python" --version 2>&1): set the action input python-version to \"3.11\" or newer"

if [ -n "$requirements" ] && [ ! -f "$requirements" ]; then
  fail "requirements file '$requirements' not found (relative to $PWD): fix the action input requirements"
fi

# The version this checkout of the action would install, and the one the venv already holds (if any).
wanted="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
  "$action_path/pyproject.toml")"
installed=""
if [ -x "$venv/bin/python" ]; then
  installed="$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("mlgate"))' 2>/dev/null || true)"
fi

packages=()
if [ "$installed" = "$wanted" ]; then
  echo "mlgate $wanted is already installed in $venv"
else
  packages+=("$action_path")
fi
[ -n "$requirements" ] && packages+=(-r "$requirements")

if [ "${#packages[@]}" -gt 0 ]; then
  echo "::group::Install mlgate $wanted${requirements:+ and $requirements} into $venv"
  # System site packages stay visible: what the job already installed into this Python (the pipeline's
  # own dependencies) is importable by the pipeline stages mlgate runs with this venv first on PATH.
  [ -x "$venv/bin/python" ] || "$python" -m venv --system-site-packages "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off "${packages[@]}"
  echo "::endgroup::"
fi

echo "python=$venv/bin/python" >> "$output"
