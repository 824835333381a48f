"""How many chunks a re-index would embed, guessed from file sizes against the live index (the
"about N minutes" of a queued job): nothing for an unchanged library, a new file at the chunks per
byte of its kind, everything for an index of another model; close to what the run then embeds."""

from __future__ import annotations

from pathlib import Path

from bot.answering.factory import KnowledgeCore
from bot.library.store import write_file
from bot.storage.database import transaction
from ingest.pipeline import chunks_to_embed
from tests.conftest import LIGHTS_MD


def test_an_unchanged_library_has_nothing_to_embed(ingested: KnowledgeCore) -> None:
    assert ingested.chunks_to_embed() == 0
    assert ingested.chunks_to_embed(["playbooks/pacing.md"]) == 0


def test_a_new_file_is_sized_like_the_indexed_files_of_its_kind(ingested: KnowledgeCore) -> None:
    copy = "playbooks/lights-again.md"
    # The same playbook four times over, as another file (an upload): about four times its chunks.
    content = LIGHTS_MD + "\n".join(LIGHTS_MD.split("\n")[5:]) * 3
    with transaction(ingested.sessions) as session:
        write_file(session, copy, content.encode("utf-8"), by="test")
    guessed = ingested.chunks_to_embed([copy])
    assert guessed == ingested.chunks_to_embed()  # only that file is new in the whole library
    report = ingested.reindex([copy])
    assert report.added == [copy]
    assert guessed >= 1 and report.chunks_embedded >= 1
    assert guessed / 3 <= report.chunks_embedded <= guessed * 3
    assert ingested.chunks_to_embed([copy]) == 0  # indexed now


def test_another_embedding_model_embeds_everything_again(ingested: KnowledgeCore, library: Path) -> None:
    manifest = ingested.store.read_manifest()
    assert manifest is not None
    indexed = sum(len(record.chunk_ids) for record in manifest.files.values())
    again = chunks_to_embed([library], root=library, manifest=manifest, fingerprint="another model")
    # Each file at its own kind's density: its own chunks, give or take the rounding of each file.
    assert abs(again - indexed) <= len(manifest.files)
    assert chunks_to_embed([library], root=library, manifest=None, fingerprint="any") >= 3
