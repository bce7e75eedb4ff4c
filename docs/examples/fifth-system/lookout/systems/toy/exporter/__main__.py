from lookout.exporters.runtime import main_for

from . import EXPORTER

if __name__ == "__main__":
    main_for(EXPORTER)
