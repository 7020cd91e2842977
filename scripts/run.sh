#!/usr/bin/env bash
# Map the action's inputs (environment variables INPUT_*) to an mlgate command's flags and run it.
#
# Called by action.yml. MLGATE_PYTHON is the install step's venv interpreter; its bin directory goes first
# on PATH so the pipeline's stages (`python src/train.py`) run with the packages installed next to mlgate.
# INPUT_COMMAND picks the command: ci (default), monitor or summarize. `install` runs none: it puts the venv's
# bin directory (mlgate, dvc, the requirements' tools) on the job's PATH for the steps after it. Each command reads GITHUB_* and the token
# (GITHUB_TOKEN), writes the step outputs and the job summary. This script adds the outputs artifact-dir
# and artifact-name for `ci` in mode run.
# Exit code: mlgate's (0 pass, 1 blocking gate failed or a monitoring alarm, 2 bad input, 3 pipeline/git,
# 4 publish), except that 1 becomes 0 when INPUT_FAIL_ON_GATE is false.
set -euo pipefail

fail() { # one line, as an annotation, then exit 2 (bad input)
  printf '::error title=mlgate::%s\n' "$1"
  exit 2
}

switch() { # input-name value flag: appends --flag / --no-flag for true / false, nothing for auto
  case "$2" in
    auto | "") ;;
    true | True | TRUE) args+=("--$3") ;;
    false | False | FALSE) args+=("--no-$3") ;;
    *) fail "action input $1 is '$2': set it to auto, true or false" ;;
  esac
}

boolean() { # input-name value: sets $bool to true or false, or fails naming the input
  case "$2" in
    true | True | TRUE) bool=true ;;
    false | False | FALSE) bool=false ;;
    *) fail "action input $1 is '$2': set it to true or false" ;;
  esac
}

python="${MLGATE_PYTHON:?MLGATE_PYTHON is not set: run this script through action.yml}"
output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this script through action.yml}"
boolean status "${INPUT_STATUS:-true}"
status="$bool"
boolean fail-on-gate "${INPUT_FAIL_ON_GATE:-true}"
fail_on_gate="$bool"
mode="${INPUT_MODE:-full}"
command="${INPUT_COMMAND:-ci}"

ci_args() {
  args=(ci --mode "$mode")
  [ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
  [ -n "${INPUT_PROJECT_DIR:-}" ] && args+=(--project-dir "$INPUT_PROJECT_DIR")
  [ -n "${INPUT_BASE:-}" ] && args+=(--base "$INPUT_BASE")
  [ -n "${INPUT_REPORT_ID:-}" ] && args+=(--report-id "$INPUT_REPORT_ID")
  [ -n "${INPUT_COMMENT:-}" ] && args+=(--comment "$INPUT_COMMENT")
  [ -n "${INPUT_PUBLISHER:-}" ] && args+=(--publisher "$INPUT_PUBLISHER")
  if [ "$status" = true ]; then args+=(--status); else args+=(--no-status); fi
  switch record "${INPUT_RECORD:-auto}" record
  switch pull "${INPUT_PULL:-auto}" pull
  switch push-cache "${INPUT_PUSH_CACHE:-auto}" push-cache
  boolean promote "${INPUT_PROMOTE:-false}"
  if [ "$bool" = true ]; then
    args+=(--promote --artifact "${INPUT_PROMOTE_ARTIFACT:-model}")
    if [ -n "${INPUT_PROMOTE_STAGE:-}" ]; then args+=(--stage "$INPUT_PROMOTE_STAGE"); else args+=(--no-stage); fi
  fi
  trend_arg

  # The two halves of the fork setup share one directory: `run` saves mlgate-report.md and
  # mlgate-result.json there (the action uploads it), `publish` reads them from there (downloaded).
  if [ "$mode" = run ] || [ "$mode" = publish ]; then
    artifact_dir="${INPUT_ARTIFACT_DIR:-${RUNNER_TEMP:?RUNNER_TEMP is not set: set the input artifact-dir}/mlgate-artifact}"
  fi
  if [ "$mode" = run ]; then
    report_id="${INPUT_REPORT_ID:-default}"
    # Artifact names may not hold " : < > | * ? \ / or line breaks.
    artifact_name="mlgate-${report_id//[^A-Za-z0-9._-]/-}"
    args+=(--artifact-dir "$artifact_dir")
    {
      echo "artifact-dir=$artifact_dir"
      echo "artifact-name=$artifact_name"
    } >> "$output"
  elif [ "$mode" = publish ]; then
    args+=(--report "$artifact_dir/mlgate-report.md" --json "$artifact_dir/mlgate-result.json")
  fi
}

trend_arg() {
  if [ -n "${INPUT_TREND:-}" ]; then
    [[ "$INPUT_TREND" =~ ^[0-9]+$ ]] || fail "action input trend is '$INPUT_TREND': set it to a whole number (0 for none)"
    args+=(--trend "$INPUT_TREND")
  fi
}

full_mode_only() {
  [ "$mode" = full ] || fail "action input mode is '$mode' but command $command runs in mode full only: remove the input mode"
}

monitor_args() { # the monitoring issue and the dispatch go through the GitHub API (--github)
  full_mode_only
  args=(monitor --github)
  [ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
  [ -n "${INPUT_PROJECT_DIR:-}" ] && args+=(--project-dir "$INPUT_PROJECT_DIR")
  [ -n "${INPUT_SAMPLE:-}" ] && args+=(--sample "$INPUT_SAMPLE")
  switch record "${INPUT_RECORD:-auto}" record
  trend_arg
}

summarize_args() {
  full_mode_only
  [ -n "${INPUT_RESULTS:-}" ] || fail "action input results is empty: set it to the directory the models' result artifacts were downloaded to"
  args=(summarize --github)
  [ -n "${INPUT_COMMENT:-}" ] && args+=(--comment "$INPUT_COMMENT")
  args+=("$INPUT_RESULTS")
}

install_only() { # the environment for the job's next steps, and nothing run
  full_mode_only
  echo "$bin_dir" >>"${GITHUB_PATH:?GITHUB_PATH is not set: run this script through action.yml}"
  echo "python=$python" >>"$output"
  echo "mlgate: installed in $(dirname "$bin_dir"); mlgate, dvc and the requirements' tools are on PATH for the next steps"
  exit 0
}

bin_dir="$(dirname "$python")"
case "$command" in
  ci) ci_args ;;
  monitor) monitor_args ;;
  summarize) summarize_args ;;
  install) install_only ;;
  *) fail "action input command is '$command': set it to ci, monitor, summarize or install" ;;
esac

VIRTUAL_ENV="$(dirname "$bin_dir")"
export VIRTUAL_ENV PATH="$bin_dir:$PATH"

rc=0
"$python" -m mlgate "${args[@]}" || rc=$?
if [ "$rc" -eq 1 ] && [ "$fail_on_gate" = false ]; then
  echo "::notice title=mlgate::a blocking gate failed; fail-on-gate is false, so this step passes"
  exit 0
fi
exit "$rc"
