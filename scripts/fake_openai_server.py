"""A deterministic OpenAI-compatible server for the harness tests (scripts/harness-e2e.sh).

    python3 fake_openai_server.py URL_FILE LOG_FILE

Serves /v1/chat/completions, /v1/completions and /v1/models on 127.0.0.1 (a free port, written
to URL_FILE as the base URL once listening). The answer to a prompt is a function of its text
only (SHA-256), drawn from plain answers, marked answers, a chain of thought and an unreadable
one, so that every way corrcause reads answers is exercised. Every request is appended to
LOG_FILE as {"prompt", "answer"} so that a test can check, item by item, what a harness recorded.
"""

import hashlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWERS = [
    "Yes",
    "No",
    " No.",
    "yes",
    "Answer: Yes",
    "The hypothesis does not follow, so the answer is no.",
    "I cannot tell.",
    '{"answer": "yes"}',
]


def answer_for(prompt: str) -> str:
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    return ANSWERS[digest[0] % len(ANSWERS)]


class Handler(BaseHTTPRequestHandler):
    lock = threading.Lock()
    log_path = ""

    def log_message(self, *args):  # quiet
        pass

    def reply(self, body: dict, status: int = 200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/models"):
            self.reply({"object": "list", "data": [{"id": "fake", "object": "model"}]})
        else:
            self.reply({"status": "ok"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        chat = self.path.rstrip("/").endswith("/chat/completions")
        if chat:
            messages = request.get("messages") or request.get("input") or []
            user = [m for m in messages if m.get("role") == "user"]
            content = user[-1]["content"] if user else ""
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content)
            prompts = [content]
        else:
            p = request.get("prompt", "")
            prompts = p if isinstance(p, list) else [p]
        answers = [answer_for(p) for p in prompts]
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as log:
                for p, a in zip(prompts, answers):
                    log.write(json.dumps({"prompt": p, "answer": a}) + "\n")
        usage = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
        created = int(time.time())
        if chat:
            self.reply({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": created,
                "model": request.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": answers[0]}}],
                "usage": usage,
            })
        else:
            self.reply({
                "id": "cmpl-fake", "object": "text_completion", "created": created,
                "model": request.get("model", "fake"),
                "choices": [{"index": i, "text": a, "finish_reason": "stop", "logprobs": None}
                            for i, a in enumerate(answers)],
                "usage": usage,
            })


def main():
    url_file, log_file = sys.argv[1], sys.argv[2]
    Handler.log_path = log_file
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(url_file + ".tmp", "w") as f:
        f.write(f"http://127.0.0.1:{server.server_address[1]}/v1")
    import os
    os.replace(url_file + ".tmp", url_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
