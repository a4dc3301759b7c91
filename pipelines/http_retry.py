"""The one retry policy of the project's HTTP clients (Strapi's REST API, Medusa's Admin API): urllib3 retries with
Retry-After honoured and bounded, a large budget for answers that say "not now" and a small one for requests that
were sent and got no answer. A leaf: both clients build on it."""

from __future__ import annotations

import logging
from typing import Any

from urllib3.exceptions import ProtocolError
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)


class BoundedRetry(Retry):
    """urllib3 Retry that honours Retry-After but never sleeps longer than `max_retry_after` seconds."""

    def __init__(self, *args: Any, max_retry_after: float = 60.0, idempotent_posts: bool = False,
                 resend_unanswered: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_retry_after = max_retry_after
        self.idempotent_posts = idempotent_posts
        self.resend_unanswered = resend_unanswered

    def new(self, **kw: Any) -> "BoundedRetry":
        retry = super().new(**kw)
        retry.max_retry_after = self.max_retry_after
        retry.idempotent_posts = self.idempotent_posts
        retry.resend_unanswered = self.resend_unanswered
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # Strapi answers a create that hits the medusa_id unique index with a bare 500: retrying it
        # only repeats the violation, and the sync resolves it by re-reading the entry. (Routes whose
        # POSTs are idempotent, the bulk plugin's, are retried like any other request.)
        if method == "POST" and status_code == 500 and not self.idempotent_posts:
            return False
        return super().is_retry(method, status_code, has_retry_after)

    def _is_connection_error(self, err: Exception) -> bool:
        # A dropped connection (a reset, a close without an answer) fails at once: it spends the large
        # connection budget. Only a request that hangs (a read timeout) spends the small read budget.
        # Not on a route whose requests must not be sent twice: there a reset counts against the read budget.
        return (self.resend_unanswered and isinstance(err, ProtocolError)) or super()._is_connection_error(err)

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> "BoundedRetry":
        """urllib3's next Retry (MaxRetryError once spent), and an INFO line for each retry: which request (its path, no
        query), why, how many retries are left. With `-v` a run's log shows the retries it spent, e.g. on the 502s of a
        balancer whose node went away (urllib3 logs a retry on a status at DEBUG only)."""
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        why = type(error).__name__ if error is not None else f"answer {getattr(response, 'status', '?')}"
        log.info("retrying %s %s after %s (%s retries left)", method, (url or "").split("?")[0], why, retry.total)
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_retry_after)


# The retry budget (docs/internals.md#reliability): answers that say "not now" (429, 502, 503, 504, and resets
# before a request was sent) are retried up to 8 times with exponential back-off, enough that a Strapi
# failing 1 request in 5 still loses nothing (0.2^9 per request); a request that was sent and got no answer
# (a read timeout, a reset mid-answer) only twice, so that a Strapi that accepts and never answers is
# reported within 30 s (3 x 8 s, plus back-off) instead of minutes.
RETRIES = 8
READ_RETRIES = 2
TIMEOUT = (5.0, 8.0)  # connect, read (seconds)
MAX_RETRY_AFTER = 30.0


def build_retry(retries: int = RETRIES, backoff_factor: float = 0.25, max_retry_after: float = MAX_RETRY_AFTER,
                read_retries: int = READ_RETRIES, idempotent_posts: bool = False, resend_unanswered: bool = True) -> BoundedRetry:
    """Retries for connect errors, resets, 429 (Retry-After honoured) and 5xx, on every method.

    POST is retried too (but not on a plain 500, see `BoundedRetry.is_retry`): `medusa_id` has a
    unique index, so a create that reached Strapi before the connection dropped comes back as a
    unique violation, which the sync resolves as an update.
    """
    return BoundedRetry(
        total=retries,
        connect=retries,
        read=min(read_retries, retries),
        status=retries,
        backoff_factor=backoff_factor,
        backoff_max=4,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "POST", "PUT", "DELETE"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after=max_retry_after,
        idempotent_posts=idempotent_posts,
        resend_unanswered=resend_unanswered,
    )
