"""The one path from local files to stored records, for ``newsmon ingest`` and for the
monitor's ``files =`` sources alike.

Files are listed and read by flows/localfiles.py (safely: no link out of a named
folder, bounded memory); their records are appended and tagged in one transaction per
batch. A file or record that fails is one :class:`Problem`, recorded in ``run_errors``
and handed to the caller; its neighbours go on. No Prefect here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import store
from flows.config import Source, load_config
from flows.localfiles import Problem, expand, read_records
from flows.stages import append_and_tag
from parsers.record import Article
from parsers.topics import Topic
from store import fetchstate

#: Records appended per transaction (local files need no fetch pipeline: larger batches).
BATCH_SIZE = 200


@dataclass
class IngestCounts:
    """What one ingestion did; ``problems`` are also rows of ``run_errors``."""

    files: int = 0
    #: files skipped because they are unchanged since they were last read
    unchanged: int = 0
    records: int = 0
    new: int = 0
    duplicates: int = 0
    revisions: int = 0
    #: records the store did not take (failed, or not an article)
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)


def ingest_paths(
    db_path: str,
    paths: Iterable[str | Path],
    *,
    run_id: str,
    source: str | None = None,
    owner: bool = False,
    topics: list[Topic] | None = None,
    skip_unchanged: bool = False,
    sources: Iterable[Source] = (),
    on_problem: Callable[[Problem], None] | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> IngestCounts:
    """Read, store and tag the records of ``paths`` (files or folders).

    ``source`` names the source of records that do not say theirs; with ``owner`` the
    files belong to that source (a monitor ``files =`` source) and it names every record.
    ``skip_unchanged`` skips a file whose size and modification time are those recorded
    when it was last read (the monitor reads its files on every run). ``sources`` say how
    each source learns its boilerplate (lines its files repeat). ``on_problem`` is
    called for every problem after it is recorded; ``on_file(done, total)`` after each file.
    """
    counts = IngestCounts()
    learning = list(sources)
    db = store.open_db(db_path)

    def problem(p: Problem) -> None:
        counts.problems.append(p)
        store.record_error(db, run_id, source=source, item=p.item, stage=p.stage, message=p.message)
        if on_problem is not None:
            on_problem(p)

    def append(batch: list[Article]) -> None:
        result = append_and_tag(
            db, batch, run_id, topics or [], articles_only=False, sources=learning
        )
        counts.new += result.new
        counts.duplicates += result.duplicates
        counts.revisions += len(result.revisions)
        counts.skipped += len(result.rejected)

    try:
        files, listing_problems = expand(list(paths))
        for p in listing_problems:
            problem(p)
        uris = {path: path.resolve().as_uri() for path in files}
        known = fetchstate.url_states(db, uris.values()) if skip_unchanged else {}
        seen: list[dict[str, object]] = []
        batch: list[Article] = []
        for done, (path, uri) in enumerate(uris.items(), start=1):
            stamp = _stamp(path)
            old = known.get(uri)
            if stamp is None:
                problem(Problem(str(path), "read", "gone or unreadable since it was listed"))
            elif skip_unchanged and old and old.etag == stamp and old.last_status == 200:
                counts.unchanged += 1
            else:
                counts.files += 1
                for item, art in _records_of(path, source):
                    if isinstance(art, Problem):
                        problem(art)
                        continue
                    counts.records += 1
                    if not art.ok:
                        problem(Problem(item, "parse", art.error or "parse failed"))
                        continue
                    if owner and source:
                        art.source = source
                    batch.append(art)
                    if len(batch) >= BATCH_SIZE:
                        append(batch)
                        batch = []
                seen.append(
                    {"url": uri, "kind": "file", "source": source, "status": 200, "etag": stamp}
                )
            if on_file is not None:
                on_file(done, len(uris))
        if batch:
            append(batch)
        if skip_unchanged:
            # Remembered only once the records are stored: a crash reads the file again.
            fetchstate.save_url_states(db, seen)
        return counts
    finally:
        db.close()


def ingest_summary(run_id: str, c: IngestCounts) -> dict[str, object]:
    """What a run of ``newsmon ingest`` reports, and what its ``runs`` row keeps."""
    return {
        "run_id": run_id,
        "files": c.files,
        "records": c.records,
        "new": c.new,
        "duplicates": c.duplicates,
        "revisions": c.revisions,
        "skipped": c.skipped,
        "errors": len(c.problems),
    }


def recorded_ingest(
    db_path: str,
    paths: Iterable[str | Path],
    *,
    source: str | None = None,
    config: str | None = None,
    flow_run: str | None = None,
    on_file: Callable[[int, int], None] | None = None,
) -> tuple[str, IngestCounts]:
    """One ingestion as a run of the store: its ``runs`` row opened before the work and
    closed after it (failed if the work raised), whether or not Prefect runs it.

    ``config`` (a newsmon.toml) supplies the topics new articles are tagged with and how
    each source learns its boilerplate; ``flow_run`` is the Prefect flow run, if any.
    Returns the run id and the counts.
    """
    cfg = load_config(config) if config and Path(config).exists() else None
    database = store.open_db(db_path)
    run_id = store.start_run(database, "ingest-files", flow_run)
    counts = IngestCounts()
    status = "failed"
    try:
        counts = ingest_paths(
            db_path,
            paths,
            run_id=run_id,
            source=source,
            topics=cfg.compiled_topics if cfg else [],
            sources=cfg.sources if cfg else [],
            on_file=on_file,
        )
        status = "completed"
    finally:
        store.finish_run(
            database,
            run_id,
            status=status,
            items=counts.records,
            new=counts.new,
            duplicates=counts.duplicates,
            errors=len(counts.problems),
            summary=ingest_summary(run_id, counts),
        )
        database.close()
    return run_id, counts


def _stamp(path: Path) -> str | None:
    """Size and modification time: a file with the same stamp is not read again."""
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{st.st_size}-{st.st_mtime_ns}"


def _records_of(path: Path, source: str | None) -> Iterator[tuple[str, Article | Problem]]:
    """The records of one file; whatever reading it raises ends it as one Problem.

    Only the reading is guarded: an error of the store (appending a batch) is not a
    problem of this file and still fails the run.
    """
    records = read_records(path, source=source)
    try:
        while True:
            try:
                item, art = next(records)
            except StopIteration:
                return
            except (ValueError, OSError) as exc:
                yield str(path), Problem(str(path), "read", str(exc))
                return
            except Exception as exc:  # noqa: BLE001 - one file never stops the others
                yield str(path), Problem(str(path), "read", f"{type(exc).__name__}: {exc}"[:300])
                return
            yield item, art
    finally:
        records.close()
