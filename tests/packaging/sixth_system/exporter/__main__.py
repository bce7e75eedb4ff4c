from lookout.exporters.runtime import main_for

from . import EXPORTER


def main() -> None:
    main_for(EXPORTER)


if __name__ == "__main__":
    main()
