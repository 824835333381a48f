"""An answer as Telegram HTML: escaped, with its sources, linked to the web page when one is public."""

from __future__ import annotations

from bot.answering.service import Answer, Source
from bot.telegram.formatting import render_answer


def _answer() -> Answer:
    source = Source(title="常见问题：培训 & 支持", source="faqs/training support.yaml", section="培训要多久？",
                    doc_type="faq", text="…", score=1.0, chunk_id="0c7670e2215e51449a02")  # fmt: skip
    return Answer(question="培训要多久", answered=True, answer="大约90分钟 <在线>", confidence=0.9,
                  language="zh-Hans", kind="faq", sources=[source])  # fmt: skip


def test_sources_link_to_the_cited_passage_on_the_public_web_app() -> None:
    html = render_answer(_answer(), documents_at="https://change.example.com/")
    assert "大约90分钟 &lt;在线&gt;" in html
    assert (
        '[1] <a href="https://change.example.com/chat/documents?source=faqs%2Ftraining+support.yaml'
        '&amp;lang=zh-Hans#c-0c7670e2215e51449a02">常见问题：培训 &amp; 支持 › 培训要多久？</a>'
    ) in html


def test_without_a_public_address_sources_are_plain_text() -> None:
    html = render_answer(_answer())
    assert "<a " not in html and "[1] 常见问题：培训 &amp; 支持 › 培训要多久？" in html
