"""Each loader on real files made in tmp_path, and every kind of bad input."""

from __future__ import annotations

import io
import random
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from fpdf import FPDF
from pypdf import PdfWriter

from ingest.documents import Block, DocType, FaqEntry, LoaderError
from ingest.loaders import SUPPORTED_SUFFIXES, load_file
from ingest.loaders.common import LANGUAGES
from ingest.loaders.pdf import unwrap
from ingest.text import LANGUAGES as INDEX_LANGUAGES


def _write(root: Path, name: str, content: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _sections(blocks: list[Block]) -> list[tuple[str, str]]:
    return [(block.section, block.text) for block in blocks]


def _pdf(lines_per_page: list[list[str]], *, title: str = "") -> bytes:
    # One cell per line, so the test decides where lines break (fpdf2 never hyphenates).
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for lines in lines_per_page:
        pdf.add_page()
        for line in lines:
            if line:
                pdf.cell(text=line, h=8, new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.ln(8)
    return bytes(pdf.output())


def _docx(build: Callable[[DocxDocument], None]) -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    build(document)
    document.save(buffer)
    return buffer.getvalue()


# Markdown


CASE_MD = textwrap.dedent(
    """\
    ---
    title: 华东12号店的转变
    unit: 华东区-12号店
    date: 2026-03-16
    tags: [快速见效, 店长带头]
    audience: [staff, manager]
    lang: zh-CN
    author: ignored
    ---
    # 华东12号店的转变

    开场白。

    ## 背景
    使用率只有**45%**，详见[周报](http://example.invalid/report_(v2))。![趋势图](chart.png)
    `ServiceHub` 的*快捷录单*和 snake_case 名字，\\*星号\\*保留。

    ### 做法
    - 店长每天早会演示
    > 先让店长用起来。

    | 周 | 使用率 |
    |---|:---:|
    | 1 | 45% |

    ```text
    # 代码里的井号不是标题
    ```

    ## 结果 ##
    使用率升到 90%。

    [周报]: http://example.invalid/report
    """
)


def test_markdown_front_matter_sections_and_markup_noise(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "cases/east-12.md", CASE_MD), root=tmp_path)
    assert doc.source == "cases/east-12.md"
    assert doc.doc_type is DocType.CASE
    assert doc.title == "华东12号店的转变"
    assert doc.lang == "zh-Hans"  # "zh-CN" folded to the code the index filters on
    assert doc.metadata == {
        "unit": "华东区-12号店",
        "date": "2026-03-16",
        "tags": "快速见效,店长带头",
        "audience": "staff,manager",
    }
    assert doc.faqs == []
    assert _sections(doc.blocks) == [
        ("", "开场白。"),
        ("背景", "使用率只有45%,详见周报。\nServiceHub 的快捷录单和 snake_case 名字,*星号*保留。"),
        ("背景 > 做法", "- 店长每天早会演示\n先让店长用起来。\n\n周 使用率\n1 45%\n\n# 代码里的井号不是标题"),
        ("结果", "使用率升到 90%。"),
    ]


def test_markdown_without_front_matter_nested_headings(tmp_path: Path) -> None:
    content = textwrap.dedent(
        """\
        Intro before any heading.

        # Rollout pacing

        ## Waves
        ### Wave 1
        One pilot store.
        #### Exit criteria
        Usage above 80 percent.
        ### Wave 2
        Three stores.
        ## Risks
        Support overload.
        # Appendix
        Glossary.
        """
    )
    doc = load_file(_write(tmp_path, "playbooks/pacing.md", content), root=tmp_path)
    assert doc.title == "Rollout pacing"
    assert doc.doc_type is DocType.PLAYBOOK and doc.lang == "" and doc.metadata == {}
    assert _sections(doc.blocks) == [
        ("", "Intro before any heading."),
        ("Waves > Wave 1", "One pilot store."),
        ("Waves > Wave 1 > Exit criteria", "Usage above 80 percent."),
        ("Waves > Wave 2", "Three stores."),
        ("Risks", "Support overload."),
        ("Appendix", "Glossary."),
    ]


def test_front_matter_title_that_differs_from_the_h1_keeps_the_h1_as_a_section(tmp_path: Path) -> None:
    content = "---\ntitle: Pacing\n---\n# Overview\n\nText.\n"
    doc = load_file(_write(tmp_path, "playbooks/p.md", content), root=tmp_path)
    assert doc.title == "Pacing"
    assert _sections(doc.blocks) == [("Overview", "Text.")]


def test_a_title_comes_from_the_text_never_the_file_name(tmp_path: Path) -> None:
    doc = load_file(
        _write(tmp_path, "playbooks/risk-control_v2.md", "## 只有二级标题\n\n正文。"), root=tmp_path
    )
    assert doc.title == "只有二级标题"  # the first clause ("正文") is too short to name anything
    prose = load_file(
        _write(tmp_path, "playbooks/notes_final2.md", "切换前一晚要完整备份数据，确认可以恢复。"),
        root=tmp_path,
    )
    assert prose.title == "切换前一晚要完整备份数据"
    assert _sections(doc.blocks) == [("只有二级标题", "正文。")]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("playbooks/a.md", "正文。", DocType.PLAYBOOK),
        ("cases/2026/a.md", "正文。", DocType.CASE),
        ("faqs/a.md", "正文。", DocType.FAQ),
        ("misc/a.md", "正文。", DocType.PLAYBOOK),
        ("playbooks/a.md", "---\ntype: Case\n---\n正文。", DocType.CASE),
        ("faqs/a.yaml", "faqs:\n  - question: 问\n    answer: 答\n", DocType.FAQ),
        ("playbooks/a.csv", "question,answer\n问,答\n", DocType.FAQ),
        ("archive/faqs/a.md", "正文。", DocType.FAQ),
    ],
)
def test_document_type_resolution(tmp_path: Path, name: str, content: str, expected: DocType) -> None:
    assert load_file(_write(tmp_path, name, content), root=tmp_path).doc_type is expected


def test_source_outside_the_root_is_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "elsewhere", "notes.md", "# Notes\n\nText.")
    doc = load_file(path, root=tmp_path / "knowledge")
    assert doc.source == "notes.md"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "---\ntype: memo\n---\n正文。",
            "front matter 'type': unknown type 'memo'; use one of playbook, faq, case",
        ),
        (
            "---\nlang: fr\n---\n正文。",
            "front matter 'lang': unknown language 'fr'; use one of zh-Hans, zh-Hant, en",
        ),
        ("---\ntitle: [unclosed\n---\n正文。", "the front matter is not valid YAML near line 3"),
        ("---\n- a\n- b\n---\n正文。", "the front matter must be 'key: value' lines"),
    ],
)
def test_bad_front_matter_is_named(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LoaderError) as error:
        load_file(_write(tmp_path, "playbooks/x.md", content), root=tmp_path)
    assert str(error.value) == message


# Plain text


def test_gbk_text_with_numbered_headings(tmp_path: Path) -> None:
    content = (
        "推广节奏说明\n\n"
        "一、为什么分批\n\n支持团队顾不过来。\n第二行。\n\n"
        "1.1 试点\n\n先选三家门店试点，效果稳定后再扩大。\n\n"
        "1.2 扩大\n\n步骤：\n1. 准备\n2. 上线\n\n"
        "二、预警灯怎么看？\n\n两周红灯通知区域经理。\n"
    )
    doc = load_file(_write(tmp_path, "playbooks/pacing.txt", content.encode("gbk")), root=tmp_path)
    assert doc.title == "推广节奏说明"  # its first short line, which then is no body text
    assert _sections(doc.blocks) == [
        ("一、为什么分批", "支持团队顾不过来。\n第二行。"),
        ("一、为什么分批 > 1.1 试点", "先选三家门店试点,效果稳定后再扩大。"),
        ("一、为什么分批 > 1.2 扩大", "步骤:\n1. 准备\n2. 上线"),
        ("二、预警灯怎么看?", "两周红灯通知区域经理。"),
    ]


def test_big5_text_is_decoded(tmp_path: Path) -> None:
    content = "服務模式創新與降本增效\n\n第一批只上一家試點門店。\n"
    doc = load_file(_write(tmp_path, "playbooks/plan.txt", content.encode("big5")), root=tmp_path)
    assert doc.title == "服務模式創新與降本增效"
    assert _sections(doc.blocks) == [("", "第一批只上一家試點門店。")]


def test_a_table_of_contents_is_text_not_structure(tmp_path: Path) -> None:
    outline = "\n\n".join(f"{n}.{m}小節{n}{m}" for n in (1, 2) for m in (1, 2, 3))
    content = f"目錄\n\n{outline}\n\n正文從這裡開始。\n"
    doc = load_file(_write(tmp_path, "playbooks/plan.txt", content), root=tmp_path)
    assert _sections(doc.blocks) == [
        ("", "目錄"),
        ("", "1.1小節11\n1.2小節12\n1.3小節13\n2.1小節21\n2.2小節22\n2.3小節23"),
        ("", "正文從這裡開始。"),
    ]


# PDF


def test_pdf_pages_become_blocks_with_lines_unwrapped(tmp_path: Path) -> None:
    data = _pdf(
        [
            [
                "Rollout pacing",
                "",
                "The rollout goes in waves. Each wave starts only when the previous",
                "one reached its usage target and the coaching imple-",
                "mentation is complete.",
                "- Wave 1: one pilot store",
                "- Wave 2: three stores",
            ],
            ["Escalation: two red weeks in a row notify the regional manager."],
        ],
        title="Rollout guide",
    )
    doc = load_file(_write(tmp_path, "playbooks/guide.pdf", data), root=tmp_path)
    assert doc.title == "Rollout guide" and doc.doc_type is DocType.PLAYBOOK
    assert _sections(doc.blocks) == [
        (
            "p. 1",
            "Rollout pacing\nThe rollout goes in waves. Each wave starts only when the previous one reached "
            "its usage target and the coaching implementation is complete.\n"
            "- Wave 1: one pilot store\n- Wave 2: three stores",
        ),
        ("p. 2", "Escalation: two red weeks in a row notify the regional manager."),
    ]


def test_pdf_without_a_title_is_named_after_its_first_clause(tmp_path: Path) -> None:
    doc = load_file(
        _write(tmp_path, "playbooks/red_lights.pdf", _pdf([["Red means usage below 40%."]])), root=tmp_path
    )
    assert doc.title == "Red means usage below 40%"
    assert _sections(doc.blocks) == [("p. 1", "Red means usage below 40%.")]


def test_chinese_pdf_lines_join_without_spaces() -> None:
    page = "第一批只上一家试点门店，跑通后扩到三家，\n再到九家、二十七家。\n短行。\nEnglish words join\nwith a space."
    assert (
        unwrap(page)
        == "第一批只上一家试点门店，跑通后扩到三家，再到九家、二十七家。\n短行。\nEnglish words join with a space."
    )


@pytest.mark.parametrize(
    "content",
    [random.Random(7).randbytes(4096), b"%PDF-1.4\n" + b"garbage that is not a pdf " * 20],
    ids=["random-bytes", "pdf-header-only"],
)
def test_corrupt_pdf_is_rejected(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(LoaderError, match="^the PDF could not be read; it may be damaged or truncated"):
        load_file(_write(tmp_path, "playbooks/bad.pdf", content), root=tmp_path)


def test_truncated_pdf_is_rejected(tmp_path: Path) -> None:
    data = _pdf([["Some text that will be cut off."]])
    with pytest.raises(LoaderError, match="^the PDF could not be read; it may be damaged or truncated"):
        load_file(_write(tmp_path, "playbooks/cut.pdf", data[: len(data) // 2]), root=tmp_path)


def test_encrypted_pdf_is_rejected_but_an_open_one_with_owner_rights_loads(tmp_path: Path) -> None:
    data = _pdf([["Confidential rollout plan."]])
    locked = PdfWriter(clone_from=io.BytesIO(data))
    locked.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    locked.write(buffer)
    with pytest.raises(LoaderError) as error:
        load_file(_write(tmp_path, "playbooks/locked.pdf", buffer.getvalue()), root=tmp_path)
    assert str(error.value) == "the PDF is encrypted; save a copy without a password and add that instead"

    restricted = PdfWriter(clone_from=io.BytesIO(data))
    restricted.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    restricted.write(buffer)
    doc = load_file(_write(tmp_path, "playbooks/restricted.pdf", buffer.getvalue()), root=tmp_path)
    assert _sections(doc.blocks) == [("p. 1", "Confidential rollout plan.")]


def test_pdf_without_text_may_be_a_scan(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")
    with pytest.raises(LoaderError, match="no text could be extracted from the PDF; it may be a scan"):
        load_file(_write(tmp_path, "playbooks/scan.pdf", bytes(pdf.output())), root=tmp_path)


# Word


def _build_playbook(document: DocxDocument) -> None:
    document.add_paragraph("推广手册", style="Title")
    document.add_paragraph("前言文字。")
    document.add_heading("推广节奏", level=1)
    document.add_paragraph("第一批只上1家试点门店。")
    document.add_heading("1-3-9-27 模型", level=2)
    document.add_paragraph("跑通后扩到3家，再到9家。")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["批次", "门店数", "周期"], ["第1批", "1", "2周"], ["第2批", "3", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2))
    document.add_paragraph("")
    document.add_heading("预警灯", level=1)
    document.add_paragraph("两周红灯通知区域经理。")


def test_docx_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "playbooks/handbook.docx", _docx(_build_playbook)), root=tmp_path)
    assert doc.title == "推广手册"
    assert _sections(doc.blocks) == [
        ("", "前言文字。"),
        ("推广节奏", "第一批只上1家试点门店。"),
        ("推广节奏 > 1-3-9-27 模型", "跑通后扩到3家,再到9家。"),
        ("推广节奏 > 1-3-9-27 模型", "批次 | 门店数 | 周期\n第1批 | 1 | 2周\n第2批 | 3"),
        ("预警灯", "两周红灯通知区域经理。"),
    ]


def test_docx_title_from_the_first_heading(tmp_path: Path) -> None:
    def build(document: DocxDocument) -> None:
        document.add_heading("四色预警", level=1)
        document.add_paragraph("每周按使用率给门店亮灯。")
        document.add_heading("红灯", level=2)
        document.add_paragraph("使用率低于40%。")

    doc = load_file(_write(tmp_path, "playbooks/lights.docx", _docx(build)), root=tmp_path)
    assert doc.title == "四色预警"
    assert _sections(doc.blocks) == [("", "每周按使用率给门店亮灯。"), ("红灯", "使用率低于40%。")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"PK\x03\x04 a broken zip",
            "the Word file could not be opened; it may be damaged or not a real .docx",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "this is an old Word .doc file"),
        (b"just some text named .docx", "the Word file could not be opened"),
    ],
)
def test_corrupt_docx_is_rejected(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(LoaderError, match=f"^{message}"):
        load_file(_write(tmp_path, "playbooks/bad.docx", content), root=tmp_path)


def test_truncated_docx_is_rejected(tmp_path: Path) -> None:
    data = _docx(_build_playbook)
    with pytest.raises(LoaderError, match="^the Word file could not be opened"):
        load_file(_write(tmp_path, "playbooks/cut.docx", data[: len(data) // 2]), root=tmp_path)


# HTML

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>推广节奏 - 变革知识库</title>
<style>body { color: red }</style><script>var tracking = "下载本文档";</script></head>
<body>
<header><div class="logo">变革知识库</div></header>
<nav><ul><li><a href="/">首页</a></li><li><a href="/faq">常见问题</a></li></ul></nav>
<main>
<h1>推广节奏</h1>
<p>一次性全面铺开，
支持团队根本顾不过来。</p>
<!-- 一段注释 -->
<h2>1-3-9-27 模型</h2>
<div>第一批只上<strong>1家</strong>试点门店。<br>跑通后扩到3家。</div>
<ul><li>第1批：1家</li><li><p>第2批：3家</p></li></ul>
<table><tr><th>批次</th><th>门店数</th></tr><tr><td>第1批</td><td>1</td></tr></table>
<h3>说明</h3>
<p hidden>隐藏的文字</p>
<pre>line one
  line two</pre>
<form><input name="q"><button>搜索</button></form>
</main>
<aside>相关文章</aside>
<footer>版权所有 © 2026</footer>
<noscript>请启用JavaScript</noscript>
</body></html>"""


def test_html_drops_page_furniture_and_keeps_structure(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "playbooks/pacing.html", PAGE), root=tmp_path)
    assert doc.title == "推广节奏"  # the <h1>, without the site name the <title> adds
    assert _sections(doc.blocks) == [
        ("", "一次性全面铺开,支持团队根本顾不过来。"),
        ("1-3-9-27 模型", "第一批只上1家试点门店。\n跑通后扩到3家。"),
        ("1-3-9-27 模型", "第1批:1家"),
        ("1-3-9-27 模型", "第2批:3家"),
        ("1-3-9-27 模型", "批次 | 门店数\n第1批 | 1"),
        ("1-3-9-27 模型 > 说明", "line one\nline two"),
    ]


def test_html_in_a_declared_legacy_encoding(tmp_path: Path) -> None:
    page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>预警灯</title></head><body><p>两周红灯通知区域经理。</p></body></html>'
    doc = load_file(_write(tmp_path, "playbooks/lights.htm", page.encode("gbk")), root=tmp_path)
    assert doc.title == "预警灯"
    assert _sections(doc.blocks) == [("", "两周红灯通知区域经理。")]


# FAQ files


FAQ_YAML = textwrap.dedent(
    """\
    title: 培訓常見問題
    lang: zh-Hant
    tags: [培訓]
    audience: staff
    faqs:
      - id: training
        question: 培訓要多久？
        alternatives: [培訓時間多長, 要上幾次課]
        answer: |
          兩次，各90分鐘。
          之後關鍵用戶陪練一週。
      - id: 7
        question: 誰負責答疑(dá yí)？
        answer: 店裡的關鍵用戶。
        tags: [支援]
        lang: zh-CN
    """
)


def test_faq_yaml(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "faqs/training.yaml", FAQ_YAML), root=tmp_path)
    assert (doc.source, doc.doc_type, doc.title, doc.lang) == (
        "faqs/training.yaml",
        DocType.FAQ,
        "培訓常見問題",
        "zh-Hant",
    )
    assert doc.blocks == [] and doc.metadata == {"audience": "staff"}
    assert doc.faqs == [
        FaqEntry(
            question="培訓要多久?",
            answer="兩次,各90分鐘。\n之後關鍵用戶陪練一週。",
            entry_id="training",
            alternatives=("培訓時間多長", "要上幾次課"),
            tags=("培訓",),
        ),
        FaqEntry(
            question="誰負責答疑?",
            answer="店裡的關鍵用戶。",
            entry_id="7",
            tags=("支援", "培訓"),
            lang="zh-Hans",
        ),
    ]


def test_faq_yaml_as_a_bare_list_is_called_faq_in_its_language(tmp_path: Path) -> None:
    content = "- question: Who answers questions?\n  answer: The key user in your store.\n  alternatives: Who helps me?\n"
    doc = load_file(_write(tmp_path, "faqs/store_help.yml", content), root=tmp_path)
    assert doc.title == "FAQ" and doc.lang == ""
    assert doc.faqs == [
        FaqEntry(
            question="Who answers questions?",
            answer="The key user in your store.",
            alternatives=("Who helps me?",),
        )
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "faqs:\n  - question: 有问题\n    answer: 有答案\n  - question: 只有问题\n",
            "FAQ entry 2: 'answer' is missing",
        ),
        ("faqs:\n  - question: 有问题\n    answer: '  '\n", "FAQ entry 1: 'answer' is empty"),
        (
            "faqs:\n  - question: 要换吗\n    answer: yes\n",
            "FAQ entry 1: 'answer' must be text; put it in quotes",
        ),
        ("faqs:\n  - answer: 只有答案\n", "FAQ entry 1: 'question' is missing"),
        ("faqs:\n  - 只是一句话\n", "FAQ entry 1: expected 'question:' and 'answer:' fields, found str"),
        (
            "faqs:\n  - question: q\n    answer: a\n    alternatives: {x: 1}\n",
            "FAQ entry 1: 'alternatives' must be a list of texts",
        ),
        (
            "faqs:\n  - question: q\n    answer: a\n    tags: [[a]]\n",
            "FAQ entry 1: 'tags' must be a list of texts",
        ),
        (
            "faqs:\n  - question: q\n    answer: a\n    lang: fr\n",
            "FAQ entry 1: 'lang': unknown language 'fr'; use one of zh-Hans, zh-Hant, en",
        ),
        (
            "faqs:\n  - id: a\n    question: q\n    answer: a\n  - id: a\n    question: q2\n    answer: b\n",
            "FAQ entry 2: id 'a' is already used by FAQ entry 1",
        ),
        ("faqs: []\n", "the FAQ file has no entries"),
        ("faqs: 一句话\n", "'faqs' must be a list of entries, each with 'question:' and 'answer:'"),
        ("title: 没有列表\n", "the FAQ file needs a 'faqs:' list of question/answer entries"),
        ("faqs:\n  - question: [unclosed\n", "the FAQ file is not valid YAML near line 3"),
    ],
)
def test_bad_faq_yaml_names_the_entry_and_field(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LoaderError) as error:
        load_file(_write(tmp_path, "faqs/bad.yaml", content), root=tmp_path)
    assert str(error.value) == message


def test_faq_csv_with_bom_quoted_cells_and_lists(tmp_path: Path) -> None:
    content = (
        "\ufeffID,Question,Answer,Alternatives,Tags,Lang,Owner\r\n"
        'paper,还能用纸质单吗？,"第一个月并行,\n之后只用系统。",纸质单据还能用吗| 能不能手写,过渡|单据,zh-Hans,运营部\r\n'
        ",,,,,,\r\n"
        "backup,系统坏了怎么办？,先用应急纸质单，恢复后补录。,,,,\r\n"
    )
    doc = load_file(_write(tmp_path, "faqs/ops.csv", content), root=tmp_path)
    assert (doc.title, doc.doc_type, doc.lang) == ("常见问题", DocType.FAQ, "")
    assert doc.faqs == [
        FaqEntry(
            question="还能用纸质单吗?",
            answer="第一个月并行,\n之后只用系统。",
            entry_id="paper",
            alternatives=("纸质单据还能用吗", "能不能手写"),
            tags=("过渡", "单据"),
            lang="zh-Hans",
        ),
        FaqEntry(question="系统坏了怎么办?", answer="先用应急纸质单,恢复后补录。", entry_id="backup"),
    ]


def test_faq_csv_from_a_chinese_excel_in_gbk(tmp_path: Path) -> None:
    content = "question,answer\n培训要多久？,两次，各90分钟。\n"
    doc = load_file(_write(tmp_path, "faqs/excel.csv", content.encode("gbk")), root=tmp_path)
    assert doc.faqs == [FaqEntry(question="培训要多久?", answer="两次,各90分钟。")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # The quoted answer on line 2 spans two lines, so the bad row starts on line 4.
        ('question,answer\n培训多久？,"两次，\n各90分钟。"\n谁来答疑？,\n', "line 4: 'answer' is empty"),
        ("question,answer\n培训多久？\n", "line 2: 'answer' is empty"),
        ("question,answer\n,没有问题的答案\n", "line 2: 'question' is empty"),
        (
            "question,answer\n培训多久,两次,每次90分钟\n",
            "line 2: 3 cells but the header has 2; put quotes around text that contains commas",
        ),
        (
            "\nquestion,reply\nq,a\n",
            "line 2: the header needs the columns question, answer (missing: answer); "
            "optional: id, alternatives, tags, lang",
        ),
        (
            "question,answer,lang\nq,a,klingon\n",
            "line 2: 'lang': unknown language 'klingon'; use one of zh-Hans, zh-Hant, en",
        ),
        ("id,question,answer\nx,q,a\nx,q2,b\n", "line 3: id 'x' is already used by line 2"),
        ("question,answer\n\n", "the CSV has a header but no question/answer rows"),
    ],
)
def test_bad_faq_csv_names_the_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(LoaderError) as error:
        load_file(_write(tmp_path, "faqs/bad.csv", content), root=tmp_path)
    assert str(error.value) == message


# What every format shares


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("playbooks/empty.md", b"", "the file is empty"),
        ("faqs/empty.csv", b"", "the file is empty"),
        (
            "playbooks/blank.md",
            b"  \n\n\t\n",
            "no text left in the file after removing markup and boilerplate",
        ),
        (
            "playbooks/only-boilerplate.txt",
            "下載本文檔\n文檔簡介\n".encode(),
            "no text left in the file after removing markup and boilerplate",
        ),
        (
            "playbooks/only-nav.html",
            b"<nav>menu</nav><script>x()</script>",
            "no text left in the file after removing markup and boilerplate",
        ),
        (
            "playbooks/image.txt",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20,
            "the file looks binary, not text; check that it was saved in the right format",
        ),
        (
            "faqs/data.yaml",
            b"\x00\x01\x02" * 100,
            "the file looks binary, not text; check that it was saved in the right format",
        ),
        (
            "playbooks/bad-utf16.txt",
            b"\xff\xfe\x00\xd8",
            "the text is not valid UTF-16: unexpected end of data",
        ),
        (
            "playbooks/sheet.xlsx",
            b"PK\x03\x04",
            "'.xlsx' files are not supported; use one of .csv, .docx, .htm, .html, .markdown, .md, .pdf, .txt, .yaml, .yml",
        ),
        (
            "playbooks/NOTES",
            b"text",
            "files without an extension are not supported; use one of .csv, .docx, .htm, .html, .markdown, .md, .pdf, .txt, .yaml, .yml",
        ),
    ],
)
def test_bad_input_gets_a_clear_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    with pytest.raises(LoaderError) as error:
        load_file(_write(tmp_path, name, content), root=tmp_path)
    assert str(error.value) == message


def test_suffixes_are_matched_case_insensitively(tmp_path: Path) -> None:
    doc = load_file(_write(tmp_path, "playbooks/README-COPY.MD", "# Title\n\nText."), root=tmp_path)
    assert doc.title == "Title"


def test_missing_file_is_a_loader_error(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="^the file cannot be read: No such file or directory$"):
        load_file(tmp_path / "playbooks" / "gone.md", root=tmp_path)


def test_file_over_the_size_limit_names_size_and_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "playbooks/big.md", "大" * 2000)  # 6000 bytes in UTF-8
    with pytest.raises(LoaderError) as error:
        load_file(path, root=tmp_path, max_bytes=1000)
    assert str(error.value) == "the file is 5.9 KB, over the 1000 bytes limit; split it into smaller files"


def test_a_real_10_mb_file_is_handled_quickly_under_and_over_the_limit(tmp_path: Path) -> None:
    paragraph = "门店每周复盘一次使用率和问题清单，由店长主持。\n\n"
    count = 10 * 1024 * 1024 // len(paragraph.encode())
    path = _write(tmp_path, "playbooks/huge.txt", paragraph * count)
    assert path.stat().st_size > 10 * 1000 * 1000

    started = time.perf_counter()
    with pytest.raises(LoaderError, match=r"^the file is 10\.0 MB, over the 5\.0 MB limit"):
        load_file(path, root=tmp_path, max_bytes=5 * 1024 * 1024)
    assert time.perf_counter() - started < 1.0  # rejected from its size, never read

    started = time.perf_counter()
    doc = load_file(path, root=tmp_path)
    assert time.perf_counter() - started < 30.0
    assert len(doc.blocks) == count
    assert doc.blocks[0] == Block(text="门店每周复盘一次使用率和问题清单,由店长主持。")


def test_supported_suffixes() -> None:
    assert (
        frozenset({".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm", ".yaml", ".yml", ".csv"})
        == SUPPORTED_SUFFIXES
    )


def test_language_codes_match_the_index() -> None:
    assert LANGUAGES == INDEX_LANGUAGES


def test_a_saved_share_site_page_is_named_after_its_document(tmp_path: Path) -> None:
    content = (
        "實踐障礙解決方案的推廣經驗_第1頁\n實踐障礙解決方案的推廣經驗_第2頁\n已閱讀5頁,還剩39頁未讀 繼續(xù)免費閱讀\n\n"
        "下載本文檔\n\n推廣要先建立共識，再分批試點。\n"
    )
    doc = load_file(_write(tmp_path, "playbooks/promotion-of-solutions.zh-Hant.txt", content), root=tmp_path)
    assert doc.title == "實踐障礙解決方案的推廣經驗"
    assert _sections(doc.blocks) == [("", "推廣要先建立共識,再分批試點。")]
