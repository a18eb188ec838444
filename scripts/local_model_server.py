"""Serves a GGUF model through llama.cpp's native HTTP server (PyPI: xllamacpp) on 127.0.0.1.

Usage: python local_model_server.py MODEL.gguf ALIAS PORT_FILE [THREADS]
Writes the server's base URL (http://127.0.0.1:PORT/v1) to PORT_FILE once it listens, then
serves until killed. The OpenAI-compatible endpoints are /v1/chat/completions, /v1/completions.
"""
import os
import signal
import sys
import time

import xllamacpp

model, alias, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1

params = xllamacpp.CommonParams()
params.model.path = model
params.model_alias = alias
params.n_ctx = 4096
params.n_parallel = 1
params.cpuparams.n_threads = threads
params.cpuparams_batch.n_threads = threads
params.hostnames = ["127.0.0.1"]
params.port = 0  # a free port
server = xllamacpp.Server(params)
address = server.listening_address
host_port = address.split("://")[-1].rstrip("/")
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write(f"http://{host_port}/v1\n")
os.replace(tmp, port_file)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
