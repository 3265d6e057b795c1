#!/usr/bin/env python3
"""Fails if a file in src/ or gst/ has more than 600 lines or a function more than 60.

A function is a brace block opened by a line that holds a parameter list and is not a control
statement, a class, a namespace, an initializer or a lambda inside another function; its length
counts the lines from its signature to its closing brace.
"""
import pathlib
import re
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 60
root = pathlib.Path(sys.argv[1])
problems = []
control = re.compile(r"^\s*(if|for|while|switch|catch|do|else)\b")
not_function = re.compile(r"\b(namespace|class|struct|enum|union)\b|=\s*\{|\[[^\]]*\]\s*\(")


def strip(line):
    """The line without string literals and // comments (enough for brace counting)."""
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split("//", 1)[0]


def functions(lines):
    depth = 0
    start = None  # (line index, depth before the body)
    signature = []
    for i, raw in enumerate(lines):
        line = strip(raw)
        if start is None:
            signature = (signature + [line])[-4:] if line.strip() else []
            text = " ".join(signature)
            opens = line.count("{")
            if opens and "(" in text and not control.match(line) and not not_function.search(line):
                begin = i - len(signature) + 1
                while begin < i and "(" not in strip(lines[begin]):
                    begin += 1
                start = (begin, depth)
        depth += line.count("{") - line.count("}")
        if start is not None and depth <= start[1]:
            yield start[0], i
            start = None
            signature = []


for path in sorted(list((root / "src").rglob("*.[ch]pp")) + list((root / "gst").glob("*.[ch]pp"))):
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) - 1 > MAX_FILE_LINES:
        problems.append(f"{path}: {len(lines) - 1} lines (at most {MAX_FILE_LINES})")
    for begin, end in functions(lines):
        n = end - begin + 1
        if n > MAX_FUNCTION_LINES:
            problems.append(f"{path}:{begin + 1}: function of {n} lines (at most "
                            f"{MAX_FUNCTION_LINES}): {lines[begin].strip()[:70]}")

for p in problems:
    print(p)
print(f"{len(problems)} size problems")
sys.exit(1 if problems else 0)
