"""The model's code runs in a worker process, so a model file never decides how mlgate ends.

Loading a model and calling its ``predict`` run code from the repository. That code may raise anything
(``SystemExit(0)``, ``KeyboardInterrupt``), end its process (``os._exit``), crash, or never return. So
``run`` starts ``python -m mlgate.families.model.worker``, which loads both sides' models, probes their
interfaces and times their ``predict`` (``work``), and answers with plain data. Before each call into a
model (a load, an interface probe, one ``predict``) the worker names the file and the step on its
stdout; the parent waits at most ``MLGATE_MODEL_SECONDS`` (default ``MODEL_SECONDS``) for each and kills
the worker when one outlasts it. Whatever the model's code raised, a worker that ends without an
answer, and a step that outlasts the limit are that file's error: one ``InputError`` line (exit 2)
naming the file. A real Ctrl-C interrupts mlgate itself (exit 130) and the worker with it. The model's
own output goes nowhere (its text is not trusted in a CI log), and the worker's environment lacks the
GitHub token, as the pipeline's stages do (``edges.dvc.project.without_github_secrets``).
"""

from __future__ import annotations

import functools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from mlgate.config import settings
from mlgate.errors import InputError
from mlgate.text.safe import one_line

MODEL_SECONDS = 120.0
MODEL_SECONDS_ENV = "MLGATE_MODEL_SECONDS"
PROBE = "reading the model's interface"


def limit() -> float:
    """Seconds each call into a model may take (``MLGATE_MODEL_SECONDS``, default 120)."""
    return settings.seconds(MODEL_SECONDS_ENV, MODEL_SECONDS, 86400)


def detail(exc: BaseException) -> str:
    """``Type: first line of the message`` of what model code raised, bounded."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return one_line(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]


# --------------------------------------------------------------------------------------------------
# The parent


def run(job: dict[str, Any], *, say: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``work(job)`` in a worker process (see the module doc); ``say`` prints its progress lines."""
    from mlgate.edges.dvc.project import without_github_secrets

    seconds = limit()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    with tempfile.TemporaryFile() as errors:
        with without_github_secrets(env):  # the model's code is the pull request's, like the pipeline's stages
            proc = subprocess.Popen([sys.executable, "-m", "mlgate.families.model.worker"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=errors, env=dict(env))
        lines: queue.Queue[bytes | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
            file, step = job["head"][1], "starting the model process"
            while True:
                try:
                    raw = lines.get(timeout=seconds)
                except queue.Empty:
                    raise InputError(
                        f"{file}: {step} did not finish within {seconds:g} s ({MODEL_SECONDS_ENV}); fix the model "
                        f"or give it more time, e.g. {MODEL_SECONDS_ENV}={max(2 * seconds, 300):g}"
                    ) from None
                if raw is None:
                    code = proc.wait()
                    if os.environ.get("MLGATE_DEBUG"):
                        errors.seek(0)
                        sys.stderr.write(errors.read().decode(errors="replace"))
                    raise InputError(f"{file}: the model's code ended mlgate's model process (exit code {code}) while "
                                     f"{step}; model files must load and predict without ending the process")
                message = _message(raw, file)
                if "step" in message:
                    file, step = str(message["file"]), str(message["step"])
                elif "progress" in message and say is not None:
                    say(str(message["progress"]))
                elif "error" in message:
                    raise InputError(one_line(str(message["error"])))
                elif "done" in message:
                    return message["done"]
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _read_lines(stream: IO[bytes], out: queue.Queue[bytes | None]) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def _message(raw: bytes, file: str) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        raise InputError(f"{file}: the model's code wrote into mlgate's model process's answers; "
                         "model files must not write to inherited file descriptors")
    return message


# --------------------------------------------------------------------------------------------------
# The worker


def work(job: dict[str, Any], say: Callable[..., None]) -> dict[str, Any]:
    """Load each side's model, describe its interface and, with a sample, time its predict.

    A failure at the head is an InputError; at the base a warning, and the base's figures are left out.
    """
    from mlgate.families.model import interface, loading, timing

    loader, drop = job["loader"], tuple(job["drop"])
    head_path, head_name = job["head"]
    warnings: list[str] = []
    h = _guard(say, head_name, "loading the model", lambda: loading.load(Path(head_path), loader, head_name))
    warnings += h.warnings
    b, base_name = None, None
    if job["base"] is not None:
        base_path, base_name = job["base"]
        try:
            b = _guard(say, base_name, "loading the model", lambda: loading.load(Path(base_path), loader, base_name))
            warnings += b.warnings
        except InputError as exc:
            warnings.append(f"{exc}; the base's latency and interface are left out")

    sample = None
    if job["sample"] is not None:
        sample_path, sample_name = job["sample"]
        sample = loading.read_sample(Path(sample_path), sample_name, job["rows"])

    def probe(loaded: Any, name: str) -> tuple[Any, dict[str, Any]]:
        x = loading.inputs(loaded, sample, name, drop) if sample is not None else None
        return x, interface.describe(loaded, x)

    step = PROBE + (" (predict() on 5 sample rows)" if sample is not None else "")
    hx, h_info = _guard(say, head_name, step, lambda: probe(h, head_name))
    bx, b_info = None, None
    if b is not None:
        assert base_name is not None
        try:
            bx, b_info = _guard(say, base_name, step, lambda: probe(b, base_name))
        except InputError as exc:
            warnings.append(f"{exc}; the base's latency and interface are left out")
            b = None

    timings = None
    if sample is not None and hx is not None:
        sides = [(h, hx, head_name)] + ([(b, bx, base_name)] if b is not None and bx is not None else [])
        say(progress=f"  model: timing predict on {len(hx):,} rows, {job['repeats']} calls a side"
                     f"{', base and head interleaved' if len(sides) == 2 else ''}")
        predicts = [_guard(say, name, "finding predict()", functools.partial(loading.predictor, m, name))
                    for m, _, name in sides]
        current = [head_name]

        def before(s: int) -> None:
            current[0] = str(sides[s][2])
            say(step="calling predict() on model.sample", file=current[0])

        try:
            measured = timing.measure([(p, x) for p, (_, x, _) in zip(predicts, sides)], job["repeats"], before=before)
        except BaseException as exc:  # noqa: BLE001 - whatever the model's predict raises is that file's error
            raise InputError(f"{current[0]}: predict() failed on model.sample: {detail(exc)}; fix the model, "
                             "or point model.sample at rows it accepts") from None
        timings = [{"single": t.single.tolist(), "batch": t.batch.tolist(), "batch_rows": t.batch_rows}
                   for t in measured]
    return {"warnings": warnings, "head_info": h_info, "base_info": b_info, "timings": timings}


def _guard(say: Callable[..., None], name: str, step: str, call: Callable[[], Any]) -> Any:
    """``call()``, announced as ``step`` on ``name``; whatever it raises becomes that file's InputError."""
    say(step=step, file=name)
    try:
        return call()
    except InputError:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt...: the model file's doing
        raise InputError(f"{name}: {step} raised {detail(exc)}; fix the model file") from None


def main() -> None:
    job = json.loads(sys.stdin.read())
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # the model's own prints go nowhere: only the answers reach the parent

    def say(**message: Any) -> None:
        answers.write(json.dumps(message, default=str) + "\n")
        answers.flush()

    try:
        say(done=work(job, say))
    except InputError as exc:
        say(error=str(exc))
    except BaseException as exc:  # noqa: BLE001 - raised by model code outside a guarded step (e.g. a __del__)
        say(error=f"{job['head'][1]}: the model's code raised {detail(exc)}; fix the model file")
    answers.flush()
    os._exit(0)  # no interpreter shutdown: a model's finalizers cannot change the answer


if __name__ == "__main__":
    main()
