"""The knowledge library: index it, ask it, measure it, and see which questions it leaves open."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.answering.factory import KnowledgeCore
from bot.answering.service import Answer
from bot.cli import common
from bot.cli.common import console, out, print_json
from bot.errors import ChangebotError, KnowledgeUnavailableError
from bot.evaluation.evalset import load_eval_set
from bot.evaluation.runner import calibrate_threshold, fit_confidence, run_eval, summarise
from bot.library.store import export_to
from bot.questions.asking import ask as ask_question
from bot.questions.gaps import group_gaps
from bot.questions.phrasings import DatabasePhrasings
from bot.questions.service import open_questions
from bot.storage.database import read_only_transaction
from ingest.vectors import VectorStoreUnavailableError


def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the knowledge library).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Embed every vector again into a new vector store that replaces the old one once "
            "complete (a damaged store; only this product's collection on a Chroma server).",
        ),
    ] = False,
) -> None:
    """Index the knowledge library (incremental: unchanged files are skipped)."""
    settings = common._settings()
    core = common._core(settings)
    missing = [str(path) for path in paths or [] if not path.exists()]
    if missing:
        console.print(f"[red]No such file or folder:[/red] {', '.join(missing)}")
        raise typer.Exit(2)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json or not console.is_terminal,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            label = {"read": "Reading files", "embed": "Embedding chunks"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = int(bar.add_task(label, total=total))
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        with common._refusing():  # a Chroma server that does not answer: say so, the live index stays
            report = core.ingest(paths, progress=progress, rebuild=rebuild)
    if as_json:
        print_json(
            {
                "generation": report.generation,
                "added": report.added,
                "changed": report.changed,
                "removed": report.removed,
                "unchanged": report.unchanged,
                "failed": [{"source": p.source, "error": p.message} for p in report.failed],
                "chunks": report.chunks_total,
                "embedded": report.chunks_embedded,
                "vectors_rebuilt": report.rebuilt,
                "vectors_restored": report.vectors_restored,
                "seconds": round(report.seconds, 3),
            }
        )
    else:
        if report.rebuilt:  # why this run embedded everything again (and took longer)
            why = "." if rebuild else f": {report.rebuilt}."
            out.print(f"Rebuilt the vector store from the library{why}", markup=False)
        elif report.vectors_restored:
            out.print(f"The vector store had lost {report.vectors_restored} vectors: embedded them again.")
        out.print(
            f"Indexed {report.chunks_total} chunks ({report.generation}): "
            f"{len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed, "
            f"{report.unchanged} unchanged, {len(report.failed)} failed; "
            f"{report.chunks_embedded} embedded in {report.seconds:.1f} s."
        )
        for problem in report.failed:
            out.print(f"[red]✗[/red] {problem.source}: {problem.message}")
    if report.failed:
        raise typer.Exit(1)


def _print_answer(answer: Answer) -> None:
    if answer.note:
        out.print(f"[dim]{answer.note}[/dim]")
    out.print(answer.answer)
    if answer.answered and answer.sources:
        out.print()
        for number, source in enumerate(answer.sources, start=1):
            where = " > ".join(part for part in (source.title, source.section) if part)
            out.print(f"[dim][{number}] {where} ({source.source})[/dim]")
    out.print(f"[dim]confidence {answer.confidence:.2f} · {answer.latency_ms:.0f} ms[/dim]")


def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Answer one question from the knowledge library."""
    settings = common._settings()
    core = common._core(settings)
    sessions = common._sessions(settings)
    core.learn_from(DatabasePhrasings(sessions=sessions))
    with common._refusing():
        answer = ask_question(
            sessions=sessions, answerer=core.answerer, question=question, channel="cli"
        ).answer
    if as_json:
        print_json(answer.to_json())
    else:
        _print_answer(answer)


def chat() -> None:
    """Ask questions interactively (empty line or Ctrl-D to quit)."""
    settings = common._settings()
    core = common._core(settings)
    sessions = common._sessions(settings)
    core.learn_from(DatabasePhrasings(sessions=sessions))
    out.print("Ask a question (empty line to quit).")
    while True:
        try:
            question = input("> ")
        except (EOFError, KeyboardInterrupt):
            out.print()
            break
        if not question.strip():
            break
        try:
            answer = ask_question(
                sessions=sessions, answerer=core.answerer, question=question, channel="cli"
            ).answer
        except KnowledgeUnavailableError as exc:
            console.print(f"[red]{exc}[/red]")
            continue
        _print_answer(answer)
        out.print()


def evaluate(
    file: Annotated[Path, typer.Argument(help="Eval set, JSON lines.", exists=True, dir_okay=False)],
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Sources to look at per question.")] = 3,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print summary and per-question results as JSON.")
    ] = False,
    mode: Annotated[str, typer.Option(help="hybrid, lexical or dense.")] = "hybrid",
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Also suggest an answer threshold.")] = False,
    fit_to: Annotated[
        Path | None,
        typer.Option(
            "--fit",
            help="Fit the confidence model on the set's tuning half, write it here, then evaluate with it.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Measure hit@k, MRR, refusals and latency on an eval set (or fit the confidence model first)."""
    if mode not in ("hybrid", "lexical", "dense"):
        console.print("[red]--mode must be hybrid, lexical or dense[/red]")
        raise typer.Exit(2)
    try:
        questions = load_eval_set(file)
    except ChangebotError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    settings = common._settings()
    core = common._core(settings)
    if fit_to is not None:
        with Progress(
            TextColumn("Fitting on the tuning half"), BarColumn(), MofNCompleteColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        ) as bar:  # fmt: skip
            fitting = bar.add_task("fit", total=None)
            try:
                model = fit_confidence(
                    answerer=core.answerer,
                    questions=questions,
                    fitted_on=f"{file.name} tuning half, {core.embedder.fingerprint}",
                    progress=lambda done, total: bar.update(fitting, completed=done, total=total),
                )
            except ValueError as exc:
                console.print(f"[red]Cannot fit on {file}: {exc}[/red]")
                raise typer.Exit(2) from exc
        model.save(fit_to)
        core.answerer.confidence_model = model
        console.print(
            f"Wrote {fit_to}: answer from {model.answer_from:.3f}, suggest from {model.suggest_from:.3f}, "
            f"chit-chat below {model.off_topic_below:.3f}. Serve with CHANGEBOT_CONFIDENCE_MODEL={fit_to}."
        )
    with Progress(
        TextColumn("Evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("eval", total=len(questions))
        results = run_eval(
            answerer=core.answerer,
            questions=questions,
            k=k,
            mode=mode,  # type: ignore[arg-type]
            progress=lambda done, total: bar.update(task, completed=done),
        )
    summary = summarise(results, k=k)
    if calibrate:
        summary["suggested_threshold"] = calibrate_threshold(results)
        summary["threshold"] = core.answerer.threshold
    if as_json:
        payload = {"summary": summary, "results": [result.to_json() for result in results]}
        print_json(payload)
        return
    table = Table("metric", "value", title=f"{file} ({mode}, k={k})")
    for key, value in summary.items():
        if isinstance(value, dict):
            continue
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    out.print(table)
    for title, group in (("By language", "by_language"), ("By kind", "by_kind"), ("By split", "by_split")):
        if summary.get(group):
            out.print(_slice_table(title, summary[group]))
    misses = [r for r in results if r.question.answerable and (r.rank is None or not r.answer.answered)]
    wrong_answers = [r for r in results if not r.question.answerable and r.answer.answered]
    for result in misses + wrong_answers:
        status = (
            "answered (should refuse)"
            if not result.question.answerable
            else ("refused" if not result.answer.answered else "not in top k")
        )
        out.print(
            f"[yellow]{result.question.id}[/yellow] {status} (confidence {result.answer.confidence:.2f}): {result.question.question}"
        )


def _slice_table(title: str, slices: dict[str, dict[str, Any]]) -> Table:
    """One row per slice: retrieval (hit@1, hit@3, MRR) and trust (wrong, refused, off-topic answered)."""
    table = Table(
        "slice",
        "n",
        "hit@1",
        "hit@3",
        "MRR",
        "conf. wrong",
        "found, refused",
        "off-topic answered",
        title=title,
    )

    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else "-"

    for name, metrics in slices.items():
        table.add_row(
            name, str(metrics["questions"]), cell(metrics["hit@1"]), cell(metrics["hit@3"]), cell(metrics["mrr"]),
            cell(metrics["confidently_wrong"]), cell(metrics["right_passage_refused"]), cell(metrics["off_topic_answered"]),
        )  # fmt: skip
    return table


def _vector_count(core: KnowledgeCore) -> int | str:
    try:
        return len(core.vectors.ids())
    except VectorStoreUnavailableError as exc:
        return f"unknown: {exc}"


def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show what the index holds."""
    settings = common._settings()
    core = common._core(settings)
    manifest = core.store.read_manifest()
    if manifest is None:
        console.print("The index is empty: run `changebot ingest` first.")
        raise typer.Exit(1)
    by_type: dict[str, int] = {}
    chunk_count = 0
    for record in manifest.files.values():
        by_type[record.doc_type] = by_type.get(record.doc_type, 0) + 1
        chunk_count += len(record.chunk_ids)
    info = {
        "generation": core.store.current_name(),
        "created_at": manifest.created_at,
        "files": len(manifest.files),
        "files_by_type": by_type,
        "chunks": chunk_count,
        "vectors": _vector_count(core),
        "embedding_model": manifest.model_fingerprint,
        "embedding_languages": list(settings.embedding_languages),
        "vector_store": settings.chroma_url or str(settings.chroma_dir),
    }
    if as_json:
        print_json(info)
        return
    table = Table("", "")
    for key, value in info.items():
        table.add_row(
            key, ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        )
    out.print(table)


def gaps(
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000, help="Open questions to look at.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print the groups as JSON.")] = False,
) -> None:
    """List open unanswered questions, grouped by similarity: the top missing topics first."""
    with common._sessions(common._settings())() as session:
        groups = group_gaps(open_questions(session=session, limit=limit))
    if as_json:
        payload = [
            {"count": len(g.questions), "example": g.example, "questions": [q.text for q in g.questions]}
            for g in groups
        ]
        print_json(payload)
        return
    if not groups:
        out.print("No open questions: everything asked has been answered.")
        return
    table = Table("#", "asked", "example question", title="Open questions by topic")
    for number, group in enumerate(groups, start=1):
        table.add_row(str(number), str(len(group.questions)), group.example)
    out.print(table)


def export_library(
    folder: Annotated[Path, typer.Argument(help="Where to write the library (created if missing).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the files written as JSON.")] = False,
) -> None:
    """Write the library as the database holds it (uploads, team FAQs and stories included) to files,
    so the change team can keep it in git; `changebot ingest` imports the folder again."""
    settings = common._settings()
    with read_only_transaction(common._sessions(settings)) as session:
        written = export_to(session, folder)
    if as_json:
        print_json({"folder": str(folder), "files": written})
        return
    out.print(f"Wrote {len(written)} library files to {folder}.")


def register(app: typer.Typer) -> None:
    """Add the knowledge commands: ingest, ask, chat, eval, stats, gaps, library export."""
    library = typer.Typer(help="The change team's library as the database holds it.", no_args_is_help=True)
    library.command(name="export")(export_library)
    app.add_typer(library, name="library")
    app.command()(ingest)
    app.command()(ask)
    app.command()(chat)
    app.command(name="eval")(evaluate)
    app.command()(stats)
    app.command()(gaps)
