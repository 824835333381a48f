"""`make bench`: quality, speed and throughput of the knowledge core, as ratios against baselines
measured in the same run on the same machine. Writes bench/results.md.

Targets (from the knowledge-core and answer-trust issues):
- hybrid hit@3 >= 0.90 on every language slice, and never below the better single retriever;
- what staff get (bench/answers.py): top-3, confidently wrong, right passage refused, off-topic
  answered, on held-out questions and a second library, beside the previous default and a
  LangChain-tutorial hybrid;
- query p95 within 2x the bare model.encode p95 plus 10 ms;
- ingest throughput >= 0.8x bare batch encoding; unchanged re-ingest under 2 s.

The broadcast and HTTP-load sections state their own targets (bench/broadcast.py, bench/http_load.py).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bot.answering.factory import build_knowledge_core
from bot.config import Settings
from bot.evaluation.evalset import load_eval_set
from bot.evaluation.runner import EvalResult, run_eval, summarise
from bot.storage.database import migrated_sessions

REPO = Path(__file__).resolve().parents[1]


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else float("nan")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _check(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bench_knowledge(lines: list[str], *, knowledge: Path, eval_file: Path, repeats: int) -> bool:
    """Ingest, retrieval quality per slice, refusals, latency. Returns whether every target passed."""
    all_ok = True
    work = Path(tempfile.mkdtemp(prefix="changebot-bench-"))
    try:
        settings = Settings(_env_file=None, data_dir=work / "data", knowledge_dir=knowledge)  # type: ignore[call-arg]
        core = build_knowledge_core(settings, sessions=migrated_sessions(settings.database))
        embedder = core.embedder
        embedder.embed_query("warm-up")  # load before timing: both sides below start with a warm model

        # --- ingest throughput vs bare batch encoding of the same chunks
        started = time.perf_counter()
        report = core.ingest()
        ingest_s = time.perf_counter() - started
        snapshot = core.store.load()
        assert snapshot is not None
        texts = [chunk.search_text for chunk in snapshot.chunks]
        started = time.perf_counter()
        embedder.embed_documents(texts)  # the bare model, batched as the ingest batches
        bare_s = time.perf_counter() - started
        ingest_rate = report.chunks_total / ingest_s
        bare_rate = len(texts) / bare_s
        started = time.perf_counter()
        again = core.ingest()
        reingest_s = time.perf_counter() - started
        ingest_ratio = ingest_rate / bare_rate
        ok_ingest = ingest_ratio >= 0.8
        ok_reingest = reingest_s < 2.0 and again.chunks_embedded == 0
        all_ok &= ok_ingest and ok_reingest
        lines += [
            "## Ingest",
            "",
            f"Library: {len(snapshot.manifest.files)} files, {report.chunks_total} chunks; {len(report.failed)} failed.",
            "",
            "| measure | changebot | baseline (bare `model.encode`) | ratio | target | |",
            "|---|---|---|---|---|---|",
            f"| cold ingest, chunks/s | {ingest_rate:.1f} | {bare_rate:.1f} | {ingest_ratio:.2f} | >= 0.80 | {_check(ok_ingest)} |",
            f"| unchanged re-ingest, s | {reingest_s:.2f} | – | – | < 2 s, 0 embedded | {_check(ok_reingest)} |",
            "",
        ]

        # --- retrieval quality: hybrid vs each single retriever, per language slice, on the half
        # of the eval set nothing was fitted on
        questions = [q for q in load_eval_set(eval_file) if q.split == "held-out"]
        runs: dict[str, list[EvalResult]] = {}
        for mode in ("hybrid", "lexical", "dense"):
            runs[mode] = run_eval(answerer=core.answerer, questions=questions, k=3, mode=mode)  # type: ignore[arg-type]
        summaries = {mode: summarise(results, k=3) for mode, results in runs.items()}
        lines += [
            "## Retrieval quality (held-out half of the eval set: "
            f"{len(questions)} questions, {summaries['hybrid']['unanswerable']} out of scope)",
            "",
            "| slice | n | hybrid hit@1 | hybrid hit@3 | hybrid MRR | BM25 hit@3 | dense hit@3 | hybrid / best single (hit@3) | target | |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        slices = ["all", *summaries["hybrid"]["by_language"].keys()]
        for name in slices:
            metrics = {
                mode: (summary if name == "all" else summary["by_language"][name])
                for mode, summary in summaries.items()
            }
            if not metrics["hybrid"]["answerable"]:
                continue
            best_single = max(metrics["lexical"]["hit@3"], metrics["dense"]["hit@3"])
            hybrid = metrics["hybrid"]["hit@3"]
            ratio = hybrid / best_single if best_single else float("inf")
            ok = hybrid >= 0.90 and hybrid >= best_single - 1e-9
            all_ok &= ok
            lines.append(
                f"| {name} | {metrics['hybrid']['answerable']} | {_fmt(metrics['hybrid']['hit@1'])} | {_fmt(hybrid)} | "
                f"{_fmt(metrics['hybrid']['mrr'])} | {_fmt(metrics['lexical']['hit@3'])} | {_fmt(metrics['dense']['hit@3'])} | "
                f"{ratio:.2f} | >= 0.90 and >= best single | {_check(ok)} |"
            )
        lines.append("")

        # --- latency: end-to-end answer vs a bare encode of one query
        def timed(fn: Callable[[str], object]) -> list[float]:
            samples = []
            for _ in range(repeats):
                for question in questions:
                    started = time.perf_counter()
                    fn(question.question)
                    samples.append((time.perf_counter() - started) * 1000)
            return samples

        bare = timed(embedder.embed_query)
        full = timed(lambda text: core.answerer.answer(text))
        bare_p95, full_p95 = _pct(bare, 95), _pct(full, 95)
        budget = 2 * bare_p95 + 10
        ok_latency = full_p95 <= budget
        all_ok &= ok_latency
        lines += [
            "## Query latency",
            "",
            f"{len(full)} questions ({repeats} passes over the eval set).",
            "",
            "| measure | p50 ms | p95 ms | target | |",
            "|---|---|---|---|---|",
            f"| bare `model.encode` of one query (baseline) | {_pct(bare, 50):.1f} | {bare_p95:.1f} | – | |",
            f"| `answer()` end to end | {_pct(full, 50):.1f} | {full_p95:.1f} | p95 <= 2 x baseline + 10 ms = {budget:.1f} | {_check(ok_latency)} |",
            f"| ratio (end to end / baseline) | {statistics.median(full) / statistics.median(bare):.2f} | {full_p95 / bare_p95:.2f} | | |",
            "",
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return all_ok


def main() -> None:
    """Run every benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--knowledge", type=Path, default=REPO / "knowledge")
    parser.add_argument("--eval", type=Path, default=REPO / "knowledge" / "eval" / "questions.jsonl")
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--seeds-eval", type=Path, default=REPO / "knowledge" / "eval" / "seeds.jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.md")
    parser.add_argument(
        "--only",
        choices=["knowledge", "broadcast", "http", "hosts"],
        action="append",
        help="Run only this section (repeatable); default: every section.",
    )
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1",
        help="Server for the HTTP load, several-workers and several-hosts runs.",
    )
    args = parser.parse_args()
    sections = set(args.only or ["knowledge", "broadcast", "http", "hosts"])
    lines = [
        "# changebot benchmark results",
        "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{_cpu_count()} cores. Every figure is compared with a baseline measured in the same run.",
        "",
    ]
    ok = True
    if "knowledge" in sections:
        from bench.answers import bench_answers

        ok &= bench_knowledge(lines, knowledge=args.knowledge, eval_file=args.eval, repeats=args.repeats)
        ok &= bench_answers(
            lines, knowledge=args.knowledge, eval_file=args.eval, seeds=args.seeds, seeds_eval=args.seeds_eval
        )
    if "broadcast" in sections:
        from bench.broadcast import bench_broadcast, bench_workers

        ok &= bench_broadcast(lines)
        ok &= bench_workers(lines, postgres=args.postgres)
    if "http" in sections:
        from bench.http_load import bench_http

        ok &= bench_http(lines, knowledge=args.knowledge, eval_file=args.eval, postgres=args.postgres)
    if "hosts" in sections:
        from bench.hosts import bench_hosts

        ok &= bench_hosts(lines, knowledge=args.knowledge, postgres=args.postgres)
    lines += ["", f"**Overall: {_check(ok)}**", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
