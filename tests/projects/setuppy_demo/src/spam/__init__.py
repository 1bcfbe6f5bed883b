"""spam: a list summer in C (full, version-specific C API)."""

from pathlib import Path

from spam._spam import greeting, platform, sum_list

__all__ = ["WORDS", "greeting", "main", "platform", "sum_list"]

WORDS = (Path(__file__).parent / "data" / "words.txt").read_text().split()


def main() -> None:
    print(sum_list([1, 2, 3]))
