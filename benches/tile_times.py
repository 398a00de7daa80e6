#!/usr/bin/env python3
"""Sequential tile timings: every tile of a list requested once, one after the other, on one
keep-alive connection, with `Accept-Encoding: gzip`; prints the mean, median, p99, maximum, how many
took more than 20 and 50 ms, and the slowest tiles. Not run by CI.

    bourg serve --layers layers/france --addr 127.0.0.1:8091 --tile-cache-mb 0 &
    benches/tile_times.py 8091 communes rpls,vacance_batiments,communes

Arguments: the port, then one or more layer paths (`/tiles/{path}/{z}/{x}/{y}.mvt`). The tile list
is benches/tiles_france.txt (TILES=... to change it).
"""
import http.client
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    port, paths = int(sys.argv[1]), sys.argv[2:]
    tiles_file = os.environ.get("TILES", os.path.join(HERE, "tiles_france.txt"))
    with open(tiles_file) as f:
        tiles = [line.strip() for line in f if line.strip()]
    connection = http.client.HTTPConnection("127.0.0.1", port)
    for path in paths:
        timings = []
        for tile in tiles:
            started = time.perf_counter()
            connection.request("GET", f"/tiles/{path}/{tile}.mvt", headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            body = response.read()
            if response.status not in (200, 204):
                sys.exit(f"{path} {tile}: HTTP {response.status}")
            timings.append(((time.perf_counter() - started) * 1000, tile, len(body)))
        timings.sort()
        n = len(timings)
        mean = sum(t[0] for t in timings) / n
        print(
            f"{path}: {n} tiles, mean {mean:.2f} ms, p50 {timings[n // 2][0]:.1f} ms, "
            f"p99 {timings[int(n * 0.99)][0]:.1f} ms, max {timings[-1][0]:.1f} ms, "
            f"> 20 ms: {sum(t[0] > 20 for t in timings)}, > 50 ms: {sum(t[0] > 50 for t in timings)}"
        )
        for ms, tile, size in timings[-5:]:
            print(f"    {ms:6.1f} ms  {tile}  {size} bytes (gzip)")


if __name__ == "__main__":
    main()
