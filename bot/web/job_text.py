"""How a re-index job is told, in the console's job view and over the API (one wording for both, so
they cannot drift): its state, its place in the queue, its progress, how long it will take, and
that nobody will run it while no worker is running re-index jobs."""

from __future__ import annotations

from typing import Final

from bot.library.jobs import LIVE, IngestJob
from bot.wording import pick

WORDS: Final[dict[str, dict[str, str]]] = {
    "zh-Hans": {
        "queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败",
        "no_runner": "已排队；没有进程在运行索引任务：请启动 `changebot worker`",
        "ahead": "前面还有 {n} 个", "read": "读取文件", "embed": "生成向量",
        "minute": "约 1 分钟", "minutes": "约 {n} 分钟",
    },
    "zh-Hant": {
        "queued": "排隊中", "running": "進行中", "done": "已完成", "failed": "失敗",
        "no_runner": "已排隊；沒有程序在執行索引工作：請啟動 `changebot worker`",
        "ahead": "前面還有 {n} 個", "read": "讀取檔案", "embed": "產生向量",
        "minute": "約 1 分鐘", "minutes": "約 {n} 分鐘",
    },
    "en": {
        "queued": "queued", "running": "running", "done": "done", "failed": "failed",
        "no_runner": "queued; no worker is running re-index jobs: start `changebot worker`",
        "ahead": "{n} ahead", "read": "reading", "embed": "embedding",
        "minute": "about 1 minute", "minutes": "about {n} minutes",
    },
}  # fmt: skip


def job_summary(job: IngestJob, language: str) -> str:
    """One line for a job's progress bar, in ``language`` (the configured default for one not known)."""
    words = pick(WORDS, language)
    parts = [words["no_runner"] if job.no_runner else words.get(job.state, job.state)]
    if job.ahead:
        parts.append(words["ahead"].format(n=job.ahead))
    if job.stage:
        parts.append(f"{words.get(job.stage, job.stage)} {job.done}/{job.total}")
    if job.state in LIVE and job.minutes_left is not None:
        minutes = job.minutes_left
        parts.append(words["minute"] if minutes == 1 else words["minutes"].format(n=minutes))
    parts.extend(job.failed)
    if job.error:
        parts.append(job.error)
    return " · ".join(parts)
