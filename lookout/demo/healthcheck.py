"""`python -m lookout.demo.healthcheck URL`: exit 0 when URL answers 2xx within 3 s, else 1.

The compose healthcheck of every Lookout-image service: the image has Python, not curl.
"""
import sys
import urllib.request


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m demo.healthcheck URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(argv[0], timeout=3) as resp:
            return 0 if 200 <= resp.status < 300 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
