"""Every language says everything English says, with the same placeholders, and nothing else."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1] / "custom_components/envoy_connect"
STRINGS = json.loads((ROOT / "strings.json").read_text())
#: The languages of Enphase's markets (issue 15); English is strings.json itself.
LANGUAGES = ("de", "nl", "fr", "es", "it", "pt-BR", "pl")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted key -> text, the way HA's translation loader sees a file."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


ENGLISH = flatten(STRINGS)


def test_languages_shipped() -> None:
    shipped = {path.stem for path in (ROOT / "translations").glob("*.json")}
    assert shipped == {"en", *LANGUAGES}


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_keys_as_strings_json(language: str) -> None:
    translated = flatten(json.loads((ROOT / f"translations/{language}.json").read_text()))
    assert sorted(set(ENGLISH) - set(translated)) == [], "missing"
    assert sorted(set(translated) - set(ENGLISH)) == [], "not in strings.json"


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_placeholders_and_real_text(language: str) -> None:
    translated = flatten(json.loads((ROOT / f"translations/{language}.json").read_text()))
    wrong = {
        key: (PLACEHOLDER.findall(text), PLACEHOLDER.findall(translated.get(key, "")))
        for key, text in ENGLISH.items()
        if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(translated.get(key, "")))
    }
    assert wrong == {}
    empty = [key for key, text in translated.items() if text.strip() == "" and ENGLISH[key]]
    assert empty == []
    # A translation is not a copy: most long English sentences must read differently.
    long_keys = [key for key, text in ENGLISH.items() if len(text) > 40]
    copied = [key for key in long_keys if translated.get(key) == ENGLISH[key]]
    assert len(copied) <= len(long_keys) // 10, copied
