from pathlib import Path

import pytest

from ingest.clean import clean_text, looks_binary, remove_pinyin

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def test_pinyin_glosses_go_but_ordinary_parentheses_stay() -> None:
    assert remove_pinyin("發(fā)展與規(guī)劃") == "發展與規劃"
    assert remove_pinyin("繼續(xù)免費") == "繼續免費"
    assert remove_pinyin("創（chuàng）新") == "創新"
    assert remove_pinyin("服务中台(ServiceHub)与成本(cost)") == "服务中台(ServiceHub)与成本(cost)"


def test_clean_text_normalises_unicode_whitespace_and_controls() -> None:
    raw = "ＡＢＣ　全角\u200b文字\r\n\r\n\r\n\r\n第二段\x07   多  空格\t\n"
    assert clean_text(raw) == "ABC 全角文字\n\n第二段 多 空格"


def test_download_site_boilerplate_lines_are_removed() -> None:
    raw = "\n".join(
        [
            "實踐障礙解決方案的推廣經驗_第1頁",
            "已閱讀5頁,還剩39頁未讀 繼續免費閱讀",
            "下載本文檔",
            "版權說明:本文檔由用戶提供并上傳,收益歸屬內容提供方",
            "文檔簡介",
            "真正的正文從這裡開始。",
        ]
    )
    assert clean_text(raw) == "真正的正文從這裡開始。"


def test_binary_detection() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not looks_binary("普通的文字 plain text\n".encode())
    assert not looks_binary(b"")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not beside the repository")
def test_real_scraped_seed_is_cleaned() -> None:
    raw = (SEEDS / "promotion-of-solutions-experience.zh-Hant.txt").read_text(encoding="utf-8")
    assert "發(fā)展" in raw or "規(guī)劃" in raw  # the seed really has pinyin glosses
    cleaned = clean_text(raw)
    assert "(fā)" not in cleaned and "(guī)" not in cleaned and "(xù)" not in cleaned
    assert "下載本文檔" not in cleaned and "已閱讀" not in cleaned and "_第1頁" not in cleaned
    assert "實踐障礙解決方案的推廣經驗" in cleaned
    assert "科學規劃推廣節奏" in cleaned
