"""How corrcause reads a model's answer (a line-for-line port of corrcause's src/text/answer.rs).

Written by `corrcause export lm-eval` and `corrcause export inspect` beside the task, so that the
harness scores answers exactly as `corrcause score` does. `read(text)` returns 1 (valid: yes,
true, entailment), 0 (invalid: no, false, neutral, contradiction) or None (unparsed).
"""

import json
import re

_WORDS = {
    "1": 1, "yes": 1, "true": 1, "valid": 1, "necessarily true": 1,
    "0": 0, "no": 0, "false": 0, "invalid": 0, "not valid": 0, "necessarily false": 0,
    "not necessarily true": 0,
    "entailment": 1, "entailed": 1, "neutral": 0, "contradiction": 0, "contradicted": 0,
}

_PHRASES = [
    ("not necessarily true", 0), ("necessarily false", 0), ("necessarily true", 1),
    ("not valid", 0), ("contradiction", 0), ("entailment", 1), ("invalid", 0), ("neutral", 0),
    ("false", 0), ("valid", 1), ("true", 1), ("yes", 1), ("no", 0),
]

_MARKERS = ["answer:", "answer is", "answer would be", "answer -"]


def _word(s):
    return _WORDS.get(re.sub(r"^[\W_]+|[\W_]+$", "", s))


def _from_prediction(v):
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return v if v in (0, 1) else None
    if isinstance(v, str):
        return _word(v.strip().lower())
    return None


def _drop_thinking(text):
    out, rest = [], text
    while "<think>" in rest:
        start = rest.index("<think>")
        out.append(rest[:start])
        end = rest.find("</think>", start)
        if end < 0:
            return "".join(out)
        rest = rest[end + len("</think>"):]
    out.append(rest)
    return "".join(out)


def _is_word_char(c):
    return c is not None and (c.isalnum() or c == "_")


def _phrases(lower):
    found = []
    for p, a in _PHRASES:
        start = 0
        while True:
            s = lower.find(p, start)
            if s < 0:
                break
            e = s + len(p)
            start = s + 1
            before = lower[s - 1] if s > 0 else None
            after = lower[e] if e < len(lower) else None
            if _is_word_char(before) or _is_word_char(after):
                continue
            if any(s < fe and fs < e for fs, fe, _ in found):
                continue
            found.append((s, e, a))
    found.sort(key=lambda f: f[0])
    return found


def read(text):
    """The answer in `text`: 1 (valid), 0 (invalid) or None (unparsed)."""
    trimmed = _drop_thinking(text).strip()
    unfenced = trimmed
    for fence in ("```json", "```"):
        if trimmed.startswith(fence) and trimmed.endswith("```") and len(trimmed) >= len(fence) + 3:
            unfenced = trimmed[len(fence):-3]
            break
    unfenced = unfenced.strip()
    if unfenced.startswith("{"):
        try:
            value = json.loads(unfenced)
        except ValueError:
            value = None
        if isinstance(value, dict) and "answer" in value:
            return _from_prediction(value["answer"])
    if len(unfenced.encode("utf-8")) <= 24:
        w = _word(unfenced.lower())
        if w is not None:
            return w
    lower = unfenced.lower()
    found = _phrases(lower)
    ends = [lower.rfind(m) + len(m) for m in _MARKERS if lower.rfind(m) >= 0]
    if ends:
        end = max(ends)
        after = lower[end:]
        gap = len(after) - len(after.lstrip(" \t\r\n\f\v*\"'`:("))
        for s, _, a in found:
            if s == end + gap:
                return a
    return found[-1][2] if found else None


def decided(text, label):
    """The binary prediction `corrcause score` counts by default: the answer read, or the wrong
    one when the text cannot be read (`--unparsed wrong`)."""
    answer = read(text)
    return (1 - label) if answer is None else answer


def f1(pairs):
    """F1 of the valid class over (label, prediction) pairs (1 with no valid item and no valid
    answer, as corrcause counts it)."""
    tp = sum(1 for g, p in pairs if g == 1 and p == 1)
    wrong = sum(1 for g, p in pairs if g != p)
    return 2 * tp / (2 * tp + wrong) if tp + wrong else 1.0


def mcc(pairs):
    """Matthews correlation coefficient over (label, prediction) pairs (where a row or column of
    the confusion matrix is empty: 1 when nothing is wrong, else 0, as corrcause counts it)."""
    tp = sum(1 for g, p in pairs if g == 1 and p == 1)
    tn = sum(1 for g, p in pairs if g == 0 and p == 0)
    fp = sum(1 for g, p in pairs if g == 0 and p == 1)
    fn = sum(1 for g, p in pairs if g == 1 and p == 0)
    denominator = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5
    if denominator:
        return (tp * tn - fp * fn) / denominator
    return 1.0 if fp + fn == 0 else 0.0
