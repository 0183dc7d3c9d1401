"""The benchmark's application: ~50 MB of Python objects built at import."""
import os
import time

# Many small objects, as a real application's code, caches and tables are,
# not one big buffer: their pages stay shared only if nothing writes to them.
TABLE = {i: f"row-{i:08d}-" + "x" * 24 for i in range(300_000)}
READY = f"memapp imported in {os.getpid()}"


def serve():
    print(f"worker {os.getpid()} ready; {READY}", flush=True)
    while True:
        time.sleep(100)


if __name__ == "__main__":
    serve()
