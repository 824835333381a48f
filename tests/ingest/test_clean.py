"""Text cleaning: Unicode and whitespace, pinyin glosses, download-site boilerplate, binary sniffing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clean import BOILERPLATE_LINES, clean_text, looks_binary, remove_pinyin

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
TONED_GLOSS = re.compile(
    r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]*[)）]"
)


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed {name} not found: expected the shared folder at {SEEDS}")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("發(fā)展", "發展"),
        ("繼續(xù)", "繼續"),
        ("規(guī)劃", "規劃"),
        ("創(chuàng)新", "創新"),
        ("現(xiàn)狀", "現狀"),
        ("創（chuàng）新", "創新"),  # full-width brackets
        ("发展(fā zhǎn)规划", "发展规划"),  # a gloss of several syllables
        ("绿(lǜ)灯", "绿灯"),
    ],
)
def test_pinyin_glosses_after_han_characters_are_removed(raw: str, expected: str) -> None:
    assert remove_pinyin(raw) == expected
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "服务中台(ServiceHub)上线",
        "降低成本(cost)与提升效率",
        "Cut (cost) first",
        "第一批(fa)不是拼音",  # no tone mark: could be anything
        "Café(é) is not after a Han character",
    ],
)
def test_ordinary_brackets_stay(text: str) -> None:
    assert clean_text(text) == text


def test_unicode_whitespace_and_controls_are_normalised() -> None:
    raw = "ＡＢＣ１２３　全角，標點\u200b文字\ufeff\r\n\r\n\r\n\r\n第二段\x07  多   空格\t尾 \u00a0\ncr\rline\x0cpage\u2028end  "
    assert clean_text(raw) == "ABC123 全角,標點文字\n\n第二段 多 空格 尾\ncr\nline\npage\nend"


def test_private_use_glyphs_and_bidi_marks_are_dropped() -> None:
    assert clean_text("推\ue2c4廣\u200e經\u202a驗\u00ad") == "推廣經驗"


def test_blank_lines_collapse_to_one_and_outer_blank_lines_go() -> None:
    assert clean_text("\n\n  \n第一段\n \n\t\n\n第二段\n\n\n") == "第一段\n\n第二段"


@pytest.mark.parametrize(
    "line",
    [
        "已閱讀5頁,還剩39頁未讀 繼續(xù)免費閱讀",
        "已阅读5页，还剩10页未读， 继续免费阅读",
        "繼續免費閱讀",
        "下載本文檔",
        "下载本文档",
        "免费下载",
        "版權說明:本文檔由用戶提供並上傳,收益歸屬內容提供方,若內容存在侵權,請進行舉報或認領",
        "版权说明：本文档由用户提供并上传",
        "文檔簡介",
        "文档简介",
        "實踐障礙解決方案的推廣經驗_第3頁",
        "服務模式創(chuàng)新2026年降本增效項目分析方案_第1頁",
        "第 3 页 共 12 页",
        "溫馨提示",
        "• 1. 本站所有資源如無特殊說明,都需要本地電腦安裝OFFICE2007和PDF閱讀器。",
        "4. 未經權益所有人同意不得將文件中的內容挪作商業或盈利用途。",
        "5. 人人文庫網僅提供信息存儲空間,僅對用戶上傳內容的表現方式做保護處理。",
        "評論",
        "0/150",
        "提交評论",
        "未经允许不得转载:似水流年 » Day 54晚上-2:推广节奏与变革管理",
    ],
)
def test_boilerplate_lines_are_removed(line: str) -> None:
    assert clean_text(f"正文第一行\n{line}\n正文第二行") == "正文第一行\n正文第二行"


@pytest.mark.parametrize(
    "line",
    [
        "请在上线前下载本文档并打印。",
        "版权说明会在第二周召开。",
        "第3页的表格列出了所有门店。",
        "store_list_第3页说明",  # "_第3页" not at the end
        "1. 本周完成培训",
        "评论区的反馈很多",
    ],
)
def test_content_that_mentions_the_same_words_stays(line: str) -> None:
    assert clean_text(line) == line


def test_boilerplate_patterns_are_anchored_to_whole_lines() -> None:
    for pattern in BOILERPLATE_LINES:
        assert pattern.pattern.startswith("^") and pattern.pattern.endswith("$"), pattern.pattern


def test_cleaning_is_idempotent_on_a_mixed_snippet() -> None:
    raw = "規(guī)劃_第1頁\n已閱讀5頁,還剩39頁未讀 繼續(xù)免費閱讀\n\n下載本文檔\n\n科學規(guī)劃推廣節(jié)奏  (SOP)\n"
    cleaned = clean_text(raw)
    assert cleaned == "科學規劃推廣節奏 (SOP)"
    assert clean_text(cleaned) == cleaned


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert looks_binary(bytes(range(1, 32)) * 100)  # control bytes without a single NUL
    assert not looks_binary("普通的文字 plain text\n\ttabbed\r\n".encode())
    assert not looks_binary("推广节奏".encode("gbk"))
    assert not looks_binary("\ufeff推广节奏\n".encode("utf-16"))  # NULs, but a BOM says it is text
    assert not looks_binary(b"")
    assert not looks_binary(b"text" * 3000 + b"\x00")  # only the first 8 KB is sniffed


def test_traditional_seed_loses_boilerplate_and_pinyin_but_keeps_its_text() -> None:
    raw = _seed("promotion-of-solutions-experience.zh-Hant.txt")
    assert "發(fā)展" in raw and "下載本文檔" in raw  # the seed really has both
    cleaned = clean_text(raw)
    assert not TONED_GLOSS.search(cleaned)
    assert cleaned.startswith("實踐障礙解決方案的推廣經驗演講人01實踐障礙解決方案的推廣經驗02引言:")
    assert "路徑設計:科學規劃推廣節奏,確保方案適配場景" in cleaned
    assert "各類組織(企業、政府、非營利機構等)在戰略落地、流程優化、技術創新等實踐中" in cleaned
    assert cleaned.endswith("生態協同的三個層次:1.內部生態:推動方案與組織內其他系")
    for debris in (
        "_第1頁",
        "已閱讀",
        "下載本文檔",
        "版權說明",
        "文檔簡介",
        "溫馨提示",
        "本站",
        "提交評論",
        "0/150",
    ):
        assert debris not in cleaned, debris
    assert "\ue2c4" not in cleaned


def test_service_plan_seed_keeps_its_outline() -> None:
    cleaned = clean_text(_seed("service-innovation-cost-efficiency-plan.zh-Hant.txt"))
    assert cleaned.startswith(
        "服務模式創新2026年降本增效項目分析方案參考模板一、項目背景與行業現狀分析\n\n"
        "1.1行業發展趨勢與挑戰\n\n1.1.1全球服務模式創新動態\n\n"
    )
    assert cleaned.endswith("改進建議需提出優化方向,例如完善評估體系、加強能力建設")
    assert "_第" not in cleaned and "人人文庫網" not in cleaned and "評論" not in cleaned


def test_simplified_seed_keeps_its_layout_and_site_slogans() -> None:
    cleaned = clean_text(_seed("rollout-pacing-and-change-management.zh-Hans.txt"))
    assert cleaned.startswith(
        "售后服务\n我们是专业的\n\nDay 54晚上-2:推广节奏与变革管理 - 让新机制真正落地\n\n"
        "一、一场价值1000万的推广灾难\n\n2019年的惨痛教训\n\n"
        "2019年,某传统车企在3家门店成功试点「数字化服务系统」后,信心满满地启动全国推广:\n\n"
        "• 试点效果显著:效率+35%,满意度+15分\n• 决策:3个月内推广到全国220家门店\n"
    )
    assert cleaned.endswith("接下来的Day 56-60,我们将进入更高阶的实战环节,敬请期待!")
    assert "未经允许不得转载" not in cleaned
    assert "\n\n\n" not in cleaned and "  " not in cleaned
