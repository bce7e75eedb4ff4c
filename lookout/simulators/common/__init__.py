"""What every simulator shares: the fault registry, its control API, serving and the CLI."""
from .faults import ActiveFault, FaultError, FaultRegistry, FaultSpec, Param, parse_duration

__all__ = ["ActiveFault", "FaultError", "FaultRegistry", "FaultSpec", "Param", "parse_duration"]
