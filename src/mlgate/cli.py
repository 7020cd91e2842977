"""The command line: parse arguments, call a command, map failures to exit codes.

Thin on purpose, and quick to import: DVC, pandas and friends load inside the commands that need them,
so ``mlgate --help`` and ``mlgate --version`` answer fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from mlgate import __version__
from mlgate.errors import EXIT_BAD_INPUT, EXIT_BUG, InputError, MlgateError

EXIT_CODES_HELP = """exit codes:
  0  all blocking gates passed      3  the pipeline or git failed
  1  a blocking gate failed         4  publishing failed where it was required
  2  bad config, input or usage    70  an internal error (a bug in mlgate)"""


PROPOSE_EXIT_CODES = """exit codes:
  0  proposed (pushed, pull request opened or updated), or nothing to propose
  2  bad input: the branch, the title, the body file, GITHUB_TOKEN or GITHUB_REPOSITORY
  3  git failed                    4  the push or the GitHub API refused"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's default exits 2 with usage; keep it one line
        raise InputError(f"{message}; see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlgate",
        description="Train on every commit: reproduce the DVC pipeline, compare with the base, gate on KPIs, report.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mlgate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--project-dir", default=".", metavar="DIR", help="the DVC project (default: .)")
        p.add_argument("--config", metavar="PATH", help="mlgate.yaml (default: mlgate.yaml in the project dir)")

    def run_options(p: argparse.ArgumentParser) -> None:
        common(p)
        p.add_argument("--base", metavar="REF", help="compare with REF's merge-base (default: baseline.ref, else the default branch)")
        p.add_argument("--report", default="mlgate-report.md", metavar="PATH", help="Markdown report (default: %(default)s)")
        p.add_argument("--json", default="mlgate-result.json", metavar="PATH", help="result JSON (default: %(default)s)")
        p.add_argument("--no-repro", dest="repro", action="store_false", help="use the outputs as they are")
        p.add_argument("--pull", action=argparse.BooleanOptionalAction, default=None,
                       help="dvc repro --pull: restore what did not change from the DVC remote (outputs, "
                            "run-cache) instead of re-running it (default: on when the project has a default DVC "
                            "remote; --no-pull: the local cache only)")
        p.add_argument("--push-cache", action=argparse.BooleanOptionalAction, default=None,
                       help="dvc push --run-cache after the run (default: on when recording and a DVC remote exists)")
        p.add_argument("--trend", type=int, default=20, metavar="N",
                       help="KPI trend over the last N ledger entries on the default branch; 0 = none (default: %(default)s)")
        p.add_argument("--report-id", default="default", metavar="ID", help="names this report (several per PR)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")

    def promote_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--artifact", default="model", metavar="NAME", help="the registry's artifact name (default: %(default)s)")
        p.add_argument("--stage", default="prod", metavar="STAGE", help="the stage to assign (default: %(default)s)")
        p.add_argument("--no-stage", dest="stage", action="store_const", const=None, help="assign no stage")
        p.add_argument("--bump", choices=("patch", "minor", "major"), default="patch",
                       help="which part of the version goes up (default: %(default)s)")
        p.add_argument("--push-tags", dest="push_tags", action=argparse.BooleanOptionalAction, default=True,
                       help="push the version and stage tags to origin (default: on)")

    p_run = sub.add_parser("run", help="reproduce, compare with the base, check the gates, write the report",
                           epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    run_options(p_run)
    p_run.add_argument("--record", action="store_true",
                       help="record this commit's metrics in the ledger (refs/notes/mlgate) and push it to origin")

    p_ci = sub.add_parser("ci", help="what the GitHub Action runs: run, then comment, status, summary, outputs",
                          epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    run_options(p_ci)
    p_ci.add_argument("--record", action=argparse.BooleanOptionalAction, default=None,
                      help="record the head in the metrics ledger and push it (default: on a push to the default branch)")
    p_ci.add_argument("--mode", choices=("full", "run", "publish"), default="full",
                      help="full; or run and publish separately for fork pull requests (default: %(default)s)")
    p_ci.add_argument("--comment", choices=("always", "on-failure", "never"), default="always",
                      help="the sticky pull-request comment (default: %(default)s)")
    p_ci.add_argument("--status", action=argparse.BooleanOptionalAction, default=True,
                      help="post a commit status (default: on)")
    p_ci.add_argument("--publisher", choices=("github", "cml", "none"), default="github",
                      help="where the report goes (default: %(default)s)")
    p_ci.add_argument("--artifact-dir", default="mlgate-artifact", metavar="DIR",
                      help="with --mode run: where result and report are saved for the publish half")
    p_ci.add_argument("--plots-dir", default=os.environ.get("RUNNER_TEMP", "") and
                      os.path.join(os.environ.get("RUNNER_TEMP", ""), "mlgate-plots"), metavar="DIR",
                      help="where the changed plot images and DVC's plots page go for the Action's artifact "
                           "(default: $RUNNER_TEMP/mlgate-plots; empty: none)")
    p_ci.add_argument("--promote", action=argparse.BooleanOptionalAction, default=False,
                      help="on a push to the default branch whose run passed, tag the next model version (default: off)")
    promote_options(p_ci)

    p_promote = sub.add_parser("promote", help="tag the commit whose run passed as the next model version (gto format)")
    p_promote.add_argument("--project-dir", default=".", metavar="DIR", help="the DVC project (default: .)")
    p_promote.add_argument("--json", default="mlgate-result.json", metavar="PATH",
                           help="the run's result (default: %(default)s)")
    promote_options(p_promote)

    p_compare = sub.add_parser("compare-predictions", help="champion vs challenger on production prediction logs",
                               epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(p_compare)
    p_compare.add_argument("champion", metavar="CHAMPION", help="the current model's prediction log (CSV, JSONL, Parquet)")
    p_compare.add_argument("challenger", metavar="CHALLENGER", help="the new model's prediction log, same columns")
    p_compare.add_argument("--report", default="mlgate-compare-report.md", metavar="PATH",
                           help="Markdown report (default: %(default)s)")
    p_compare.add_argument("--json", default="mlgate-compare-result.json", metavar="PATH",
                           help="result JSON (default: %(default)s)")
    p_compare.add_argument("--report-id", default="compare", metavar="ID", help="names this report (default: %(default)s)")

    p_monitor = sub.add_parser("monitor", help="compare a production sample with the default branch's last recorded run",
                               epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(p_monitor)
    p_monitor.add_argument("--sample", metavar="PATH",
                           help="the production sample: a CSV/Parquet file, a glob or a directory of partitions "
                                "(default: monitor.sample in mlgate.yaml)")
    p_monitor.add_argument("--report", default="mlgate-monitor-report.md", metavar="PATH",
                           help="Markdown report (default: %(default)s)")
    p_monitor.add_argument("--json", default="mlgate-monitor-result.json", metavar="PATH",
                           help="result JSON (default: %(default)s)")
    p_monitor.add_argument("--record", action=argparse.BooleanOptionalAction, default=True,
                           help="record the result in the monitoring ledger and push it (default: on)")
    p_monitor.add_argument("--github", action=argparse.BooleanOptionalAction, default=None,
                           help="open or update the monitoring issue and send the dispatch on an alarm "
                                "(default: on in GitHub Actions)")
    p_monitor.add_argument("--dispatch-type", metavar="TYPE",
                           help="the repository_dispatch event type (default: monitor.dispatch, mlgate-drift)")
    p_monitor.add_argument("--trend", type=int, default=20, metavar="N",
                           help="each check over the last N monitoring entries; 0 = none (default: %(default)s)")
    p_monitor.add_argument("-q", "--quiet", action="store_true", help="no progress lines")

    p_propose = sub.add_parser("propose", help="commit the work tree's changes to a branch, push it, open or update its "
                                               "pull request (the retraining workflow)",
                               epilog=PROPOSE_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p_propose.add_argument("--project-dir", default=".", metavar="DIR", help="inside the git repository (default: .)")
    p_propose.add_argument("--branch", required=True, metavar="NAME", help="the branch to push, e.g. mlgate/retrain")
    p_propose.add_argument("--title", required=True, metavar="TEXT", help="the pull request's title")
    p_propose.add_argument("--body-file", required=True, metavar="PATH",
                           help="the pull request's body, e.g. the report of mlgate run (never committed)")
    p_propose.add_argument("--base", metavar="BRANCH", help="the branch to merge into (default: the repository's default branch)")
    p_propose.add_argument("--message", metavar="TEXT", help="the commit message (default: the title)")

    p_summarize = sub.add_parser("summarize", help="one summary comment over a matrix of models' results",
                                 epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p_summarize.add_argument("results", nargs="+", metavar="PATH",
                             help="result files, or directories searched for mlgate-result.json (downloaded artifacts)")
    p_summarize.add_argument("--report", default="mlgate-summary.md", metavar="PATH",
                             help="the summary's Markdown (default: %(default)s)")
    p_summarize.add_argument("--summary-id", default="summary", metavar="ID",
                             help="the summary comment's own report id (default: %(default)s)")
    p_summarize.add_argument("--comment", choices=("always", "on-failure", "never"), default="always",
                             help="the sticky summary comment on the pull request (default: %(default)s)")
    p_summarize.add_argument("--github", action=argparse.BooleanOptionalAction, default=None,
                             help="link each model's comment and post the summary comment (default: on in GitHub Actions)")

    p_check = sub.add_parser("check", help="validate mlgate.yaml and show what each KPI matches")
    common(p_check)

    p_init = sub.add_parser("init", help="write mlgate.yaml (a gate per headline metric) and the GitHub workflow")
    common(p_init)
    p_init.add_argument("--force", action="store_true", help="overwrite files that exist")
    p_init.add_argument("--no-workflow", dest="workflow", action="store_false",
                        help="do not write .github/workflows/mlgate.yml")
    p_init.add_argument("--action", metavar="OWNER/REPO@REF",
                        help="how the workflow names the action; pin a commit SHA (default: the release tag)")

    p_history = sub.add_parser("history", help="the metrics ledger's history: each KPI per commit, with sparklines")
    common(p_history)
    p_history.add_argument("--kpi", action="append", metavar="NAME",
                           help="a KPI selector from mlgate.yaml or a metric 'file:key' (repeatable; default: the KPIs)")
    p_history.add_argument("-n", type=int, default=20, metavar="N", help="the last N entries (default: %(default)s)")
    p_history.add_argument("--ref", metavar="REF", help="whose first-parent history (default: the default branch)")
    p_history.add_argument("--report-id", default="default", metavar="ID", help="the ledger of this report id")
    p_history.add_argument("--changes", action="store_true",
                           help="list the commits where each KPI's level shifted (change points), with size and direction")
    p_history.add_argument("--no-fetch", dest="fetch", action="store_false", help="do not fetch the ledger from origin")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args, extra = build_parser().parse_known_args(argv)
        if extra:
            where = f"mlgate {args.command}" if args.command else "mlgate"
            raise InputError(f"unrecognized arguments: {' '.join(extra)}; see '{where} --help'")
        if args.command is None:
            build_parser().print_help()
            return EXIT_BAD_INPUT
        return _dispatch(args)
    except MlgateError as exc:
        return _fail(str(exc), exc.exit_code if exc.exit_code != EXIT_BUG else EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # `mlgate history | head`: the reader left; nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush is quiet too
        return 141
    except Exception as exc:  # the last line of defence: DVC's failure named as such, else a bug, said plainly
        if os.environ.get("MLGATE_DEBUG"):
            raise
        from mlgate.edges.dvc.failure import dvc_failure

        failure = dvc_failure(exc)
        if failure is not None:
            return _fail(str(failure), failure.exit_code)
        return _fail(
            f"internal error: {type(exc).__name__}: {exc}. This is a bug in mlgate {__version__}; "
            "please report it (set MLGATE_DEBUG=1 for the traceback)",
            EXIT_BUG,
        )


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from mlgate.commands.run import run_command

        return run_command(args)
    if args.command == "ci":
        from mlgate.commands.ci import ci_command

        return ci_command(args)
    if args.command == "history":
        from mlgate.commands.history import history_command

        return history_command(args)
    if args.command == "promote":
        from mlgate.commands.promote import promote_command

        return promote_command(args)
    if args.command == "compare-predictions":
        from mlgate.commands.compare_predictions import compare_predictions_command

        return compare_predictions_command(args)
    if args.command == "init":
        from mlgate.commands.init import init_command

        return init_command(args)
    if args.command == "monitor":
        from mlgate.commands.monitor import monitor_command

        return monitor_command(args)
    if args.command == "propose":
        from mlgate.commands.propose import propose_command

        return propose_command(args)
    if args.command == "summarize":
        from mlgate.commands.summarize import summarize_command

        return summarize_command(args)
    if args.command == "check":
        from mlgate.commands.check import check_command

        return check_command(args)
    raise MlgateError(f"unknown command {args.command!r}")


def _fail(message: str, code: int) -> int:
    """The one error line (stderr), and in Actions the same line as an annotation; never more than one line."""
    from mlgate.text.safe import one_line

    line = one_line(message)
    print(f"mlgate: error: {line}", file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from mlgate.edges.ci_context import error

        error(line, title="mlgate", stream=sys.stdout)
    return code


def entry() -> None:
    raise SystemExit(main())
