from ingest.chunk import chunk_document, pack_sentences, split_sentences
from ingest.documents import Block, DocType, FaqEntry, LoadedDocument


def test_split_sentences_on_chinese_and_english_ends() -> None:
    text = "第一句。第二句！第三句？第四句；Then English. And more!\n列表项"
    assert split_sentences(text) == [
        "第一句。",
        "第二句！",
        "第三句？",
        "第四句；",
        "Then English.",
        "And more!",
        "列表项",
    ]


def test_pack_sentences_respects_size_and_overlaps_whole_sentences() -> None:
    sentences = [f"句子{i:02d}内容。" for i in range(30)]  # 7 characters each
    pieces = pack_sentences(sentences, size=50, overlap=14)
    assert all(len(piece) <= 50 for piece in pieces)
    assert "".join(sentences).startswith(pieces[0])
    # Each piece starts with the last two sentences of the one before (14 characters of overlap).
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert after.startswith(before[-14:])
    assert pieces[-1].endswith("句子29内容。")


def test_overlong_sentence_is_cut_at_commas_then_length() -> None:
    sentence = "，".join(["很长的分句内容"] * 40) + "。"
    pieces = pack_sentences([sentence], size=60, overlap=0)
    assert all(len(piece) <= 60 for piece in pieces)
    assert "".join(pieces) == sentence


def _doc(**kwargs: object) -> LoadedDocument:
    base: dict[str, object] = {"source": "playbooks/x.md", "doc_type": DocType.PLAYBOOK, "title": "推广"}
    base.update(kwargs)
    return LoadedDocument(**base)  # type: ignore[arg-type]


def test_chunks_stay_inside_sections_and_carry_title_and_path() -> None:
    doc = _doc(blocks=[Block("甲。" * 10, "节一"), Block("乙。" * 10, "节一 > 小节"), Block("丙。", "节二")])
    chunks = chunk_document(doc, size=100, overlap=10)
    assert [c.section for c in chunks] == ["节一", "节一 > 小节", "节二"]
    assert all(c.title == "推广" for c in chunks)
    assert chunks[1].search_text.startswith("推广 > 节一 > 小节\n")
    assert [c.position for c in chunks] == [0, 1, 2]


def test_faq_pair_is_one_chunk_with_alternatives_searchable() -> None:
    entry = FaqEntry(
        question="培训要多久？", answer="两次各90分钟。" * 50, entry_id="t", alternatives=("培训时长",)
    )
    chunks = chunk_document(_doc(doc_type=DocType.FAQ, faqs=[entry]), size=100, overlap=10)
    assert len(chunks) == 1
    assert chunks[0].metadata["faq_answer"] == entry.answer
    assert "培训时长" in chunks[0].search_text


def test_chunk_ids_are_stable_and_content_addressed() -> None:
    doc = _doc(blocks=[Block("第一段。", "a"), Block("第二段。", "b")])
    first = [c.id for c in chunk_document(doc)]
    assert first == [c.id for c in chunk_document(doc)]
    edited = _doc(blocks=[Block("第一段。", "a"), Block("第二段改了。", "b")])
    second = [c.id for c in chunk_document(edited)]
    assert second[0] == first[0] and second[1] != first[1]


def test_duplicate_passages_get_distinct_ids() -> None:
    doc = _doc(blocks=[Block("同一句。", "a"), Block("别的。", "b"), Block("同一句。", "a")])
    ids = [c.id for c in chunk_document(doc)]
    assert len(ids) == len(set(ids)) == 3
