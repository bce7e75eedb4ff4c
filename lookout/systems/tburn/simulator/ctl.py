"""`python -m lookout.systems.tburn.simulator.ctl [--url URL] list | inject NAME [--for 30s] [--PARAM V] | clear NAME | reset`"""
import sys

from lookout.simulators.common.ctl import main

if __name__ == "__main__":
    sys.exit(main("python -m lookout.systems.tburn.simulator.ctl", "http://127.0.0.1:5000"))
