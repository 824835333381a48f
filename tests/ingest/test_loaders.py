"""Each loader on real files made in tmp_path, and every kind of bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from ingest.documents import DocType, LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file


def _write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_front_matter_headings_and_markup(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cases/east-12.md",
        textwrap.dedent(
            """\
            ---
            title: 华东12号店的转变
            unit: 华东区-12号店
            date: 2026-03-16
            tags: [快速见效, 店长带头]
            lang: zh-Hans
            ---
            # 华东12号店的转变

            开场白。

            ## 背景
            使用率只有**45%**，详见[周报](http://example.invalid/report)。![图](x.png)

            ### 做法
            - 店长每天早会演示
            | 周 | 使用率 |
            |---|---|
            | 1 | 45% |
            """
        ),
    )
    doc = load_file(path, root=tmp_path)
    assert doc.source == "cases/east-12.md"
    assert doc.doc_type is DocType.CASE
    assert doc.title == "华东12号店的转变" and doc.lang == "zh-Hans"
    assert doc.metadata == {"tags": "快速见效,店长带头", "unit": "华东区-12号店", "date": "2026-03-16"}
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("", "开场白。"),
        ("背景", "使用率只有45%,详见周报。图"),
        ("背景 > 做法", "- 店长每天早会演示\n周 使用率\n1 45%"),
    ]


def test_markdown_without_front_matter_takes_title_from_h1_or_file_name(tmp_path: Path) -> None:
    with_h1 = load_file(_write(tmp_path, "playbooks/a.md", "# 推广节奏\n\n正文。"), root=tmp_path)
    assert with_h1.title == "推广节奏" and with_h1.blocks[0].section == ""
    no_heading = load_file(_write(tmp_path, "playbooks/risk-control_v2.md", "只有正文。"), root=tmp_path)
    assert no_heading.title == "risk control v2"
    assert no_heading.doc_type is DocType.PLAYBOOK


def test_front_matter_type_wins_over_the_folder_and_bad_values_are_named(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "playbooks/x.md", "---\ntype: case\n---\n正文。"), root=tmp_path)
    assert doc.doc_type is DocType.CASE
    with pytest.raises(LoaderError, match="'type' must be playbook, faq or case"):
        load_file(_write(tmp_path, "playbooks/y.md", "---\ntype: memo\n---\n正文。"), root=tmp_path)
    with pytest.raises(LoaderError, match="front matter is not valid YAML"):
        load_file(_write(tmp_path, "playbooks/z.md", "---\ntitle: [unclosed\n---\n正文。"), root=tmp_path)


def test_text_in_gbk_with_numbered_headings(tmp_path: Path) -> None:
    content = "一、为什么分批\n\n支持团队顾不过来。\n\n1.1 试点\n\n先选三家门店试点，效果稳定后再扩大。\n"
    doc = load_file(_write(tmp_path, "playbooks/pacing.txt", content.encode("gbk")), root=tmp_path)
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("一、为什么分批", "支持团队顾不过来。"),
        ("一、为什么分批 > 1.1 试点", "先选三家门店试点,效果稳定后再扩大。"),
    ]


def _pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_pdf_pages_become_blocks(tmp_path: Path) -> None:
    data = _pdf(
        ["Roll out in waves. Each wave starts only when the last one is green.", "Red means usage below 40%."]
    )
    doc = load_file(_write(tmp_path, "playbooks/guide.pdf", data), root=tmp_path)
    assert [b.section for b in doc.blocks] == ["p. 1", "p. 2"]
    assert "Each wave starts only when the last one is green." in doc.blocks[0].text
    assert doc.blocks[1].text == "Red means usage below 40%."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4\n this is not a pdf at all" * 3, "could not be read"),
        (b"random bytes with a pdf name" * 10, "could not be read"),
    ],
)
def test_corrupt_pdfs_are_rejected_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(LoaderError, match=message):
        load_file(_write(tmp_path, "playbooks/bad.pdf", content), root=tmp_path)


def test_truncated_pdf_is_rejected(tmp_path: Path) -> None:
    data = _pdf(["Some text that will be cut off."])
    with pytest.raises(LoaderError):
        load_file(_write(tmp_path, "playbooks/cut.pdf", data[: len(data) // 3]), root=tmp_path)


def test_pdf_without_text_says_it_may_be_a_scan(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)
    with pytest.raises(LoaderError, match="may be a scan"):
        load_file(_write(tmp_path, "playbooks/scan.pdf", bytes(pdf.output())), root=tmp_path)


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "四色预警"
    document.add_heading("判定标准", level=1)
    document.add_paragraph("每周按使用率给门店亮灯。")
    document.add_heading("红灯", level=2)
    document.add_paragraph("使用率低于40%。")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "颜色"
    table.rows[0].cells[1].text = "使用率"
    table.rows[1].cells[0].text = "绿"
    table.rows[1].cells[1].text = ">80%"
    path = tmp_path / "playbooks" / "lights.docx"
    path.parent.mkdir(parents=True)
    document.save(str(path))
    doc = load_file(path, root=tmp_path)
    assert doc.title == "四色预警"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("判定标准", "每周按使用率给门店亮灯。"),
        ("判定标准 > 红灯", "使用率低于40%。\n颜色 | 使用率\n绿 | >80%"),
    ]


def test_corrupt_docx(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="Word file could not be opened"):
        load_file(_write(tmp_path, "playbooks/bad.docx", b"PK\x03\x04 broken zip"), root=tmp_path)


def test_html_drops_page_furniture(tmp_path: Path) -> None:
    page = """<html><head><title>试点选择</title><script>var x = 1;</script></head>
    <body><nav>首页 | 登录</nav><main><h1>试点选择</h1><h2>标准</h2><p>选基础好的门店。</p>
    <ul><li><p>店长支持</p></li><li>客流稳定</li></ul></main><footer>版权所有</footer></body></html>"""
    doc = load_file(_write(tmp_path, "playbooks/pilot.html", page), root=tmp_path)
    assert doc.title == "试点选择"
    assert [(b.section, b.text) for b in doc.blocks] == [("标准", "选基础好的门店。\n\n店长支持\n\n客流稳定")]
    assert "var x" not in doc.blocks[0].text and "登录" not in doc.blocks[0].text


def test_faq_yaml(tmp_path: Path) -> None:
    content = textwrap.dedent(
        """\
        lang: zh-Hant
        tags: [培訓]
        faqs:
          - id: training
            question: 培訓要多久？
            alternatives: [培訓時間多長]
            answer: 兩次，各90分鐘。
          - question: 誰負責答疑？
            answer: 店裡的關鍵用戶。
            tags: [支援]
            lang: zh-Hans
        """
    )
    doc = load_file(_write(tmp_path, "faqs/training.yaml", content), root=tmp_path)
    assert doc.doc_type is DocType.FAQ and doc.lang == "zh-Hant"
    first, second = doc.faqs
    assert (first.entry_id, first.question, first.alternatives, first.tags) == (
        "training",
        "培訓要多久?",
        ("培訓時間多長",),
        ("培訓",),
    )
    assert first.lang == "zh-Hant" and second.lang == "zh-Hans" and second.tags == ("支援",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "faqs:\n  - question: 有问题\n    answer: 有答案\n  - question: 只有问题\n",
            "entry 2: 'answer' is missing",
        ),
        ("faqs:\n  - answer: 只有答案\n", "entry 1: 'question' is missing"),
        ("faqs: []\n", "non-empty list"),
        ("title: 没有列表\n", "needs a 'faqs:' list"),
        (
            "faqs:\n  - question: q\n    answer: a\n    alternatives: {x: 1}\n",
            "'alternatives' must be a list",
        ),
        ("faqs:\n  - question: q\n    answer: a\n    lang: fr\n", "'lang' must be one of"),
        (
            "faqs:\n  - id: a\n    question: q\n    answer: a\n  - id: a\n    question: q2\n    answer: b\n",
            "duplicate id",
        ),
        ("faqs:\n  - question: [unclosed\n", "not valid YAML at line"),
    ],
)
def test_bad_faq_yaml_names_entry_and_field(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LoaderError, match=message):
        load_file(_write(tmp_path, "faqs/bad.yaml", content), root=tmp_path)


def test_faq_csv_with_bom_lists_and_blank_rows(tmp_path: Path) -> None:
    content = (
        "\ufeffid,question,answer,alternatives,tags,lang\n"
        'paper,还能用纸质单吗？,"第一个月并行,之后只用系统。",纸质单据还能用吗|能不能手写,过渡|单据,zh-Hans\n'
        ",,,,,\n"
        "backup,系统坏了怎么办？,先用应急纸质单，恢复后补录。,,,\n"
    )
    doc = load_file(_write(tmp_path, "faqs/ops.csv", content), root=tmp_path)
    assert [f.entry_id for f in doc.faqs] == ["paper", "backup"]
    assert doc.faqs[0].answer == "第一个月并行,之后只用系统。"
    assert doc.faqs[0].alternatives == ("纸质单据还能用吗", "能不能手写")
    assert doc.faqs[0].tags == ("过渡", "单据")


def test_bad_faq_csv_names_the_line(tmp_path: Path) -> None:
    content = "question,answer\n培训多久？,两次。\n谁来答疑？,\n"
    with pytest.raises(LoaderError, match="line 3: 'answer' is missing"):
        load_file(_write(tmp_path, "faqs/bad.csv", content), root=tmp_path)
    with pytest.raises(LoaderError, match="missing: answer"):
        load_file(_write(tmp_path, "faqs/cols.csv", "question,reply\nq,a\n"), root=tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("playbooks/empty.md", b"", "the file is empty"),
        ("playbooks/blank.md", b"   \n\n  ", "no text found"),
        ("playbooks/image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "looks binary"),
        ("playbooks/sheet.xlsx", b"PK\x03\x04", "unsupported file type '.xlsx'"),
        ("playbooks/noext", b"text", "unsupported file type '(none)'"),
    ],
)
def test_bad_input_gets_a_clear_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    with pytest.raises(LoaderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_file(_write(tmp_path, name, content), root=tmp_path)


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = _write(tmp_path, "playbooks/big.md", "大" * 2000)
    with pytest.raises(LoaderError, match="the file is 6 KB; the limit is 1 KB"):
        load_file(path, root=tmp_path, max_bytes=1000)


def test_a_real_10_mb_file_is_loaded(tmp_path: Path) -> None:
    paragraph = "门店每周复盘一次使用率和问题清单，由店长主持。\n\n"
    path = _write(tmp_path, "playbooks/huge.txt", paragraph * (10 * 1024 * 1024 // len(paragraph.encode())))
    assert path.stat().st_size > 9.9 * 1024 * 1024
    doc = load_file(path, root=tmp_path)
    assert len(doc.blocks) == 1 and doc.blocks[0].text.startswith("门店每周复盘")


def test_supported_suffixes() -> None:
    assert {".md", ".txt", ".pdf", ".docx", ".html", ".yaml", ".csv"} <= SUPPORTED_SUFFIXES
