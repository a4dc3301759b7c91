"""Running items (content types) in dependency order, several at a time: an item starts once every item it
depends on has finished. Knows nothing of Strapi or Medusa; `sync_all` gives it the types and their syncs."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Callable, Hashable, Iterable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_in_dependency_order(
    items: Sequence[Item],
    depends_on: Callable[[Item], Iterable[Hashable]],
    run: Callable[[Item, dict], Result],
    *,
    at_once: int,
    key: Callable[[Item], Hashable] = lambda item: item,
    before: Callable[[Item], dict] | None = None,
    after: Callable[[Result], None] | None = None,
) -> list[Result]:
    """`run(item, before(item))` for each of `items`, up to `at_once` at a time, each once the items it
    `depends_on` (by `key`; keys of no item are ignored) have finished; the results in the order of `items`.

    `items` must list every item after those it depends on (a dependency order): waiting items start in
    that order as slots free up. `before` and `after` are called from the calling thread. An item that raises
    stops the schedule: the items already running finish (and get their `after`), none starts, and the first
    error is raised.
    """
    keys = {key(item) for item in items}
    results: dict[Hashable, Result] = {}
    waiting = list(items)
    running: dict[Future, Item] = {}
    error: BaseException | None = None
    slots = max(at_once, 1)
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="sync-type") as pool:
        while running or (waiting and error is None):
            for item in list(waiting):
                if error is not None or len(running) >= slots:
                    break
                if set(depends_on(item)) & keys <= results.keys():
                    waiting.remove(item)
                    running[pool.submit(run, item, before(item) if before else {})] = item
            if not running:
                raise ValueError(f"items not in a dependency order: {[key(item) for item in waiting]} cannot start")
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item = running.pop(future)
                try:
                    results[key(item)] = future.result()
                except BaseException as exc:  # noqa: BLE001 - raised below, once the items still running are done
                    error = error or exc
                    continue
                if after:
                    after(results[key(item)])
    if error is not None:
        raise error
    return [results[key(item)] for item in items]
