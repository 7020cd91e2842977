"""A small GitHub REST client: JSON in and out, retries with back-off, rate limits, typed errors.

Retries are urllib3's (``Retry`` on a ``requests`` adapter): connection errors, read timeouts and
500/502/503/504 are retried for every method with exponential back-off, and ``Retry-After`` is
honoured (429/503, or any retried status that carries it). On top of that the client handles
GitHub's own rate limits, which urllib3 cannot see because they arrive as a 403:

- primary limit: 403/429 with ``x-ratelimit-remaining: 0`` → wait until ``x-ratelimit-reset`` (+1 s);
- secondary limit: 403/429 with ``Retry-After`` → wait that long;
- a 429 (or a 403 whose message says "rate limit") with neither header → wait 60 s.

Every wait goes through the injected ``sleep`` (tests record it instead of sleeping) and is capped
by ``max_wait``; a reset further away than that raises ``RateLimited`` instead of blocking a CI job.

POST is retried too: a retried status post is harmless. Creating the sticky comment is not retried
blindly: ``comments.upsert_comment`` sends it with ``once=True`` (no retries) and, when the answer is
lost, lists the comments again and adopts the one the lost request created before trying again.

Time: ``deadline`` (a ``time.monotonic()`` value) bounds every call, its retries and its waits; once
it has passed, a call raises ``GitHubTimeout`` instead of waiting on an API that does not answer.

Errors (all ``mlgate.errors.PublishError``, exit code 4 unless the caller degrades):

- ``GitHubConnectionError``: the API could not be reached after the retries;
- ``GitHubHTTPError(status, message)``: any other non-2xx answer;
  - ``PublishDenied``: 401/403/404 — the token may not do this (a fork's read-only token);
  - ``RateLimited``: the rate limit did not reset within ``max_wait``.

The token is sent only to ``api_url``'s host (pagination links elsewhere are refused) and never
appears in a message or a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from mlgate import __version__
from mlgate.errors import PublishError

log = logging.getLogger("mlgate.publish.github")

API_VERSION = "2022-11-28"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DENIED_STATUSES = frozenset({401, 403, 404})

Sleep = Callable[[float], None]


class GitHubError(PublishError):
    """Base of every failure talking to the GitHub API."""


class GitHubConnectionError(GitHubError):
    """The API could not be reached (connection refused, DNS, timeouts) after the retries."""


class GitHubTimeout(GitHubConnectionError):
    """The time given to the GitHub API (the client's ``deadline``) ran out."""


class _OutOfTime(Exception):
    """Raised inside urllib3's retry loop when the deadline has passed (turned into GitHubTimeout)."""


class GitHubHTTPError(GitHubError):
    """The API answered with a non-2xx status. ``payload`` is the parsed JSON error body, if any."""

    def __init__(self, status: int, message: str, *, method: str = "", path: str = "",
                 payload: Any = None) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        self.payload = payload
        super().__init__(self._line())

    def _line(self) -> str:
        where = f"{self.method} {self.path} " if self.method else ""
        return f"GitHub API {where}answered {self.status}: {self.message}"

    @property
    def detail(self) -> str:
        """The error text GitHub sent, including the ``errors[].message`` entries (lower-cased)."""
        parts = [self.message]
        if isinstance(self.payload, Mapping):
            for item in self.payload.get("errors") or []:
                if isinstance(item, Mapping):
                    parts.append(str(item.get("message", "")))
                else:
                    parts.append(str(item))
        return " ".join(parts).lower()


class PublishDenied(GitHubHTTPError):
    """401/403/404 on the API: the token lacks permission (typically a fork pull request's
    read-only ``GITHUB_TOKEN``). Callers publishing a report should catch this, keep the verdict and
    still write the job summary, the report file and the outputs."""

    def _line(self) -> str:
        return (
            super()._line()
            + "; the token may not do this (read-only token on a fork pull request?) — grant"
            " `pull-requests: write` and `statuses: write`, or use the two-workflow setup"
            " (`mode: run` + `mode: publish`)"
        )


class RateLimited(GitHubHTTPError):
    """The GitHub rate limit is exhausted and does not reset within the client's ``max_wait``."""


class _Retry(Retry):
    """urllib3's Retry, sleeping through an injected function and capping each wait."""

    # 429 is the client's business (GitHub's rate-limit headers), so urllib3 keeps Retry-After for
    # 503 and the statuses in the forcelist only; one layer decides each wait.
    RETRY_AFTER_STATUS_CODES = frozenset({503})
    _sleep_fn: Sleep = staticmethod(time.sleep)
    _max_wait: float = 60.0
    _client: Any = None  # the GitHubClient, for its deadline

    def new(self, **kw: Any) -> _Retry:
        fresh = super().new(**kw)
        fresh._sleep_fn = self._sleep_fn
        fresh._max_wait = self._max_wait
        fresh._client = self._client
        return fresh

    def _remaining(self) -> float:
        return self._client.remaining() if self._client is not None else float("inf")

    def increment(self, *args: Any, **kwargs: Any) -> _Retry:
        if self._remaining() <= 0:
            raise _OutOfTime
        return super().increment(*args, **kwargs)

    def _wait(self, seconds: float) -> None:
        seconds = min(float(seconds), self._max_wait)
        if seconds >= self._remaining():
            raise _OutOfTime
        if seconds > 0:
            log.debug("retrying the GitHub API call in %.1f s", seconds)
            self._sleep_fn(seconds)

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            self._wait(retry_after)
            return True
        return False

    def sleep(self, response: Any = None) -> None:
        if self.respect_retry_after_header and response is not None:
            if self.sleep_for_retry(response):
                return
        self._wait(self.get_backoff_time())


class GitHubClient:
    """JSON over the GitHub REST API for one repository.

    ``api_url`` is ``GITHUB_API_URL`` (``https://api.github.com`` or ``https://HOST/api/v3``);
    ``repository`` is ``owner/name``. Paths passed to the methods are relative to ``api_url``
    (``/repos/o/r/...``); ``repo_path("/issues/1")`` builds the repository's paths.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        repository: str,
        *,
        timeout: float = 10,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        deadline: float | None = None,
    ) -> None:
        if not api_url:
            raise GitHubError("GitHub API URL is empty; set GITHUB_API_URL (e.g. https://api.github.com)")
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.deadline = deadline  # a time.monotonic() value, or None for no bound
        self._sleep = sleep
        self._clock = clock
        self._origin = _origin(self.api_url)

        retry = _Retry(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            redirect=0,
            backoff_factor=backoff,
            backoff_max=max_wait,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,  # every method, POST included (see the module docstring)
            respect_retry_after_header=True,
            raise_on_status=False,  # hand back the last response; we raise our own error
            raise_on_redirect=False,
        )
        retry._sleep_fn = sleep
        retry._max_wait = max_wait
        retry._client = self
        self._session = _session(retry, token)
        self._session_once = _session(Retry(total=0, redirect=0, raise_on_status=False,
                                            raise_on_redirect=False), token)

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubClient(api_url={self.api_url!r}, repository={self.repository!r})"

    def close(self) -> None:
        self._session.close()
        self._session_once.close()

    def remaining(self) -> float:
        """Seconds left before the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def pause(self, attempt: int) -> None:
        """The back-off before retry number ``attempt`` (0-based) of a call made with ``once=True``."""
        wait = min(self.backoff * 2**attempt, self.max_wait)
        if wait >= self.remaining():
            raise GitHubTimeout(f"GitHub API: the time for publishing ran out ({self._budget_text()})")
        if wait > 0:
            self._sleep(wait)

    def _budget_text(self) -> str:
        return "see MLGATE_GITHUB_SECONDS" if self.deadline is not None else "no deadline"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------

    def repo_path(self, suffix: str = "") -> str:
        """``/repos/{owner}/{name}{suffix}`` for this client's repository."""
        return f"/repos/{self.repository}{suffix}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)[0]

    def post(self, path: str, json: Any = None) -> Any:
        return self.request("POST", path, json=json)[0]

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)[0]

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Yield every item of a list endpoint, following ``Link: <...>; rel="next"`` to the end."""
        query = {"per_page": 100, **(params or {})}
        url: str | None = path
        while url is not None:
            page, response = self.request("GET", url, params=query)
            if not isinstance(page, list):
                raise GitHubHTTPError(response.status_code, "expected a JSON list from a list endpoint",
                                      method="GET", path=_path_of(url))
            yield from page
            next_url = response.links.get("next", {}).get("url")
            if next_url and _origin(next_url) != self._origin:
                raise GitHubError(
                    f"GitHub API pagination link points to another host ({_origin(next_url)});"
                    f" refusing to send the token outside {self._origin}"
                )
            url = next_url
            query = {}  # the next link carries the query

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, once: bool = False) -> tuple[Any, requests.Response]:
        """One API call with retries (none with ``once``); returns (parsed JSON or None, response)."""
        url = path if path.startswith(("http://", "https://")) else urljoin(self.api_url + "/", path.lstrip("/"))
        shown = _path_of(url)
        session = self._session_once if once else self._session
        waits = 0
        while True:
            remaining = self.remaining()
            if remaining <= 0:
                raise GitHubTimeout(f"GitHub API {method} {shown}: not sent, the time for publishing ran out"
                                    f" ({self._budget_text()})")
            try:
                response = session.request(method, url, params=params, json=json,
                                           timeout=min(self.timeout, remaining))
            except _OutOfTime:
                raise GitHubTimeout(f"GitHub API {method} {shown} did not answer in the time for publishing"
                                    f" ({self._budget_text()})") from None
            except requests.RequestException as exc:
                tries = "" if once else f" after {self.max_retries} retries"
                raise GitHubConnectionError(
                    f"GitHub API {method} {shown} unreachable{tries}:"
                    f" {type(exc).__name__}; check GITHUB_API_URL ({self.api_url}) and the network"
                ) from None
            log.debug("GitHub API %s %s -> %s", method, shown, response.status_code)
            wait = self._rate_limit_wait(response)
            if wait is None:
                break
            if wait >= self.remaining():
                raise RateLimited(response.status_code,
                                  f"rate limit exhausted; it resets in {wait:.0f} s, after the time for publishing"
                                  " — retry later or use a token with a higher limit",
                                  method=method, path=shown, payload=_json_or_none(response))
            if wait > self.max_wait or waits >= self.max_retries:
                why = (f"it resets in {wait:.0f} s" if wait > self.max_wait
                       else f"still limited after {waits} waits")
                raise RateLimited(response.status_code,
                                  f"rate limit exhausted; {why} — retry later or use a token with a higher limit",
                                  method=method, path=shown, payload=_json_or_none(response))
            waits += 1
            log.debug("GitHub API rate limit hit; waiting %.1f s", wait)
            self._sleep(wait)
        if response.status_code >= 400:
            raise _error_for(response, method, shown)
        if response.status_code == 204 or not response.content:
            return None, response
        try:
            return response.json(), response
        except ValueError:
            raise GitHubHTTPError(response.status_code, "answer is not JSON", method=method, path=shown) from None

    # -- internals --------------------------------------------------------------------------

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait if ``response`` is a GitHub rate-limit answer, else None."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            try:
                return max(_Retry().parse_retry_after(retry_after), 0.0)
            except InvalidHeader:  # an unparsable header: GitHub's advice is to wait a minute
                return 60.0
        if headers.get("x-ratelimit-remaining") == "0":
            reset = headers.get("x-ratelimit-reset")
            try:
                return max(float(reset) - self._clock(), 0.0) + 1.0 if reset else 60.0
            except ValueError:
                return 60.0
        # GitHub: without either header, wait at least a minute (429, or a 403 that says so).
        if response.status_code == 429 or "rate limit" in response.text[:1000].lower():
            return 60.0
        return None


def _session(retry: Retry, token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc credentials from the environment
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"mlgate/{__version__}",
    })
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _path_of(url: str) -> str:
    return urlsplit(url).path or "/"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_for(response: requests.Response, method: str, path: str) -> GitHubHTTPError:
    payload = _json_or_none(response)
    message = ""
    if isinstance(payload, Mapping):
        message = str(payload.get("message", ""))
    if not message:
        message = response.reason or "error"
    message = " ".join(message.split())[:300]
    cls = PublishDenied if response.status_code in DENIED_STATUSES else GitHubHTTPError
    if response.status_code in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
        cls = RateLimited
    return cls(response.status_code, message, method=method, path=path, payload=payload)
