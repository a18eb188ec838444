"""The Python answer reader that exported tasks carry (src/run/export/corrcause_answer.py) must
read every text as corrcause does: this feeds a few thousand texts, hand-made and seeded random
combinations of answer words, markers, JSON, fences and thinking, to both and compares.

    python3 answer_parity.py CORRCAUSE DATASET.jsonl
"""

import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src", "run", "export"))
import corrcause_answer  # noqa: E402

HAND = [
    "", "Yes", " no.", "True", "FALSE", "valid", "Invalid.", "The hypothesis is not valid.",
    "It is necessarily true.", "necessarily false", "Not necessarily true.", "Entailment",
    "neutral", "contradiction", '{"answer": "yes"}', '```json\n{"answer": "no"}\n```',
    '{"answer": "perhaps"}', "Let me think. A causes B, so no collider.\nAnswer: Yes",
    "There is no reason to doubt it; the answer is yes.", "**Answer:** No",
    "<think>yes yes yes</think>No", "First I thought yes, but on reflection no.",
    "<think>no</think>\nAfter all, true.", "I don't know.", "Maybe.", "<think>Yes, clearly",
    "Nobody knows", "Notably uncertain", "invalidated? unsure", "```\nYes\n```", "```json```",
    '{"answer": 1}', '{"answer": true}', '{"answer": 2}', "answer - no", "The answer would be: (yes)",
    "yes_no", "Yes!", "1", "0", "'No'", "Answer:", "no answer", "entailed", "contradicted",
]
PIECES = ["yes", "no", "Yes", "No", "true", "false", "valid", "invalid", "not valid", "neutral",
          "entailment", "contradiction", "necessarily true", "not necessarily true", "Answer:",
          "answer is", "the answer would be", "answer -", "<think>", "</think>", "**", "\"", "'",
          "`", "(", ":", ".", ",", "\n", " ", "maybe", "know", "nobody", "_", "{", "}", "```",
          '{"answer": "no"}', "Ünï", "1", "0"]


def texts():
    rng = random.Random(15)
    out = list(HAND)
    for _ in range(3000):
        out.append("".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "\n"]) for _ in range(rng.randint(1, 8))))
    return out


def main():
    corrcause, dataset = sys.argv[1:3]
    ids = [json.loads(line)["id"] for line in open(dataset)]
    corpus = texts()
    mismatches = []
    for start in range(0, len(corpus), len(ids)):
        chunk = corpus[start:start + len(ids)]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for id, text in zip(ids, chunk):
                f.write(json.dumps({"id": id, "output": text}) + "\n")
        lines = subprocess.run([corrcause, "score", "--dataset", dataset, "--predictions", f.name,
                                "--explain-parse", "--missing", "exclude"],
                               check=True, capture_output=True, text=True).stdout.splitlines()
        os.unlink(f.name)
        for line in lines:
            r = json.loads(line)
            ours = {"valid": 1, "entailment": 1, "invalid": 0, "neutral": 0, "contradiction": 0,
                    "unparsed": None}[r["answer"]]
            if corrcause_answer.read(r["output"]) != ours:
                mismatches.append((r["output"], r["answer"], corrcause_answer.read(r["output"])))
    if mismatches:
        for m in mismatches[:10]:
            print(f"answer-parity: {m[0]!r}: corrcause {m[1]}, Python {m[2]}", file=sys.stderr)
        sys.exit(f"answer-parity: FAILED on {len(mismatches)} of {len(corpus)} texts")
    print(f"answer-parity: the Python reader reads all {len(corpus)} texts as corrcause does")


if __name__ == "__main__":
    main()
