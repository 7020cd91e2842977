#!/usr/bin/env bash
# Install mlgate from the action's own checkout (and the user's requirements) into a virtual environment.
#
# Called twice by action.yml, reading its inputs from the environment only:
#   install.sh plan   before actions/cache: decides the venv's path and the key it is cached under
#   install.sh        installs, unless the cache restored the venv (or the venv already holds this version)
#
#   GITHUB_ACTION_PATH   the action's checkout (holds pyproject.toml and src/mlgate)
#   INPUT_PYTHON         interpreter to build the venv with (setup-python's python-path); empty: python3 on PATH
#   INPUT_VENV           venv directory; empty: $RUNNER_TEMP/mlgate-venv. Reused when it already holds
#                        this mlgate version, so a persistent runner or a local run installs nothing.
#   INPUT_REQUIREMENTS   the user's requirements file (requirements.txt or pyproject.toml), relative to the
#                        working directory; may be empty
#   INPUT_CACHE          plan: auto (cache the default venv), true (cache the venv, even a named one) or false
#   INPUT_CACHE_HIT      install: "true" when actions/cache restored the venv under the planned key
#   INPUT_INSTALLER      uv (default: uv from PyPI, pinned below; pip where uv cannot run) or pip
# Writes step outputs to $GITHUB_OUTPUT: plan: venv, cache-key (empty: do not cache); install: python.
set -euo pipefail

UV_VERSION="0.13.9" # the installer, from PyPI; bump deliberately (the cache key holds it)

fail() { # one line, as an annotation, then exit 2 (bad input)
  printf '::error title=mlgate::%s\n' "$1"
  exit 2
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

started="$(now)"
action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this script through action.yml}"
output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this script through action.yml}"
venv="${INPUT_VENV:-${RUNNER_TEMP:?RUNNER_TEMP is not set: set the input venv}/mlgate-venv}"
requirements="${INPUT_REQUIREMENTS:-}"

python="${INPUT_PYTHON:-}"
if [ -z "$python" ]; then
  python="$(command -v python3 || true)"
  [ -n "$python" ] || fail "no python3 on PATH: set the action input python-version, e.g. \"3.11\""
fi
command -v "$python" >/dev/null || fail "the Python interpreter $python does not exist or cannot run: set the action input python-version, e.g. \"3.11\""
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "mlgate needs Python 3.11 or newer, $python is $("$python" --version 2>&1): set the action input python-version to \"3.11\" or newer"

if [ -n "$requirements" ] && [ ! -f "$requirements" ]; then
  fail "requirements file '$requirements' not found (relative to $PWD): fix the action input requirements"
fi

# The version this checkout of the action would install.
wanted="$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
  "$action_path/pyproject.toml")"

if [ "${1:-}" = plan ]; then
  key=""
  case "${INPUT_CACHE:-auto}" in
    auto | "") cache="$([ -z "${INPUT_VENV:-}" ] && echo true || echo false)" ;; # a named venv is its owner's
    true | True | TRUE) cache=true ;;
    false | False | FALSE) cache=false ;;
    *) fail "action input cache is '${INPUT_CACHE}': set it to auto, true or false" ;;
  esac
  if [ "$cache" = true ]; then
    python_id="$("$python" -c 'import platform, sys; print(f"{platform.python_implementation()}{platform.python_version()}-{sys.platform}")')"
    hash="none"
    if [ -n "$requirements" ]; then
      hash="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:16])' "$requirements")"
    fi
    # mlgate's own dependencies (its pyproject.toml) are in the key too: a branch of the action may change
    # them without a new version, and a venv restored under the old key would lack one
    own="$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()[:12])' "$action_path/pyproject.toml")"
    key="mlgate-venv-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-${ImageOS:-local}-${python_id}-mlgate${wanted}+${own}-uv${UV_VERSION}-req${hash}"
  fi
  {
    echo "venv=$venv"
    echo "cache-key=$key"
  } >> "$output"
  echo "mlgate: environment $venv${key:+, cached under $key}"
  exit 0
fi

# The mlgate version the venv holds, when every dependency this checkout declares is there too (a venv from
# an older build of the same version may lack one); empty otherwise.
installed=""
if [ -x "$venv/bin/python" ]; then
  installed="$("$venv/bin/python" - "$action_path/pyproject.toml" 2>/dev/null << 'PY' || true
import re, sys, tomllib
from importlib.metadata import PackageNotFoundError, version
try:
    for dependency in tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]:
        version(re.match(r"[A-Za-z0-9_.-]+", dependency).group(0))
    print(version("mlgate"))
except PackageNotFoundError:
    pass
PY
)"
fi

if [ "${INPUT_CACHE_HIT:-}" = true ] && [ "$installed" = "$wanted" ]; then
  # The key holds the Python, mlgate's version and the requirements' hash: nothing to install.
  echo "mlgate $wanted restored from the cache into $venv: nothing to install (install step $(since "$started") s)"
  echo "python=$venv/bin/python" >> "$output"
  exit 0
fi

packages=()
if [ "$installed" = "$wanted" ]; then
  echo "mlgate $wanted is already installed in $venv"
else
  packages+=("$action_path")
fi

# uv, pinned, from PyPI, next to the venv; pip where uv cannot be installed or cannot run.
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 # the interpreter is given; no download of another
uv=""
case "${INPUT_INSTALLER:-uv}" in
  uv | pip) ;;
  *) fail "action input installer is '${INPUT_INSTALLER}': set it to uv or pip" ;;
esac
if [ "${INPUT_INSTALLER:-uv}" = uv ] && { [ "${#packages[@]}" -gt 0 ] || [ -n "$requirements" ]; }; then
  tools="$(dirname "$venv")/.mlgate-uv-$UV_VERSION"
  if [ ! -x "$tools/bin/uv" ]; then
    "$python" -m pip install --quiet --disable-pip-version-check --no-input --target "$tools" "uv==$UV_VERSION" \
      > /dev/null 2>&1 || true
  fi
  if "$tools/bin/uv" --version > /dev/null 2>&1; then
    uv="$tools/bin/uv"
  else
    echo "mlgate: uv $UV_VERSION cannot be installed or run here; installing with pip"
  fi
fi

requirement_args=()
if [ -n "$requirements" ]; then
  if [ -z "$uv" ] && [ "$(basename "$requirements")" = pyproject.toml ]; then
    # pip cannot read a pyproject.toml as a requirements file: pass its project.dependencies.
    mapfile -t deps < <("$python" -c 'import sys, tomllib; print(*tomllib.load(open(sys.argv[1], "rb")).get("project", {}).get("dependencies", []), sep="\n")' "$requirements")
    for dep in "${deps[@]}"; do [ -n "$dep" ] && requirement_args+=("$dep"); done
  else
    requirement_args+=(-r "$requirements")
  fi
fi

if [ "${#packages[@]}" -gt 0 ] || [ "${#requirement_args[@]}" -gt 0 ]; then
  installer="pip"
  [ -n "$uv" ] && installer="uv $UV_VERSION"
  echo "::group::Install mlgate $wanted${requirements:+ and $requirements} into $venv with $installer"
  # System site packages stay visible: what the job already installed into this Python (the pipeline's
  # own dependencies) is importable by the pipeline stages mlgate runs with this venv first on PATH.
  if [ -n "$uv" ]; then
    [ -x "$venv/bin/python" ] || "$uv" venv --quiet --python "$python" --system-site-packages "$venv"
    "$uv" pip install --quiet --python "$venv/bin/python" "${packages[@]}" "${requirement_args[@]}"
  else
    [ -x "$venv/bin/python" ] || "$python" -m venv --system-site-packages "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --progress-bar off \
      "${packages[@]}" "${requirement_args[@]}"
  fi
  echo "::endgroup::"
fi

echo "mlgate: install step took $(since "$started") s"
echo "python=$venv/bin/python" >> "$output"
