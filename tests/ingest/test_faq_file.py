"""Writing the team FAQ file: entries carry their scope and review dates, changes are validated,
and the file goes when its last entry does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ingest.documents import LoaderError
from ingest.faq_file import append_faq, read_faqs, remove_faq, update_faq
from ingest.loaders.faq import parse_yaml


def test_scoped_entries_round_trip_and_change(tmp_path: Path) -> None:
    path = tmp_path / "faqs" / "team.yaml"
    append_faq(
        path, entry_id="team-1", question="仓库钥匙找谁？", answer="找值班店长。", lang="zh-Hans",
        scope="华东区", owner="李经理", created="2026-12-02", review_by="2027-03-02", status="review",
    )  # fmt: skip
    append_faq(path, entry_id="team-2", question="Who has the keys?", answer="The duty manager.", lang="en")
    first, second = read_faqs(path)
    assert (first.scope, first.owner, first.created, first.review_by, first.status) == (
        "华东区",
        "李经理",
        "2026-12-02",
        "2027-03-02",
        "review",
    )
    assert (second.scope, second.status) == ("", "")
    update_faq(path, entry_id="team-1", changes={"scope": "", "status": ""})  # promoted to everyone
    promoted = read_faqs(path)[0]
    assert (promoted.scope, promoted.status, promoted.owner) == ("", "", "李经理")
    with pytest.raises(LoaderError, match="no FAQ entry"):
        update_faq(path, entry_id="team-9", changes={"answer": "x"})
    with pytest.raises(LoaderError):  # an edit that would not load leaves the file as it was
        update_faq(path, entry_id="team-1", changes={"review_by": "next spring"})
    assert read_faqs(path)[0].review_by == "2027-03-02"
    remove_faq(path, entry_id="team-2")
    assert [e.entry_id for e in read_faqs(path)] == ["team-1"]
    remove_faq(path, entry_id="team-1")
    assert not path.exists() and read_faqs(path) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("review_by", "soon", "must be a date"), ("created", "2026-13-40", "must be a date"),
     ("status", "approved", "'status' must be"), ("scope", ["a", "b"], "'scope' must be text")],
)  # fmt: skip
def test_bad_governance_fields_are_named(field: str, value: object, message: str) -> None:
    content = yaml.safe_dump({"faqs": [{"question": "q?", "answer": "a.", field: value}]}, allow_unicode=True)
    with pytest.raises(LoaderError, match=message):
        parse_yaml(content.encode("utf-8"))
