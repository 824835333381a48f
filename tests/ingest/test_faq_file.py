"""Writing the team FAQ file: entries carry their scope and review dates, changes are validated,
and the file goes when its last entry does."""

from __future__ import annotations

import pytest
import yaml

from ingest.documents import LoaderError
from ingest.faq_file import append_faq, read_faqs, remove_faq, update_faq
from ingest.loaders.faq import parse_yaml


def test_scoped_entries_round_trip_and_change() -> None:
    text = append_faq(
        None, entry_id="team-1", question="仓库钥匙找谁？", answer="找值班店长。", lang="zh-Hans",
        scope="华东区", owner="李经理", created="2026-12-02", review_by="2027-03-02", status="review",
    )  # fmt: skip
    text = append_faq(
        text, entry_id="team-2", question="Who has the keys?", answer="The duty manager.", lang="en"
    )
    first, second = read_faqs(text.encode("utf-8"))
    assert (first.scope, first.owner, first.created, first.review_by, first.status) == (
        "华东区",
        "李经理",
        "2026-12-02",
        "2027-03-02",
        "review",
    )
    assert (second.scope, second.status) == ("", "")
    promoted_text = update_faq(text, entry_id="team-1", changes={"scope": "", "status": ""})  # to everyone
    assert promoted_text is not None
    promoted = read_faqs(promoted_text.encode("utf-8"))[0]
    assert (promoted.scope, promoted.status, promoted.owner) == ("", "", "李经理")
    with pytest.raises(LoaderError, match="no FAQ entry"):
        update_faq(text, entry_id="team-9", changes={"answer": "x"})
    with pytest.raises(LoaderError):  # an edit that would not load is refused
        update_faq(text, entry_id="team-1", changes={"review_by": "next spring"})
    one_left = remove_faq(text, entry_id="team-2")
    assert one_left is not None and [e.entry_id for e in read_faqs(one_left.encode("utf-8"))] == ["team-1"]
    assert remove_faq(one_left, entry_id="team-1") is None  # the last entry: the file goes
    assert read_faqs(None) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("review_by", "soon", "must be a date"), ("created", "2026-13-40", "must be a date"),
     ("status", "approved", "'status' must be"), ("scope", ["a", "b"], "'scope' must be text")],
)  # fmt: skip
def test_bad_governance_fields_are_named(field: str, value: object, message: str) -> None:
    content = yaml.safe_dump({"faqs": [{"question": "q?", "answer": "a.", field: value}]}, allow_unicode=True)
    with pytest.raises(LoaderError, match=message):
        parse_yaml(content.encode("utf-8"))
